"""The eval files are typed: a mistyped key is one clear error from `coach eval`, never a silent no-op.

Before, ``leanning: management`` in evals/cases.yaml read as "no leaning label": the case was scored
on less than its author meant and every number still looked fine. These tests run the real `coach
eval` (a subprocess, as a maintainer types it) on a copy of the real suite with one key misspelled,
in each file the eval reads and at each level (the file, a case, a case's ``expect``), and ask for
exit 2, one line naming the file, the case and the key, and no traceback.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from coach.errors import UsageError
from coach.evals import load_defects, load_situations, load_suite
from coach.evals.suite import load_coaching
from coach.evals.schema import CaseEntry, DefectEntry, Expect, SituationEntry

ROOT = Path(__file__).resolve().parent.parent
EVALS = ROOT / "evals"


def _copy_suite(tmp_path: Path) -> Path:
    """The real cases, situations and defects files, side by side in a temp folder (as `coach eval` finds them)."""
    for name in ("cases.yaml", "situations.yaml", "defects.yaml", "coaching.yaml", "coaching_answers.jsonl"):
        shutil.copy(EVALS / name, tmp_path / name)
    return tmp_path


def _misspell(path: Path, pattern: str, replacement: str) -> str:
    """Replace the first line matching ``pattern`` (a regex on whole lines); the id of the item it is in."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if re.match(pattern, line))
    lines[n] = re.sub(pattern, replacement, lines[n])
    path.write_text("".join(lines), encoding="utf-8")
    ids = [re.search(r"\bid: *['\"]?([\w-]+)", line) for line in lines[: n + 1]]
    found = [m.group(1) for m in ids if m]
    return found[-1] if found else ""


def _one_error_line(proc) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coach: error: "), proc.stderr
    return lines[0]


@pytest.mark.parametrize("file, pattern, replacement, key, meant", [
    ("cases.yaml", r"^(\s+)leaning:", r"\1leanning:", "expect.leanning", "leaning"),  # inside a case's expect
    ("cases.yaml", r"^(\s+)kind:", r"\1knid:", "knid", "kind"),                        # a case's own key
    ("situations.yaml", r"^(\s+)facts:", r"\1fact:", "fact", "facts"),                 # a labelled situation
    ("defects.yaml", r"^(\s+)answer:", r"\1anwser:", "anwser", "answer"),              # a seeded-defect answer
])
def test_a_mistyped_key_is_one_line_naming_file_case_and_key(coach_cli, tmp_path, file, pattern, replacement, key,
                                                             meant):
    folder = _copy_suite(tmp_path)
    item = _misspell(folder / file, pattern, replacement)
    assert item, "the misspelled key sits in no item"
    line = _one_error_line(coach_cli("eval", "--cases", str(folder / "cases.yaml")))
    assert str(folder / file) in line and f"'{item}'" in line, line
    assert line.endswith(f"unknown key '{key}' (did you mean '{meant}'?)"), line


def test_a_mistyped_top_level_key_names_the_file_and_suggests_the_key(coach_cli, tmp_path):
    folder = _copy_suite(tmp_path)
    _misspell(folder / "cases.yaml", r"^thresholds:", "treshold:")
    line = _one_error_line(coach_cli("eval", "--cases", str(folder / "cases.yaml")))
    assert line == f"coach: error: {folder / 'cases.yaml'}: unknown key 'treshold' (did you mean 'thresholds'?)"


def test_the_suggestion_is_the_key_meant(tmp_path):
    folder = _copy_suite(tmp_path)
    cid = _misspell(folder / "cases.yaml", r"^(\s+)leaning:", r"\1leanning:")
    with pytest.raises(UsageError) as e:
        load_suite(folder / "cases.yaml")
    assert str(e.value) == (f"{folder / 'cases.yaml'}: case '{cid}': unknown key 'expect.leanning' "
                            "(did you mean 'leaning'?)")


