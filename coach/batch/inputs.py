"""The batch's input: JSONL or CSV cases, read forgivingly, every bad line kept as a problem to report.

Why forgiving and never aborting: a run of thousands of cases should not stop at line 3,012. A line
that cannot run (malformed, no id, empty scenario, duplicate id) becomes an ``InputProblem``, which
the runner records as an error with its line number, and the rest runs.
"""
from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..errors import UsageError

Log = Callable[[str], None]


def stderr_log(msg: str) -> None:
    """The default ``log``: one line on standard error, at once (progress lines interleave with it)."""
    print(msg, file=sys.stderr, flush=True)


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


def parse_input(text: str, fmt: str = "auto", name: str = "input", log: Log = stderr_log) -> ParsedInput:
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
            cases.append(Case(cid, scenario or "", n, extra))
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


def read_input(source: str | Path, fmt: str = "auto", log: Log = stderr_log) -> ParsedInput:
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


def cases_from_records(records: Sequence[dict], log: Log = stderr_log) -> ParsedInput:
    """Input given as Python dicts (for benchmarks and tests): the same rules as a JSONL file."""
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    return parse_input(text, "jsonl", "<records>", log)

