"""`coach batch`: many cases through one engine, concurrently, resumably, with a privacy guard.

Why it is built this way:

* **Never lose or duplicate work.** ``DIR/results.jsonl`` is the only state. Each finished case is
  appended as one line with a single ``write`` call and fsync'd at once, by one writer (the event
  loop's thread; a lock file keeps a second run off the same folder). A run stopped by Ctrl-C,
  SIGTERM or ``kill -9`` loses only the cases in flight; a half-written last line (possible only in
  a crash) is cut away with a notice on the next start. Re-running the same command reads the
  file (the newest line per id wins) and sends only what is not ``ok`` yet (failed cases again only
  with ``--retry-errors``).
* **Fast.** Requests to a remote model run concurrently on one asyncio loop (litellm's async API)
  up to ``--concurrency``; retrieval is batched (one embedding pass per chunk of
  ``CHUNK`` cases, ``pipeline.prepare_many``). Everything that embeds (retrieval, the extractive
  engine, the verifier) runs on one worker thread, in order: the loop never stalls on CPU work, and
  the embedding model (whose fast tokenizer is not safe to call from two threads at once) is only
  ever used from one thread. That is why a case is run here as ``acompose`` on the loop plus
  ``finish`` on the worker, which is ``pipeline.areflect`` split in two at its I/O boundary.
* **Privacy.** Cases should be anonymized and sometimes are not. Before a case goes to a model
  that is not local (``pipeline.is_remote_model``) it is scanned (``coach.pii``); one with an
  identifier is ``skipped`` with the kinds found (never the values), unless the user chose
  ``redact`` (placeholders before retrieval and sending; the stored scenario is the redacted one)
  or ``allow``.

``run_batch(...)`` is the entry point for the CLI and for benchmarks; it returns ``BatchCounts``.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import hashlib
import io
import json
import os
import queue
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from . import pii
from .errors import CoachError, UsageError

RESULTS_NAME = "results.jsonl"
REPORT_NAME = "report.html"
LOCK_NAME = ".coach-batch.lock"
CHUNK = 256                      # cases per embedding pass: progress shows, memory stays flat
DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 256
PII_MODES = ("hold", "redact", "allow")
STATUSES = ("ok", "error", "skipped")

Log = Callable[[str], None]


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ================================================================================================
# Input
# ================================================================================================
@dataclass
class Case:
    """One case of the input: its id as given, the text, and every other field carried through."""

    id: Any
    scenario: str
    line: int
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return str(self.id)


@dataclass
class InputProblem:
    """A line of the input that cannot run (malformed, no id, empty scenario, duplicate id)."""

    key: str
    id: Any
    line: int
    reason: str


@dataclass
class ParsedInput:
    cases: list[Case]
    problems: list[InputProblem]
    order: list[str]             # keys in input order (cases and problems), for the report
    fmt: str
    name: str

    @property
    def total(self) -> int:
        return len(self.order)


def _line_key(n: int) -> str:
    return f"line:{n}"


def _valid_id(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and bool(value.strip())


def _records_from_jsonl(text: str, log: Log, name: str) -> Iterable[tuple[int, dict | None, str | None]]:
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            reason = f"line {n}: not valid JSON ({e.msg} at column {e.colno})"
            log(f"coach batch: {name}:{n}: not valid JSON ({e.msg} at column {e.colno}); recorded as an error")
            yield n, None, reason
            continue
        if not isinstance(obj, dict):
            reason = f"line {n}: expected a JSON object with id and scenario, got {type(obj).__name__}"
            log(f"coach batch: {name}:{n}: expected a JSON object with id and scenario; recorded as an error")
            yield n, None, reason
            continue
        if "id" not in obj or "scenario" not in obj:  # "ID", "Scenario", "situation": as in a CSV header
            keys = list(obj)
            obj = dict(zip(_canonical_columns(keys), obj.values()))
        yield n, obj, None


SCENARIO_ALIASES = ("scenario", "situation")


def _canonical_columns(names: Sequence[str]) -> list[str]:
    """Column (or JSON key) names with the id and the scenario under their canonical names.

    Why forgiving: people export their cases from spreadsheets with "ID", "Scenario" or, as the page
    calls it, "Situation". ``id`` and ``scenario`` match in any case; ``situation`` stands for
    ``scenario`` when there is no scenario column. Every other column keeps its name."""
    lower = [str(n).strip().lower() for n in names]
    out = list(names)
    if "id" in lower:
        out[lower.index("id")] = "id"
    for alias in SCENARIO_ALIASES:
        if alias in lower:
            out[lower.index(alias)] = "scenario"
            break
    return out


def _records_from_csv(text: str, log: Log, name: str) -> Iterable[tuple[int, dict | None, str | None]]:
    buf = io.StringIO(text, newline="")
    reader = csv.reader(buf)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as e:
        raise UsageError(f"{name}: the CSV header cannot be read ({e})") from None
    cols = [h.strip().strip("\ufeff").strip() for h in header]
    named = _canonical_columns(cols)
    if "id" not in named or "scenario" not in named:
        missing = " and ".join(repr(c) for c in ("id", "scenario") if c not in named)
        raise UsageError(f"{name}: a CSV input needs a header row with 'id' and 'scenario' columns (any case; "
                         f"'situation' works for 'scenario'); {missing} not found in the header: "
                         f"{', '.join(repr(c) for c in cols if c) or 'nothing'}")
    cols = named
    last = reader.line_num
    while True:
        start = last + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            last = reader.line_num
            log(f"coach batch: {name}:{start}: malformed CSV ({e}); recorded as an error")
            yield start, None, f"line {start}: malformed CSV ({e})"
            continue
        last = reader.line_num
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(cols):
            log(f"coach batch: {name}:{start}: {len(row)} fields but the header has {len(cols)}; recorded as an error")
            yield start, None, f"line {start}: {len(row)} fields but the header has {len(cols)} (quote fields with commas)"
            continue
        yield start, dict(zip(cols, row + [""] * (len(cols) - len(row)))), None


def detect_format(name: str, text: str) -> str:
    low = name.lower()
    if low.endswith(".csv"):
        return "csv"
    if low.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    first = text.lstrip("\ufeff \t\r\n")[:1]
    return "jsonl" if first in ("{", "[", "") else "csv"


def parse_input(text: str, fmt: str = "auto", name: str = "input", log: Log = _stderr) -> ParsedInput:
    """Cases from JSONL or CSV text. Bad lines become problems (recorded as errors), never aborts."""
    text = text.lstrip("\ufeff")
    fmt = detect_format(name, text) if fmt == "auto" else fmt
    if fmt not in ("jsonl", "csv"):
        raise UsageError(f"unknown input format {fmt!r}: use jsonl or csv")
    records = _records_from_jsonl(text, log, name) if fmt == "jsonl" else _records_from_csv(text, log, name)

    cases: list[Case] = []
    problems: list[InputProblem] = []
    seen: dict[str, list[int]] = {}
    order: list[str] = []
    for n, obj, bad in records:
        if obj is None:
            problems.append(InputProblem(_line_key(n), _line_key(n), n, bad or f"line {n}: unreadable"))
            order.append(_line_key(n))
            continue
        cid = obj.get("id")
        if not _valid_id(cid):
            why = "no id" if cid in (None, "") else f"the id must be a string or an integer, not {type(cid).__name__}"
            log(f"coach batch: {name}:{n}: {why}; recorded as an error")
            problems.append(InputProblem(_line_key(n), _line_key(n), n, f"line {n}: {why}"))
            order.append(_line_key(n))
            continue
        if isinstance(cid, str):
            cid = cid.strip()
        key = str(cid)
        seen.setdefault(key, []).append(n)
        if len(seen[key]) > 1:
            continue  # every occurrence of a duplicated id is reported below
        order.append(key)
        scenario = obj.get("scenario")
        extra = {k: v for k, v in obj.items() if k not in ("id", "scenario")}
        if scenario is not None and not isinstance(scenario, str):
            problems.append(InputProblem(key, cid, n, f"line {n}: the scenario must be text, not {type(scenario).__name__}"))
        elif not (scenario or "").strip():
            problems.append(InputProblem(key, cid, n, f"line {n}: empty scenario"))
        else:
            cases.append(Case(cid, scenario, n, extra))
    dups = {k: lines for k, lines in seen.items() if len(lines) > 1}
    if dups:
        cases = [c for c in cases if c.key not in dups]
        problems = [p for p in problems if p.key not in dups]
        for key, lines in dups.items():
            where = ", ".join(map(str, lines))
            log(f"coach batch: {name}: id {key!r} is used on lines {where}; none of them was run")
            problems.append(InputProblem(key, key, lines[0], f"id {key!r} is used more than once (lines {where}): "
                                         "ids must be unique, so none of these cases was run"))
    return ParsedInput(cases, problems, order, fmt, name)


def read_input(source: str | Path, fmt: str = "auto", log: Log = _stderr) -> ParsedInput:
    """Read a file (or '-' for standard input) with one-line, exit-2 errors for what cannot be read."""
    if str(source) == "-":
        data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
        name = "<stdin>"
    else:
        path = Path(source)
        name = str(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise UsageError(f"cannot read {name}: no such file") from None
        except IsADirectoryError:
            raise UsageError(f"cannot read {name}: it is a folder, not a file") from None
        except PermissionError:
            raise UsageError(f"cannot read {name}: permission denied") from None
        except OSError as e:
            raise UsageError(f"cannot read {name}: {e.strerror or e}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise UsageError(f"{name} is not UTF-8 text (line {line})") from None
    return parse_input(text, fmt, name, log)


def cases_from_records(records: Sequence[dict], log: Log = _stderr) -> ParsedInput:
    """Input given as Python dicts (for benchmarks and tests): the same rules as a JSONL file."""
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    return parse_input(text, "jsonl", "<records>", log)


# ================================================================================================
# Results file
# ================================================================================================
def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def scenario_digest(text: str) -> str:
    """A short fingerprint of the input text, to notice an id whose scenario changed between runs."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def read_results(path: Path, log: Log | None = None) -> dict[str, dict]:
    """id -> the newest result line for it (later lines win). Unparseable lines are skipped."""
    latest: dict[str, dict] = {}
    if not path.exists():
        return latest
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw)
                key = str(rec["id"])
            except (ValueError, KeyError, TypeError):
                if log:
                    log(f"coach batch: {path}:{n}: not a result line; ignored")
                continue
            latest[key] = rec
    return latest


