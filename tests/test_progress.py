"""One progress printer for every command (coach.common.progress): a rich bar on a terminal, plain lines in a pipe.

Why: `coach eval` had its own carriage-return counter that printed nothing into a pipe, so a CI log
showed progress for `coach ingest` and none for the eval; both now report through the same printer.
"""
from __future__ import annotations

import io
import re

import yaml

from coach.common.progress import live


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_one_rich_bar_per_key():
    out = Terminal()
    with live("cases", out) as bar:
        for n in range(4):
            bar.update("extractive", min(n, 3), 3, "extractive", f"line {n}")
        bar.update("openai/x", 2, 2, "openai/x", "other")
    text = out.getvalue()
    assert "━" in text and "3/3" in text and "2/2" in text and "cases" in text
    assert "line " not in text  # the plain lines are for pipes only


def test_a_pipe_gets_the_first_and_last_line_and_nothing_in_between():
    out = io.StringIO()
    with live("cases", out) as bar:
        for n in range(1, 11):
            bar.update("m", n, 10, "m", f"coach eval: m {n}/10 cases")
    assert out.getvalue().splitlines() == ["coach eval: m 1/10 cases", "coach eval: m 10/10 cases"]
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_coach_eval_reports_progress_into_a_pipe(ingested, coach_cli, tmp_path):
    """The real command in a subprocess (stderr is a pipe): plain progress lines, the last one complete."""
    cases = {"k": 3, "cases": [
        {"id": "deadlines", "scenario": "We've missed three sprint deadlines in a row and nobody can say where any "
                                        "ticket stands. As their manager, how do I fix this?",
         "expect": {"in_scope": True}},
        {"id": "recipe", "scenario": "What is a good recipe for lemon drizzle cake?", "expect": {"in_scope": False}},
    ]}
    (tmp_path / "cases.yaml").write_text(yaml.safe_dump(cases), encoding="utf-8")
    (tmp_path / "defects.yaml").write_text(yaml.safe_dump({"items": [{
        "id": "clean", "defects": [], "sources": ["Leadership is influence, nothing more, nothing less."],
        "answer": 'John C. Maxwell: "Leadership is influence, nothing more, nothing less." [S1]'}]}), encoding="utf-8")
    proc = coach_cli("eval", "--cases", str(tmp_path / "cases.yaml"), timeout=600)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert lines and all(re.fullmatch(r"coach eval: extractive \d/2 cases", line) for line in lines), proc.stderr
    assert lines[-1] == "coach eval: extractive 2/2 cases"
    assert "\r" not in proc.stderr and "\x1b" not in proc.stderr
    proc = coach_cli("eval", "--cases", str(tmp_path / "cases.yaml"), "--json", timeout=600)
    assert proc.stderr == ""  # --json is for machines: a quiet stderr, as before
