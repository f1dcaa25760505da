"""What a batch run writes down, and what it finds already written: the bookkeeping half of ``Runner``.

Why apart from runner.py: runner.py is about sending (the event loop, the worker thread, the pauses);
this is what makes a run resumable and its counts true. ``write`` appends each result line (counted as
it goes) and ``previous`` reads the newest one of a case; ``plan``, before anything is sent, skips what
an earlier run settled and records input problems and privacy holds instead of sending them;
``error_text`` and ``usage_of`` are what a line says of a failure and of the tokens spent.
``Runner`` inherits this class and adds the sending.
"""
from __future__ import annotations

from typing import Any

from ..common.text import plural
from ..errors import CoachError
from ..turn import Gate, privacy_gate
from .inputs import Case, Log, ParsedInput
from .progress import Progress
from .results import ResultsFile, now, parse_line, scenario_digest
from .summary import BatchCounts, tally


def error_text(e: BaseException, secret: str | None) -> str:
    if isinstance(e, CoachError):
        msg = str(e)
    else:
        first = (str(e).strip().splitlines() or [""])[0]
        msg = f"{type(e).__name__}: {first}" if first else type(e).__name__
    if secret:
        msg = msg.replace(secret, "***")
    return msg[:500]


def usage_of(feedback: dict) -> dict:
    u = feedback.get("usage") or {}
    return {k: u[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens", "cost_usd") if u.get(k) is not None}


class Ledger:
    def __init__(self, parsed: ParsedInput, results: ResultsFile, latest: dict[str, dict], model: str,
                 pii_mode: str, retry_errors: bool, progress: Progress, log: Log):
        self.parsed, self.results, self.latest, self.model = parsed, results, latest, model
        self.pii_mode, self.retry_errors = pii_mode, retry_errors
        self.progress, self.log = progress, log
        self.counts = BatchCounts(total=parsed.total)

    # -- recording ---------------------------------------------------------------------------
    def write(self, rec: dict, show: bool = True) -> None:
        line = parse_line(rec)  # a mistyped key fails here, before it reaches the file
        self.results.append(rec)
        self.latest[line.key] = rec
        self.counts.ran += 1
        self.progress.add(line.status, show)
        usage = line.usage or {}
        self.counts.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        self.counts.completion_tokens += int(usage.get("completion_tokens") or 0)
        if usage.get("cost_usd") is not None:
            self.counts.cost_usd = (self.counts.cost_usd or 0.0) + float(usage["cost_usd"])

    def base(self, cid: Any, line: int, fields: dict | None = None) -> dict:
        return {"id": cid, "status": "error", "feedback": None, "error": None, "elapsed_s": 0.0,
                "line": line, "fields": fields or {}, "model": self.model, "finished_at": None}

    def previous(self, key: str):
        """The typed newest result of ``key`` from an earlier run (or this one), None if there is none."""
        old = self.latest.get(key)
        return parse_line(old) if old else None

    def record_unchanged(self, key: str, status: str, error: str | None) -> bool:
        old = self.previous(key)
        return bool(old and old.status == status and old.error == error)

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
            rec.update(error=p.reason, input_error=True, finished_at=now())
            self.write(rec, show=False)
        for case in self.parsed.cases:
            old = self.previous(case.key)
            digest = scenario_digest(case.scenario)
            if old and old.status == "ok":
                self.counts.already_ok += 1
                if old.scenario_sha and old.scenario_sha != digest:
                    changed += 1
                continue
            if old and old.status == "error" and not old.input_error and not self.retry_errors \
                    and old.scenario_sha == digest:
                self.counts.earlier_errors += 1
                continue
            gate = privacy_gate(case.scenario, self.model, self.pii_mode)
            if gate.skip_reason:
                if self.record_unchanged(case.key, "skipped", gate.skip_reason):
                    self.progress.add("skipped", show=False)
                    continue
                rec = self.base(case.id, case.line, case.fields)
                rec.update(status="skipped", error=gate.skip_reason, pii=gate.record(), scenario_sha=digest,
                           finished_at=now())
                self.write(rec, show=False)
                continue
            todo.append((case, gate))
        if changed:
            one = changed == 1
            self.log(f"coach batch: {plural(changed, 'case')} already ok {'has' if one else 'have'} a different scenario "
                     f"than when {'it' if one else 'they'} ran; {'its' if one else 'their'} earlier result is kept "
                     "(give a changed case a new id to run it again)")
        if self.counts.earlier_errors:
            self.log(f"coach batch: {plural(self.counts.earlier_errors, 'case')} failed in an earlier run and "
                     f"{'was' if self.counts.earlier_errors == 1 else 'were'} not sent again: add --retry-errors to send "
                     f"{'it' if self.counts.earlier_errors == 1 else 'them'}")
        return todo

    def tally(self) -> None:
        tally(self.counts, self.parsed.order, self.latest)