@pytest.mark.parametrize("expect, needle", [
    ({"in_scope": "yes"}, "'expect.in_scope': Input should be a valid boolean"),   # strict: no "yes" -> True
    ({"docs": [""]}, "'expect.docs': must be a string or a list of non-empty strings"),
    ({"leaning": "sideways"}, "'expect.leaning'"),
    ({"in_scope": True, "zzz": 1}, "unknown key 'expect.zzz' (known: in_scope, leaning, docs, passage_contains, "
                                   "must_not_contain)"),
])
def test_types_are_checked_too(tmp_path, expect, needle):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"cases": [{"id": "a", "scenario": "x", "expect": expect}]}), encoding="utf-8")
    with pytest.raises(UsageError) as e:
        load_suite(path)
    assert str(e.value).startswith(f"{path}: case 'a': ") and needle in str(e.value), str(e.value)


def test_the_real_files_fit_their_models_key_for_key():
    """Every key the real files use is a declared field (so extra="forbid" rejects only typos), and
    the loaders read every labelled situation and defect."""
    cases = yaml.safe_load((EVALS / "cases.yaml").read_text(encoding="utf-8"))["cases"]
    for raw in cases:
        CaseEntry.model_validate(raw)
        assert set(raw.get("expect") or {}) <= set(Expect.model_fields)
    situations = yaml.safe_load((EVALS / "situations.yaml").read_text(encoding="utf-8"))["cases"]
    for raw in situations:
        SituationEntry.model_validate(raw)
    items = yaml.safe_load((EVALS / "defects.yaml").read_text(encoding="utf-8"))["items"]
    for raw in items:
        DefectEntry.model_validate(raw)
    assert len(load_defects(EVALS / "defects.yaml")) == len(items)
    scored = [s for s in situations if s.get("split") in ("dev", "test")]
    assert len(load_situations(EVALS / "situations.yaml")) == len(scored)
    coaching = yaml.safe_load((EVALS / "coaching.yaml").read_text(encoding="utf-8"))["cases"]
    assert len(load_coaching(EVALS / "coaching.yaml")) == len(coaching)
    assert len(load_suite(EVALS / "cases.yaml").cases) == len(cases) + len(scored) + len(coaching)


def test_the_fresh_mistakes_sit_in_the_dev_answers_they_name():
    """evals/coaching_mistakes_more.jsonl (training.claims_check --more): each row replaces one sentence of a dev
    answer, two per answer (an invented fact and a reversal), halves by writer group."""
    from training.claims_check import MORE, more_items

    rows = [json.loads(line) for line in MORE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == 120 and {r["kind"] for r in rows} == {"invented_fact", "reversal"}
    for half, group in (("tune", "w9a"), ("check", "w9b")):
        items = more_items(half)
        assert len(items) == 30 and all(i["writer"] == group and i["split"] == "dev" for i in items)
        for i in items:
            assert sorted(m["kind"] for m in i["mistakes"]) == ["invented_fact", "reversal"]
            assert all(m["changed"] in m["answer"] and m["original"] not in m["answer"] for m in i["mistakes"])


def test_the_fresh_faithful_answers_carry_their_mistakes_in_place():
    """evals/claims_fresh.jsonl (training.claims_check --fresh): 106 faithful answers to situations.yaml dev prompts,
    every sentence labelled ok, each with an invented fact and a reversal replacing one of its sentences."""
    from coach.common.text import sentence_spans
    from training.claims_check import FRESH

    rows = [json.loads(line) for line in FRESH.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == 106 and {r["writer"] for r in rows} == {f"r13-{x}" for x in "abcdef"} | {"r15-a", "r15-b"}
    assert len({r["id"] for r in rows}) == len(rows)   # each situation answered once
    dev = {c["id"] for c in yaml.safe_load((EVALS / "situations.yaml").read_text(encoding="utf-8"))["cases"]
           if c["split"] == "dev"}
    for r in rows:
        assert r["id"] in dev and r["split"] == "fresh" and r["sources"]   # never a held-out situation
        at = 0   # the labels' sentences in order, as the checker cut them when they were labelled
        for lab in r["sentences"]:
            at = r["answer"].index(lab["text"], at) + len(lab["text"])
        assert all(s["label"] == "ok" for s in r["sentences"]) and sentence_spans(r["answer"])
        assert sorted(m["kind"] for m in r["mistakes"]) == ["invented_fact", "reversal"]
        for m in r["mistakes"]:
            assert r["answer"].count(m["original"]) == 1
            assert m["answer"] == r["answer"].replace(m["original"], m["changed"], 1)