class ResultsFile:
    """The append-only results file: one writer, one ``write`` per line.

    Each line is in the kernel when ``append`` returns, so Ctrl-C, SIGTERM or kill -9 lose nothing
    that finished. The fsync that also guards against a power cut runs on a thread of its own,
    coalescing lines that finish together: on the event loop it held up every waiting request for
    a disk flush per case."""

    def __init__(self, out_dir: Path, log: Log = _stderr):
        self.dir = out_dir
        self.path = out_dir / RESULTS_NAME
        self.log = log
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self._dirty = threading.Condition()
        self._pending = False
        self._closing = False
        self._syncer: threading.Thread | None = None
        self._sync_error: OSError | None = None

    def open(self) -> dict[str, dict]:
        """Lock the folder, cut a partial last line, and return the newest result per id."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise UsageError(f"--out {self.dir} is a file, not a folder") from None
        except OSError as e:
            raise UsageError(f"cannot create --out folder {self.dir}: {e.strerror or e}") from None
        if not self.dir.is_dir():
            raise UsageError(f"--out {self.dir} is a file, not a folder")
        self._lock()
        self.repair()
        latest = read_results(self.path, self.log)
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as e:
            raise UsageError(f"cannot write {self.path}: {e.strerror or e}") from None
        return latest

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no guard against two writers
            return
        try:
            fd = os.open(self.dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise UsageError(f"cannot write in {self.dir}: {e.strerror or e}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise UsageError(f"another `coach batch` is writing to {self.dir}: wait for it, or use another --out") from None
        self._lock_fd = fd

    def repair(self) -> int:
        """Cut a trailing line that has no newline (a write cut short by a crash). Returns bytes cut."""
        if not self.path.exists():
            return 0
        size = self.path.stat().st_size
        if size == 0:
            return 0
        with open(self.path, "rb+") as fh:
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return 0
            pos, block = size, 65536
            keep = 0
            while pos > 0:
                start = max(0, pos - block)
                fh.seek(start)
                chunk = fh.read(pos - start)
                i = chunk.rfind(b"\n")
                if i >= 0:
                    keep = start + i + 1
                    break
                pos = start
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
        cut = size - keep
        self.log(f"coach batch: {self.path} ended in a partial line ({cut} bytes, a case that was being written "
                 "when an earlier run stopped); removed it, that case runs again")
        return cut

    def append(self, record: dict) -> None:
        assert self._fd is not None, "results file is not open"
        if self._sync_error is not None:
            raise CoachError(f"cannot write {self.path}: {self._sync_error.strerror or self._sync_error}")
        data = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        try:
            written = os.write(self._fd, data)
            while written < len(data):  # a regular file short-writes only when the disk is full
                written += os.write(self._fd, data[written:])
        except OSError as e:
            raise CoachError(f"cannot write {self.path}: {e.strerror or e}") from None
        with self._dirty:
            self._pending = True
            if self._syncer is None:
                self._syncer = threading.Thread(target=self._sync_loop, name="coach-batch-fsync", daemon=True)
                self._syncer.start()
            self._dirty.notify()

    def _sync_loop(self) -> None:
        """fsync after every burst of lines, until ``close`` asks it to stop and nothing is left."""
        while True:
            with self._dirty:
                while not (self._pending or self._closing):
                    self._dirty.wait()
                if not self._pending:
                    return
                self._pending = False
            try:
                os.fsync(self._fd)
            except OSError as e:
                self._sync_error = e
                return

    def close(self) -> None:
        if self._syncer is not None:  # the last lines reach the disk before the file is closed
            with self._dirty:
                self._closing = True
                self._dirty.notify()
            self._syncer.join()
            self._syncer = None
        for attr in ("_fd", "_lock_fd"):
            fd = getattr(self, attr)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, attr, None)


# ================================================================================================
# Privacy
# ================================================================================================
@dataclass
class Gate:
    """What may be sent for a case: the text, what was found, and a reason when it is held back."""

    text: str
    found: dict[str, int] = field(default_factory=dict)
    action: str = ""             # "" (nothing found) | redacted | allowed | local | held
    skip_reason: str | None = None

    def record(self) -> dict | None:
        """What goes into the result line. ``raw_text_kept`` says that results.jsonl holds the personal
        data as written (the report and the page's downloads show placeholders unless --allow-pii)."""
        if not self.found:
            return None
        return {"found": self.found, "action": self.action, "raw_text_kept": self.action in ("local", "allowed")}


def privacy_gate(scenario: str, model: str, mode: str = "hold") -> Gate:
    """Decide what of ``scenario`` may go to ``model`` under the user's choice ``mode``."""
    from .pipeline import is_remote_model

    found = pii.kinds_found(scenario)
    if not found:
        return Gate(scenario)
    if mode == "redact":
        return Gate(pii.redact(scenario).text, found, "redacted")
    if mode == "allow":
        return Gate(scenario, found, "allowed")
    if not is_remote_model(model):
        return Gate(scenario, found, "local")
    reason = (f"personal data found ({pii.describe(found)}): not sent to {model}. Remove it, or run with "
              "--redact-pii to replace it with placeholders, or --allow-pii to send it as it is")
    return Gate(scenario, found, "held", reason)


# ================================================================================================
# Progress
# ================================================================================================
def _fmt_duration(s: float) -> str:
    s = max(0, int(round(s)))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class Progress:
    """ok / error / skipped counts, rate and ETA on stderr: a live bar on a terminal, lines otherwise."""

    def __init__(self, total: int, stream=None, tty: bool | None = None, interval: float | None = None,
                 enabled: bool = True):
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval = interval if interval is not None else (0.2 if self.tty else 10.0)
        self.enabled = enabled
        self.counts = {s: 0 for s in STATUSES}
        self.t0 = time.perf_counter()
        self._base = 0
        self._last = 0.0
        self._width = 0
        self._recent: deque[float] = deque(maxlen=200)  # finish times, for a rate that ignores warm-up
        self.phase = ""

    def start(self, phase: str = "") -> None:
        """Start the clock for rate and ETA (cases recorded before this do not count toward the rate)."""
        self.t0 = time.perf_counter()
        self._base = self.done
        self.phase = phase

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    def add(self, status: str, show: bool = True) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
        self._recent.append(time.perf_counter())
        if show:
            self.show()

    def line(self) -> str:
        now = time.perf_counter()
        elapsed = now - self.t0
        rate = self.rate(now)
        left = self.total - self.done
        eta = _fmt_duration(left / rate) if rate > 0 and left else ("0:00" if not left else "--:--")
        c = self.counts
        text = (f"{self.done}/{self.total}  ok {c['ok']}  error {c['error']}  skipped {c['skipped']}  "
                f"{rate:.1f}/s  elapsed {_fmt_duration(elapsed)}  ETA {eta}")
        if self.phase and self.done == self._base and left:
            text += f"  ({self.phase})"
        if self.tty:
            width = 24
            filled = int(width * self.done / self.total) if self.total else width
            return f"coach batch [{'█' * filled}{'░' * (width - filled)}] {text}"
        return f"coach batch: {text}"

    def rate(self, now: float | None = None) -> float:
        """Cases per second over the recent finishes (the first ones pay for model loading)."""
        now = now or time.perf_counter()
        recent = [t for t in self._recent if t >= self.t0][-100:]
        if len(recent) >= 5 and now > recent[0]:
            return (len(recent) - 1) / (now - recent[0])
        elapsed = now - self.t0
        return (self.done - self._base) / elapsed if elapsed > 0 else 0.0

    def show(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last < self.interval and self.done < self.total:
            return
        if not self.tty and not force and self.done >= self.total:
            return  # the final line is printed by finish()
        self._last = now
        text = self.line()
        if self.tty:
            pad = max(0, self._width - len(text))
            self._width = len(text)
            self.stream.write("\r" + text + " " * pad)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if not self.enabled:
            return
        self.show(force=True)
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


# ================================================================================================
# The worker thread for CPU work
# ================================================================================================
class CpuWorker:
    """One daemon thread that runs every embedding-bound step in order (see the module docstring).

    A daemon rather than a pool so that Ctrl-C or SIGTERM return at once instead of waiting for a
    chunk's embedding pass to end."""

    def __init__(self) -> None:
        self._q: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="coach-batch-cpu", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            fut, fn, args = item
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn(*args))
            except BaseException as e:  # handed to the awaiting coroutine
                fut.set_exception(e)

    def submit(self, fn, *args) -> concurrent.futures.Future:
        fut: concurrent.futures.Future = concurrent.futures.Future()
        self._q.put((fut, fn, args))
        return fut

    async def run(self, fn, *args):
        return await asyncio.wrap_future(self.submit(fn, *args))

    def close(self) -> None:
        self._q.put(None)


# ================================================================================================
# The run
# ================================================================================================
@dataclass
class BatchCounts:
    """What a run did. ``ok``/``error``/``skipped`` describe every case of the input after the run."""

    total: int = 0
    ok: int = 0
    error: int = 0
    skipped: int = 0
    already_ok: int = 0          # ok from an earlier run, not sent again
    ran: int = 0                 # cases this run finished (any status)
    earlier_errors: int = 0      # failed earlier and not retried (no --retry-errors)
    prompt_tokens: int = 0       # this run
    completion_tokens: int = 0
    cost_usd: float | None = None
    elapsed_s: float = 0.0
    interrupted: str | None = None
    results_path: str = ""
    report_path: str = ""
    # ``ok`` is the results file's status; of those, how many were answered and how many were declined
    # as out of scope (not about managing or leading people): a coach reads "ok" as "answered".
    answered: int = 0
    out_of_scope: int = 0
    pii_raw_kept: int = 0        # cases whose personal data results.jsonl holds as written
    report_pii: str = ""         # "placeholders" (default) or "as written" (--allow-pii)

    @property
    def exit_code(self) -> int:
        return 0 if self.total and self.ok == self.total and not self.interrupted else 1

    def to_dict(self) -> dict:
        d = asdict(self)
        d["exit_code"] = self.exit_code
        return d


class BatchInterrupted(CoachError):
    """Ctrl-C or SIGTERM: finished cases are saved; the same command resumes."""

    def __init__(self, message: str, code: int, counts: BatchCounts):
        super().__init__(message)
        self.exit_code = code
        self.counts = counts


def _error_text(e: BaseException, secret: str | None) -> str:
    if isinstance(e, CoachError):
        msg = str(e)
    else:
        first = (str(e).strip().splitlines() or [""])[0]
        msg = f"{type(e).__name__}: {first}" if first else type(e).__name__
    if secret:
        msg = msg.replace(secret, "***")
    return msg[:500]


def _usage_of(feedback: dict) -> dict:
    u = feedback.get("usage") or {}
    return {k: u[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens", "cost_usd") if u.get(k) is not None}


class _Runner:
    def __init__(self, parsed: ParsedInput, results: ResultsFile, latest: dict[str, dict], model: str, opts,
                 k: int, concurrency: int, pii_mode: str, retry_errors: bool, store, chunk: int,
                 progress: Progress, log: Log):
        self.parsed, self.results, self.latest = parsed, results, latest
        self.model, self.opts, self.k, self.store = model, opts, k, store
        self.concurrency, self.pii_mode, self.retry_errors, self.chunk = concurrency, pii_mode, retry_errors, chunk
        self.progress, self.log = progress, log
        self.counts = BatchCounts(total=parsed.total)
        self.in_flight: set[asyncio.Task] = set()
        self.signal: str | None = None

    # -- recording ---------------------------------------------------------------------------
    def write(self, rec: dict, show: bool = True) -> None:
        self.results.append(rec)
        self.latest[str(rec["id"])] = rec
        self.counts.ran += 1
        self.progress.add(rec["status"], show)
        usage = rec.get("usage") or {}
        self.counts.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        self.counts.completion_tokens += int(usage.get("completion_tokens") or 0)
        if usage.get("cost_usd") is not None:
            self.counts.cost_usd = (self.counts.cost_usd or 0.0) + float(usage["cost_usd"])

    def base(self, cid: Any, line: int, fields: dict | None = None) -> dict:
        return {"id": cid, "status": "error", "feedback": None, "error": None, "elapsed_s": 0.0,
                "line": line, "fields": fields or {}, "model": self.model, "finished_at": None}

    def record_unchanged(self, key: str, status: str, error: str | None) -> bool:
        old = self.latest.get(key)
        return bool(old and old.get("status") == status and old.get("error") == error)

    # -- planning ----------------------------------------------------------------------------
    def plan(self) -> list[tuple[Case, Gate]]:
        """Record input problems and privacy holds; return the cases to send, with their gates."""
        todo: list[tuple[Case, Gate]] = []
        changed = 0
        for p in self.parsed.problems:
            if self.record_unchanged(p.key, "error", p.reason):
                self.progress.add("error", show=False)
                continue
            rec = self.base(p.id, p.line)
            rec.update(error=p.reason, input_error=True, finished_at=_now())
            self.write(rec, show=False)
        for case in self.parsed.cases:
            old = self.latest.get(case.key)
            digest = scenario_digest(case.scenario)
            if old and old.get("status") == "ok":
                self.counts.already_ok += 1
                if old.get("scenario_sha") and old["scenario_sha"] != digest:
                    changed += 1
                continue
            if old and old.get("status") == "error" and not old.get("input_error") and not self.retry_errors \
                    and old.get("scenario_sha") == digest:
                self.counts.earlier_errors += 1
                continue
            gate = privacy_gate(case.scenario, self.model, self.pii_mode)
            if gate.skip_reason:
                if self.record_unchanged(case.key, "skipped", gate.skip_reason):
                    self.progress.add("skipped", show=False)
                    continue
                rec = self.base(case.id, case.line, case.fields)
                rec.update(status="skipped", error=gate.skip_reason, pii=gate.record(), scenario_sha=digest,
                           finished_at=_now())
                self.write(rec, show=False)
                continue
            todo.append((case, gate))
        if changed:
            self.log(f"coach batch: {changed} case(s) already ok have a different scenario than when they ran; "
                     "their earlier result is kept (give a changed case a new id to run it again)")
        if self.counts.earlier_errors:
            self.log(f"coach batch: {self.counts.earlier_errors} case(s) failed in an earlier run and were not sent "
                     "again: add --retry-errors to send them")
        return todo

    # -- one case ----------------------------------------------------------------------------
    def _finish_local(self, prep, t0: float):
        from .engines import Request, compose
        from .pipeline import finish

        if not prep.in_scope:
            from .engines import Draft
            from .pipeline import out_of_scope_answer

            draft = Draft(out_of_scope_answer(), self.model)
        else:
            draft = compose(self.model, Request(prep.scenario, prep.sources, prep.lens), self.opts)
        return finish(prep, draft, self.model, prep.prep_s + time.perf_counter() - t0)

    async def reflect(self, prep, cpu: CpuWorker, release: Callable[[], None]):
        """``pipeline.areflect`` with its CPU half (verification) moved to the worker thread.

        ``release`` frees the case's concurrency slot as soon as the model has answered, so the
        next request goes out while this answer waits its turn for verification."""
        from .engines import Draft, Request, acompose
        from .pipeline import finish, is_remote_model, out_of_scope_answer

        t0 = time.perf_counter()
        if not is_remote_model(self.model):
            return await cpu.run(self._finish_local, prep, t0)
        try:
            if prep.in_scope:
                draft = await acompose(self.model, Request(prep.scenario, prep.sources, prep.lens), self.opts)
            else:
                draft = Draft(out_of_scope_answer(), self.model)
        finally:
            release()
        return await cpu.run(finish, prep, draft, self.model, prep.prep_s + time.perf_counter() - t0)

    async def run_case(self, case: Case, gate: Gate, prep, prep_error: str | None, cpu: CpuWorker,
                       release: Callable[[], None]) -> None:
        try:
            await self._run_case(case, gate, prep, prep_error, cpu, release)
        finally:
            release()

    async def _run_case(self, case: Case, gate: Gate, prep, prep_error: str | None, cpu: CpuWorker,
                        release: Callable[[], None]) -> None:
        t0 = time.perf_counter()
        rec = self.base(case.id, case.line, case.fields)
        rec["scenario_sha"] = scenario_digest(case.scenario)
        if gate.found:
            rec["pii"] = gate.record()
        try:
            if prep_error:
                raise CoachError(prep_error)
            fb = await self.reflect(prep, cpu, release)
            if gate.action == "redacted":
                fb.notices.append(f"Personal data was replaced with placeholders before this case was processed: "
                                  f"{pii.describe(gate.found)}.")
            feedback = fb.to_dict()
            rec.update(status="ok", feedback=feedback, elapsed_s=round(fb.elapsed_s or (time.perf_counter() - t0), 3))
            usage = _usage_of(feedback)
            if usage:
                rec["usage"] = usage
        except asyncio.CancelledError:
            raise
        except Exception as e:  # one case's failure never stops the others
            rec.update(status="error", error=_error_text(e, getattr(self.opts, "api_key", None)),
                       elapsed_s=round(time.perf_counter() - t0, 3))
        rec["finished_at"] = _now()
        self.write(rec)

    # -- the whole run -----------------------------------------------------------------------
    def _prepare(self, texts: list[str]):
        """One embedding pass for a chunk; if it fails, case by case so one bad case stays alone."""
        from .pipeline import prepare_many

        try:
            return [(p, None) for p in prepare_many(texts, self.k, self.store)]
        except CoachError as e:
            if not isinstance(e, UsageError):
                raise  # the store or the model is unusable: nothing in this batch can run
        except Exception:
            pass
        out = []
        for t in texts:
            try:
                out.append((prepare_many([t], self.k, self.store)[0], None))
            except UsageError as e:
                out.append((None, str(e)))
            except CoachError:
                raise
            except Exception as e:
                out.append((None, _error_text(e, None)))
        return out

    async def run(self, todo: list[tuple[Case, Gate]]) -> None:
        if not todo:
            return
        cpu = CpuWorker()
        sem = asyncio.Semaphore(self.concurrency)
        # A first chunk of one wave (C cases) gets requests out while the next, full-size chunk is
        # being prepared: preparing more before the first request only delays every later wave.
        first = min(self.chunk, max(4, self.concurrency))
        chunks = [todo[:first]] + [todo[i:i + self.chunk] for i in range(first, len(todo), self.chunk)]
        pending = cpu.submit(self._prepare, [g.text for _, g in chunks[0]])
        try:
            for ci, chunk in enumerate(chunks):
                prepared = await asyncio.wrap_future(pending)
                pending = None
                half = max(1, len(chunk) // 2)
                for j, ((case, gate), (prep, err)) in enumerate(zip(chunk, prepared)):
                    if j == half and ci + 1 < len(chunks):  # prefetch the next chunk's retrieval
                        pending = cpu.submit(self._prepare, [g.text for _, g in chunks[ci + 1]])
                    await sem.acquire()
                    task = asyncio.create_task(self.run_case(case, gate, prep, err, cpu, _once(sem.release)))
                    self.in_flight.add(task)
                    task.add_done_callback(self.in_flight.discard)
                if pending is None and ci + 1 < len(chunks):
                    pending = cpu.submit(self._prepare, [g.text for _, g in chunks[ci + 1]])
            while self.in_flight:
                await asyncio.gather(*list(self.in_flight))
        except BaseException:
            for t in list(self.in_flight):
                t.cancel()
            if self.in_flight:
                await asyncio.gather(*list(self.in_flight), return_exceptions=True)
            if pending is not None:
                pending.cancel()
            raise
        finally:
            cpu.close()

    def tally(self) -> None:
        c = self.counts
        c.ok = c.error = c.skipped = c.answered = c.out_of_scope = c.pii_raw_kept = 0
        for key in self.parsed.order:
            rec = self.latest.get(key) or {}
            status = rec.get("status")
            info = rec.get("pii") or {}
            if info.get("found") and info.get("action") in ("local", "allowed") and rec.get("feedback"):
                c.pii_raw_kept += 1
            if status == "ok":
                c.ok += 1
                if (rec.get("feedback") or {}).get("in_scope", True):
                    c.answered += 1
                else:
                    c.out_of_scope += 1
            elif status == "skipped":
                c.skipped += 1
            else:
                c.error += 1  # failed, or not run because the run was stopped


def _check_engine(model: str, opts) -> None:
    """An unknown model, a missing API key or a refused --api-base fails here, once, instead of once per
    case after the embedding."""
    from .pipeline import is_remote_model

    if not is_remote_model(model):
        return
    try:
        from .engines.llm import preflight
    except ImportError:  # pragma: no cover - the engine module is part of the package
        return
    try:
        preflight(model, opts)
    except CoachError as e:
        raise UsageError(str(e)) from None


def _once(fn: Callable[[], None]) -> Callable[[], None]:
    """``fn`` callable any number of times, run only the first (a slot is freed exactly once)."""
    done = False

    def call() -> None:
        nonlocal done
        if not done:
            done = True
            fn()

    return call


async def _main(runner: _Runner, todo) -> None:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    try:
        loop.add_signal_handler(signal.SIGTERM, lambda: (setattr(runner, "signal", "SIGTERM"), task.cancel()))
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or not POSIX
        pass
    async def tick() -> None:  # redraw (terminal) or print a line (otherwise) even while nothing finishes
        while True:
            await asyncio.sleep(runner.progress.interval)
            runner.progress.show()

    ticker = asyncio.create_task(tick())
    try:
        await runner.run(todo)
    finally:
        ticker.cancel()
        try:
            loop.remove_signal_handler(signal.SIGTERM)
        except (NotImplementedError, RuntimeError, ValueError):
            pass


def run_batch(
    source: str | Path | Sequence[dict],
    out_dir: str | Path,
    model: str | None = None,
    opts=None,
    *,
    k: int | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    pii_mode: str = "hold",
    retry_errors: bool = False,
    fmt: str = "auto",
    store=None,
    chunk: int = CHUNK,
    progress: bool | None = None,
    report: bool = True,
    log: Log = _stderr,
) -> BatchCounts:
    """Run every case of ``source`` (a JSONL/CSV path, '-' for stdin, or a list of dicts) into ``out_dir``.

    Returns the counts; ``counts.exit_code`` is 0 when every case of the input is ok, else 1.
    Raises ``UsageError`` (exit 2) for what makes the run impossible, ``BatchInterrupted`` on Ctrl-C
    or SIGTERM (after saving everything finished and writing the report).
    """
    from . import config
    from .engines import EngineOptions

    t0 = time.perf_counter()
    model = model or config.default_model()
    opts = opts or EngineOptions()
    k = k or config.DEFAULT_K
    if pii_mode not in PII_MODES:
        raise UsageError(f"pii_mode must be one of {', '.join(PII_MODES)}")
    if not 1 <= int(concurrency) <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")
    if not 1 <= int(k) <= 20:
        raise UsageError("-k must be between 1 and 20")
    if out_dir is None or str(out_dir) == "":
        raise UsageError("give an output folder with --out DIR")
    out = Path(out_dir)
    _check_engine(model, opts)
    parsed = read_input(source, fmt, log) if isinstance(source, (str, Path)) else cases_from_records(source, log)
    if parsed.total == 0:
        raise UsageError(f"{parsed.name} has no cases: one JSON object per line, or a CSV with id,scenario columns")

    results = ResultsFile(out, log)
    latest = results.open()
    bar = Progress(parsed.total, enabled=progress is not False)
    runner = _Runner(parsed, results, latest, model, opts, k, int(concurrency), pii_mode, retry_errors, store,
                     max(1, int(chunk)), bar, log)
    interrupted: str | None = None
    try:
        todo = runner.plan()
        c = runner.counts
        bar.total = parsed.total - c.already_ok - c.earlier_errors
        if progress is not False:
            log(f"coach batch: {parsed.total} case(s) in {parsed.name}: {c.already_ok} already ok, "
                f"{len(todo)} to send to {model}" + (f" (concurrency {concurrency})" if len(todo) > 1 else ""))
        bar.start("retrieving passages; the first cases also load the models" if todo else "")
        try:
            asyncio.run(_main(runner, todo))
        except KeyboardInterrupt:
            interrupted = "Ctrl-C"
        except asyncio.CancelledError:
            interrupted = runner.signal or "cancellation"
        bar.finish()
        runner.tally()
        c.elapsed_s = round(time.perf_counter() - t0, 3)
        c.interrupted = interrupted
        c.results_path = str(results.path)
        if report:
            c.report_path = str(write_report(out, parsed, latest, model, allow_pii=pii_mode == "allow"))
            c.report_pii = "as written" if pii_mode == "allow" else "placeholders"
    finally:
        results.close()
    if interrupted:
        code = 143 if interrupted == "SIGTERM" else 130
        raise BatchInterrupted(
            f"stopped by {interrupted}: {c.ran} case(s) finished in this run and are saved in {results.path}; "
            "run the same command again to resume", code, c)
    return c


def write_report(out: Path, parsed: ParsedInput, latest: dict[str, dict], model: str,
                 allow_pii: bool = False) -> Path:
    """Render ``report.html`` from the newest result of every case of this input, atomically.

    The report is for sharing: personal data in it becomes placeholders unless ``allow_pii``."""
    from .reports.batch import render_report

    records = [latest[k] for k in parsed.order if k in latest]
    missing = [k for k in parsed.order if k not in latest]
    html_text = render_report(records, title="Reflection Coach: batch report", input_name=parsed.name,
                              model=model, not_run=missing, allow_pii=allow_pii)
    path = out / REPORT_NAME
    tmp = out / (REPORT_NAME + ".tmp")
    tmp.write_text(html_text, encoding="utf-8")
    os.replace(tmp, path)
    return path


__all__ = ["run_batch", "BatchCounts", "BatchInterrupted", "Case", "ParsedInput", "parse_input", "read_input",
           "read_results", "privacy_gate", "Progress", "ResultsFile"]
