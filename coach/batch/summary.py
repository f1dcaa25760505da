"""What a batch run did: the counts, the exception for a stopped run, and the shared report.

``tally`` reads every case of the input through its newest result line (``ResultLine``), so the
counts describe the results file after the run, not only what this run sent.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import CoachError
from .inputs import ParsedInput
from .results import PRIVATE_MODE, parse_line

REPORT_NAME = "report.html"


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
    gave_up: str | None = None   # the store or the model stopped answering and did not come back in time
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
        return 0 if self.total and self.ok == self.total and not (self.interrupted or self.gave_up) else 1

    def to_dict(self) -> dict:
        d = asdict(self)
        d["exit_code"] = self.exit_code
        return d


class BatchGaveUp(CoachError):
    """The store or the model stopped answering and did not come back in time (coach/batch/outage.py):
    finished cases are saved; the same command with --retry-errors resumes."""

    def __init__(self, message: str, counts: BatchCounts):
        super().__init__(message)
        self.counts = counts


class BatchInterrupted(CoachError):
    """Ctrl-C or SIGTERM: finished cases are saved; the same command resumes."""

    def __init__(self, message: str, code: int, counts: BatchCounts):
        super().__init__(message)
        self.exit_code = code
        self.counts = counts


def tally(c: BatchCounts, order: list[str], latest: dict[str, dict]) -> None:
    """Set the per-status counts of ``c`` from the newest result of every case in ``order``."""
    c.ok = c.error = c.skipped = c.answered = c.out_of_scope = c.pii_raw_kept = 0
    for key in order:
        rec = latest.get(key)
        if rec is None:
            c.error += 1  # not run because the run was stopped
            continue
        line = parse_line(rec)
        if line.pii is not None and line.pii.raw_kept and line.feedback:
            c.pii_raw_kept += 1
        if line.status == "ok":
            c.ok += 1
            if line.in_scope:
                c.answered += 1
            else:
                c.out_of_scope += 1
        elif line.status == "skipped":
            c.skipped += 1
        else:
            c.error += 1  # failed


def write_report(out: Path, parsed: ParsedInput, latest: dict[str, dict], model: str,
                 allow_pii: bool = False, sections=None) -> Path:
    """Render ``report.html`` from the newest result of every case of this input, atomically.

    The report is for sharing: personal data in it becomes placeholders unless ``allow_pii``.
    ``sections`` (``reports.batch.Sections``) holds the cases this run already drew."""
    from ..reports.batch import render_report

    records = [latest[k] for k in parsed.order if k in latest]
    missing = [k for k in parsed.order if k not in latest]
    html_text = render_report(records, title="Reflection Coach: batch report", input_name=parsed.name,
                              model=model, not_run=missing, allow_pii=allow_pii, sections=sections)
    path = out / REPORT_NAME
    tmp = out / (REPORT_NAME + ".tmp")
    # made for sharing, so personal data in it is replaced; with --allow-pii it is not, and the file is
    # then its owner's alone, like results.jsonl
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE if allow_pii else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        if allow_pii:
            os.fchmod(fh.fileno(), PRIVATE_MODE)
        fh.write(html_text)
    os.replace(tmp, path)
    return path
