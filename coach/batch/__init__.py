"""`coach batch`: many cases through one engine, concurrently, resumably, with a privacy guard.

Why it is built this way:

* **Never lose or duplicate work.** ``DIR/results.jsonl`` is the only state (``results``). Each
  finished case is appended as one line with a single ``write`` call and fsync'd at once, by one
  writer (the event loop's thread; a lock file keeps a second run off the same folder). A run
  stopped by Ctrl-C, SIGTERM or ``kill -9`` loses only the cases in flight; a half-written last line
  (possible only in a crash) is cut away with a notice on the next start. Re-running the same
  command reads the file (the newest line per id wins) and sends only what is not ``ok`` yet (failed
  cases again only with ``--retry-errors``).
* **Fast.** Requests to a remote model run concurrently on one asyncio loop (litellm's async API)
  up to ``--concurrency``; retrieval is batched (one embedding pass per chunk of about
  ``--concurrency`` cases, ``pipeline.prepare_many``), and the next chunk is prepared while the one
  before waits on the model, so the first requests go out after one chunk is embedded, not after all
  of them. Everything that embeds (retrieval, the extractive engine, the verifier) runs on one
  worker thread, in order (``worker``): the loop never stalls on CPU work, and the embedding model
  (whose fast tokenizer is not safe to call from two threads at once) is only ever used from one
  thread. That is why a case is run as ``acompose`` on the loop plus ``finish``
  on the worker (``runner``), which is ``pipeline.areflect`` split in two at its I/O boundary.
* **Privacy.** Cases should be anonymized and sometimes are not. Before a case goes to a model
  that is not local it is scanned (``coach.turn.privacy_gate``, ``coach.common.pii``); one with an identifier is
  ``skipped`` with the kinds found (never the values), unless the user chose ``redact`` or ``allow``.

The modules, one seam each: ``inputs`` (JSONL/CSV reading and validation), ``results`` (the results
file: resume, repair, fsync, and ``ResultLine``, the typed line), ``progress``,
``worker``, ``runner`` (``run_batch``), ``summary`` (counts and the shared report).

``run_batch(...)`` is the entry point for the CLI and for benchmarks; it returns ``BatchCounts``.
"""
from __future__ import annotations

from .inputs import Case, InputProblem, ParsedInput, cases_from_records, detect_format, parse_input, read_input
from ..turn import PII_MODES, Gate, privacy_gate
from .progress import Progress
from .results import (
    LOCK_NAME,
    RESULTS_NAME,
    STATUSES,
    PiiRecord,
    ResultLine,
    ResultsFile,
    parse_line,
    read_results,
    scenario_digest,
)
from .runner import CHUNK, DEFAULT_CONCURRENCY, MAX_CONCURRENCY, run_batch
from .summary import REPORT_NAME, BatchCounts, BatchGaveUp, BatchInterrupted, write_report
from .worker import CpuWorker

__all__ = ["run_batch", "BatchCounts", "BatchGaveUp", "BatchInterrupted", "Case", "ParsedInput", "parse_input", "read_input",
           "read_results", "privacy_gate", "Progress", "ResultsFile",
           "CHUNK", "DEFAULT_CONCURRENCY", "MAX_CONCURRENCY", "PII_MODES", "STATUSES", "RESULTS_NAME", "REPORT_NAME",
           "LOCK_NAME", "CpuWorker", "Gate", "InputProblem", "PiiRecord", "ResultLine", "cases_from_records",
           "detect_format", "parse_line", "scenario_digest", "write_report"]
