"""The held-out situation set (evals/situations.yaml) stays checkable: a label that drifts from the
corpus, a fact the manager never wrote or a hand-picked split would corrupt every number measured on it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / "evals" / "check_situations.py"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_situations_file_passes_the_validator_with_the_issue_requirements():
    done = run("--final")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 problem(s)" in done.stdout
    assert "mismatch (one role's words, the other role's need)" in done.stdout


def test_validator_reports_each_kind_of_broken_label(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "cases:\n"
        "  - id: broken-case\n"
        "    split: test\n"            # sha1('broken-case') decides; whichever is wrong is flagged below
        "    scenario: My people miss deadlines and nobody tracks the board.\n"
        "    leaning: managment\n"
        "    vocabulary: neutral\n"
        "    needs: [nobody tracks work]\n"
        "    passages: [\"Management is about getting results through spreadsheets.\", \"short one\"]\n"
        "    facts: [\"the board\", \"weekly stand-up\"]\n"
        "    industry: software\n"
        "    in_scope: true\n"
        "  - id: broken-case\n"
        "    split: dev\n"
        "    scenario: How long do I roast a chicken?\n"
        "    leaning: management\n"
        "    in_scope: false\n"
        "  - id: terse-with-role-word\n"
        "    split: dev\n"
        "    scenario: My team ignores the rota.\n"
        "    tags: [terse]\n"
        "    in_scope: false\n",
        encoding="utf-8")
    done = run("--file", str(bad))
    assert done.returncode == 1
    out = done.stdout
    assert "leaning must be one of" in out
    assert "is not an exact substring of one corpus line" in out
    assert "has 2 words (5-15)" in out
    assert "fact 'weekly stand-up' does not occur in the scenario" in out
    assert "field 'leaning' is not allowed on an out-of-scope case" in out
    assert "broken-case: id used 2 times" in out
    assert "but the hash rule says" in out
    assert "terse-with-role-word: a terse case may not use the role word 'team'" in out


def test_validator_rejects_a_copied_situation(tmp_path):
    copied = tmp_path / "copied.yaml"
    old = tmp_path / "old.yaml"
    old.write_text("cases:\n  - scenario: We have missed three sprint deadlines in a row and nobody knows where tickets stand.\n",
                   encoding="utf-8")
    copied.write_text(
        "cases:\n  - id: copy\n    split: dev\n"
        "    scenario: Honestly we have missed three sprint deadlines in a row and nobody knows where tickets stand.\n"
        "    in_scope: false\n", encoding="utf-8")
    done = run("--file", str(copied), "--cases", str(old))
    assert done.returncode == 1
    assert "shares an 8-word run with evals/cases.yaml" in done.stdout


def test_unreadable_file_is_one_line_and_exit_2(tmp_path):
    done = run("--file", str(tmp_path / "missing.yaml"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "cannot read the situations" in done.stderr
