"""The results file read through its typed line (``coach.batch.results.ResultLine``): lines written by
the previous version still resume, a line with a key no version writes is not a result line, and the
user's own columns travel in ``fields`` whatever they are called. Real files, the real embedding model
for the cases that run (the built-in engine, no model server)."""
from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from coach.batch import ResultLine, parse_line, read_results, run_batch

A = "My team keeps missing deadlines and I end up redoing the project plan myself every week."
B = "Two departments are merging next quarter and my people are anxious about what the change means for them."
C = "A senior engineer on my team wants to grow into a lead role; how do I develop her?"


class Log(list):
    def __call__(self, msg: str) -> None:
        self.append(msg)


def old_line(cid, status, **extra):
    """A line in the shape the previous version wrote: no ``scenario_sha`` yet, ``pii`` without
    ``raw_text_kept`` (the key order of its ``base`` record)."""
    rec = {"id": cid, "status": status, "feedback": None, "error": None, "elapsed_s": 0.4, "line": 1,
           "fields": {}, "model": "extractive", "finished_at": "2026-01-01T00:00:00+00:00"}
    rec.update(extra)
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"


def test_a_results_file_from_the_previous_version_resumes(ingested, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    results = out / "results.jsonl"
    feedback = {"in_scope": True, "scenario": A, "answer": "earlier answer", "notices": []}
    old = (old_line("a", "ok", feedback=feedback, fields={"status": "team lead", "id": "x-7"},
                    pii={"found": {"email": 1}, "action": "local"})
           + old_line("b", "error", error="openai/x failed: boom", line=2))
    results.write_text(old, encoding="utf-8")

    rows = [{"id": "a", "scenario": A}, {"id": "b", "scenario": B}, {"id": "c", "scenario": C}]
    log = Log()
    counts = run_batch(rows, out, store=ingested, progress=False, report=False, log=log)

    assert not any("not a result line" in m for m in log), log
    text = results.read_text(encoding="utf-8")
    assert text.startswith(old)  # the earlier lines are kept as they were
    new = [json.loads(x) for x in text[len(old):].splitlines()]
    # "a" was ok and is not sent again; "b" failed before scenario fingerprints existed, so it runs again
    assert sorted(r["id"] for r in new) == ["b", "c"] and all(r["status"] == "ok" for r in new)
    assert (counts.total, counts.ok, counts.already_ok, counts.ran, counts.exit_code) == (3, 3, 1, 2, 0)
    assert counts.pii_raw_kept == 1  # read from the old line's action: it has no raw_text_kept
    latest = read_results(results)
    assert latest["a"]["feedback"]["answer"] == "earlier answer"
    assert parse_line(latest["a"]).fields == {"status": "team lead", "id": "x-7"}
    assert all(parse_line(latest[k]).scenario_sha for k in ("b", "c"))


def test_a_line_with_an_unknown_key_is_not_a_result_line(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text(old_line("a", "ok", feedback={"in_scope": False}, fields={"anything": [1, {"x": None}]})
                    + old_line("b", "ok", feedbak={"in_scope": True})
                    + old_line("c", "done")
                    + '{"status": "ok"}\n', encoding="utf-8")
    log = Log()
    latest = read_results(path, log)
    assert list(latest) == ["a"]
    assert [m.split(": ", 1)[1] for m in log] == [f"{path}:{n}: not a result line; ignored" for n in (2, 3, 4)]
    line = parse_line(latest["a"])
    assert line.key == "a" and not line.in_scope and line.fields == {"anything": [1, {"x": None}]}


def test_the_typed_line_forbids_extra_keys_and_keeps_integer_ids():
    assert ResultLine.model_validate({"id": 7, "status": "error"}).key == "7"
    assert isinstance(ResultLine.model_validate({"id": 7, "status": "error"}).id, int)
    with pytest.raises(ValidationError):
        ResultLine.model_validate({"id": "a", "status": "ok", "scenario": A})
    with pytest.raises(ValidationError):
        ResultLine.model_validate({"id": "a", "status": "ok", "pii": {"found": {}, "action": "held", "values": ["x"]}})


def test_the_results_file_is_its_owners_alone_even_when_an_older_run_left_it_world_readable(ingested, tmp_path):
    """results.jsonl keeps the cases as written, personal data included (issue 31, item 9): 0600 like the
    journal, and a file an earlier version created 0644 is narrowed when the run opens it."""
    import os
    import stat

    out = tmp_path / "run"
    out.mkdir()
    old = out / "results.jsonl"
    old.write_text(old_line("a", "error", error="boom"), encoding="utf-8")
    os.chmod(old, 0o644)
    run_batch([{"id": "a", "scenario": A}, {"id": "b", "scenario": B}], out, store=ingested, progress=False,
              report=True, log=Log())
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    assert stat.S_IMODE((out / ".coach-batch.lock").stat().st_mode) == 0o600
    fresh = tmp_path / "fresh"
    run_batch([{"id": "a", "scenario": A}], fresh, store=ingested, progress=False, report=True, log=Log(),
              pii_mode="allow")
    assert stat.S_IMODE((fresh / "results.jsonl").stat().st_mode) == 0o600
    assert stat.S_IMODE((fresh / "report.html").stat().st_mode) == 0o600  # holds the words as written
