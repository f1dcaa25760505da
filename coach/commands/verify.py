"""`coach verify`: the coach's checks on answers written anywhere else, one answer or a JSONL log of them.

Kept apart from the command registry so the verifier's front end (input formats, the severity policy,
one result line per input line) lives next to the verifier, and `coach --help` imports none of it.

Inputs:
- ``coach verify FILE|-``: one answer, checked against the whole corpus (the coach's own articles);
- ``coach verify --passages FILE FILE|-``: one answer against its own passages. The passages file is a
  JSON list of strings, or JSONL (one string, or one ``{"text": ...}`` object, per line), or plain
  text with passages separated by blank lines;
- ``coach verify --jsonl FILE|-``: one ``{"id", "answer", "passages": [...], "scenario"?}`` per line,
  one result line per input line on stdout, in order; a malformed line gets ``{"id", "line", "error"}``
  (no ``flagged``: it was never checked) and the run goes on;
- ``--scenario TEXT|FILE``: the manager's situation, the second source of truth.

One verdict per answer, in --json and in each --jsonl line (issue 31, item 3): ``flagged`` is true when any
check failed (``flags`` names them: a sentence marked unsupported in ``checks.sentences`` always flags its
answer); ``failed`` and ``fail_reasons`` are what the severity policy makes of it, and decide the exit code.
Each sentence carries the ``threshold`` its ``score`` was held to (``supported`` implies ``score >=
threshold``): ``support_threshold`` against the passages; for a sentence checked part by part (with
``--scenario``, and the coach's own answers), the ``floor`` of the part that decided, each part reporting its own.

Severity (``checks.answer.flag_reasons``): invalid citations, unverified or misattributed quotes and invented
facts about the situation always fail; unsupported sentences fail only with ``--fail-on unsupported``
or ``--min-on-corpus X``. Exit 0: nothing failed; 1: something did (or a JSONL line was malformed);
2: usage error.
"""
from __future__ import annotations

import json
import os
import sys

from ..errors import UsageError


def add_arguments(p) -> None:
    p.add_argument("file", nargs="?", default=None, metavar="FILE|-", help="the answer text, or '-' for stdin")
    p.add_argument("--jsonl", default=None, metavar="FILE|-",
                   help='many answers: one {"id","answer","passages":[...],"scenario"?} per line; '
                   "one result line per input line")
    p.add_argument("--passages", default=None, metavar="FILE",
                   help="the passages the answer was written from (JSON list, JSONL, or blank-line separated text); "
                   "default: the whole corpus")
    p.add_argument("--scenario", default=None, metavar="TEXT|FILE",
                   help="the manager's situation: sentences about it are checked against it")
    p.add_argument("--fail-on", choices=["unsupported"], default=None,
                   help="also fail on unsupported sentences (by default they are marked, not failed)")
    p.add_argument("--min-on-corpus", type=float, default=None, metavar="X",
                   help="also fail when the share of supported sentences is below X (0..1)")
    p.add_argument("--json", action="store_true", help="print the checks as JSON")


def _read(path: str, what: str) -> str:
    if path == "-":
        from .common import read_text_arg

        return read_text_arg("-", what)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None


def parse_passages(text: str, where: str) -> list[str]:
    """A JSON list of strings, JSONL (strings or {"text": ...}), or blank-line separated text."""
    stripped = text.strip()
    if not stripped:
        raise UsageError(f"{where}: no passages in this file")
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as e:
            raise UsageError(f"{where}: not a JSON list ({e.msg}, line {e.lineno})") from None
        if not all(isinstance(x, str) for x in data):
            raise UsageError(f"{where}: the JSON list must hold strings")
        out = [x for x in data if x.strip()]
    elif stripped.startswith(("{", '"')):
        out = []
        for n, line in enumerate(stripped.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                raise UsageError(f"{where}:{n}: not a JSON line") from None
            val = obj.get("text") if isinstance(obj, dict) else obj
            if not isinstance(val, str):
                raise UsageError(f"{where}:{n}: expected a string or {{\"text\": ...}}")
            out.append(val)
    else:
        import re

        out = [" ".join(b.split()) for b in re.split(r"\n\s*\n", stripped) if b.strip()]
    if not out:
        raise UsageError(f"{where}: no passages in this file")
    return out


def _scenario_arg(value: str | None) -> str | None:
    if value is None:
        return None
    if value != "-" and os.path.isfile(value):
        value = _read(value, "situation")
    if not value.strip():
        raise UsageError("the situation (--scenario) is empty")
    return value


def checks_dict(checks) -> dict:
    from dataclasses import asdict

    d = asdict(checks)
    d["sentences"] = [{"text": s["text"], "start": s["start"], "end": s["end"], "checked": s["checked"],
                       "supported": s["supported"], "score": s["score"], "threshold": s["threshold"],
                       "reason": s["reason"], "against": s["against"], "cites": s["cites"],
                       "parts": [{"kind": p["kind"], "text": p["text"], "ok": p["ok"], "label": p["label"],
                                  "score": p["score"], "floor": p["floor"], "reason": p["reason"], "cites": p["cites"]}
                                 for p in s["parts"]]}
                      for s in d["sentences"]]
    return d


def verdict(checks, reasons: list[str]) -> dict:
    """The answer's verdict, the same in --json and --jsonl: ``flagged`` when any check failed (``flags`` says
    which); ``failed`` when the severity policy fails it (``fail_reasons``; exit 1)."""
    from ..checks.answer import findings

    flags = findings(checks)
    return {"flagged": bool(flags), "flags": flags, "failed": bool(reasons), "fail_reasons": reasons}


def check_one(answer: str, passages: list[str] | None, scenario: str | None, policy: dict):
    from ..checks.answer import flag_reasons, sources_from, verify_answer

    if passages is None:
        res = verify_answer(answer, [], whole_corpus=True, scenario=scenario)
    else:
        res = verify_answer(answer, sources_from(passages), scenario=scenario, judge="passages")
    return res, flag_reasons(res.checks, **policy)


def _line_item(line: str, n: int):
    """(id, answer, passages, scenario) of one JSONL line, or raise ValueError with the reason."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise ValueError(f"line {n}: not JSON ({e.msg})") from None
    if not isinstance(obj, dict):
        raise ValueError(f"line {n}: expected a JSON object")
    answer, passages, scenario = obj.get("answer"), obj.get("passages"), obj.get("scenario")
    if not isinstance(answer, str) or not answer.strip():
        raise ValueError(f"line {n}: 'answer' must be a non-empty string")
    if not isinstance(passages, list) or not passages or not all(isinstance(p, str) for p in passages):
        raise ValueError(f"line {n}: 'passages' must be a non-empty list of strings")
    if scenario is not None and not isinstance(scenario, str):
        raise ValueError(f"line {n}: 'scenario' must be a string")
    return obj.get("id"), answer, passages, scenario


def run_jsonl(text: str, policy: dict, out=None) -> int:
    out = out or sys.stdout
    any_bad = False
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        ident = None
        try:
            try:
                ident = json.loads(line).get("id")
            except Exception:
                ident = None
            ident, answer, passages, scenario = _line_item(line, n)
            res, reasons = check_one(answer, passages, scenario, policy)
            row = {"id": ident, **verdict(res.checks, reasons), "checks": checks_dict(res.checks),
                   "quotes": [{"speaker": q.speaker, "text": q.text, "verified": q.verified, "reason": q.reason}
                              for q in res.quotes]}
            any_bad = any_bad or bool(reasons)
        except ValueError as e:
            # no "flagged": an unreadable line was never checked, so it is neither flagged nor passed, and a
            # pipeline that keeps the lines whose "flagged" is false must not count it as clean
            row = {"id": ident, "line": n, "error": str(e)}
            any_bad = True
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()
    return 1 if any_bad else 0


def cmd_verify(args) -> int:
    if args.min_on_corpus is not None and not 0 <= args.min_on_corpus <= 1:
        raise UsageError("--min-on-corpus must be between 0 and 1")
    policy = {"fail_on_unsupported": args.fail_on == "unsupported", "min_on_corpus": args.min_on_corpus}
    if args.jsonl is not None:
        if args.file is not None or args.passages is not None or args.scenario is not None:
            raise UsageError("--jsonl takes answers, passages and situations from its lines: give no FILE, "
                             "--passages or --scenario with it")
        return run_jsonl(_read(args.jsonl, "JSONL input"), policy)
    if args.file is None and sys.stdin.isatty():
        raise UsageError("give the answer as FILE, '-' for standard input, or --jsonl FILE")
    text = _read(args.file or "-", "answer")
    if not text.strip():
        raise UsageError("the answer is empty")
    passages = parse_passages(_read(args.passages, "passages"), args.passages) if args.passages else None
    scenario = _scenario_arg(args.scenario)
    res, reasons = check_one(text, passages, scenario, policy)
    if args.json:
        from .common import print_json

        print_json({
            "quotes": [{"speaker": q.speaker, "text": q.text, "verified": q.verified, "reason": q.reason} for q in res.quotes],
            "unsupported_sentences": res.checks.unsupported_sentences,
            "invented_facts": res.checks.invented_facts,
            "invalid_citations": res.checks.invalid_citations,
            "outside_facts": res.checks.outside_facts,
            "sentences": checks_dict(res.checks)["sentences"],
            "on_corpus": res.checks.on_corpus,
            "support_threshold": res.checks.support_threshold,
            **verdict(res.checks, reasons),
            "clean": res.checks.clean,
        })
    else:
        sys.stdout.write(res.annotated.rstrip() + "\n\n")
        from ..common.text import plural

        claims = [s for s in res.checks.sentences if s.checked]
        sys.stdout.write(f"{plural(len(claims), 'claim')} checked, on-corpus {res.checks.on_corpus:.0%}; "
                         f"{sum(q.verified for q in res.quotes)} of {plural(len(res.quotes), 'quote')} verified.\n")
        from ..checks.answer import findings

        flags = findings(res.checks)
        if reasons:
            line = "FAILED: " + "; ".join(reasons)
        elif flags:
            line = ("flagged, not failed: " + "; ".join(flags) + " (marked ⚠; add --fail-on unsupported to fail on "
                    "unsupported sentences)")
        else:
            line = "passed: every check passed"
        sys.stdout.write(line + "\n")
    return 1 if reasons else 0
