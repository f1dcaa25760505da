"""A native crash in the local model never takes anything else down (issue: SIGILL on AVX-512-FP16/AMX CPUs).

llama.cpp runs in a child process. These tests make that child really die: ``COACH_LOCAL_FAULT=sigill``
makes the worker send itself SIGILL when it is asked to generate (``sigill:TEXT``: only when the prompt
contains TEXT). Nothing is mocked: the CLI, the batch runner, the page and the eval run as users run
them, the child is a real process, and the signal is real.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from coach.engines import local

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "My team keeps missing deadlines and nobody tracks where the work stands."
CRASH = "My team keeps missing deadlines. CRASH-HERE nobody tracks where the work stands."
MSGS = [{"role": "user", "content": "Name two things a good manager does."}]


def _require_extra() -> None:
    st = local.status()
    assert st.available, f"the local model is not usable ({st.problem}); install it: bash scripts/install-local.sh .venv/bin/python"


def _one_line_crash(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr[-2000:]
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    crash = [ln for ln in lines if "the local model crashed (SIGILL)" in ln]
    assert len(crash) == 1, stderr[-2000:]
    assert "coach models" in crash[0]


def test_a_crash_in_the_child_is_an_error_here_and_the_next_request_works(monkeypatch):
    _require_extra()
    monkeypatch.setenv("COACH_LOCAL_FAULT", "sigill:CRASH-HERE")
    local.close()
    with pytest.raises(local.LocalCrash, match=r"crashed \(SIGILL\)"):
        list(local.generate([{"role": "user", "content": CRASH}], {"max_tokens": 8}, timeout=120))
    # this process is alive, and a new child answers the next request for real
    pieces = [p["text"] for p in local.generate(MSGS, {"max_tokens": 8}, timeout=120)]
    assert "".join(pieces).strip()
    local.close()


def test_reflect_prints_one_line_and_exits_1_when_the_model_crashes(coach_cli, ingested):
    _require_extra()
    r = coach_cli("reflect", "--model", "local/smollm2", SCENARIO, env={"COACH_LOCAL_FAULT": "sigill"})
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])  # not 132 / -4: the CLI itself did not die
    _one_line_crash(r.stderr)
    assert r.stderr.startswith("coach: error: ")


def test_reflect_with_the_local_model_prints_an_answer(coach_cli, ingested):
    _require_extra()
    r = coach_cli("reflect", "--model", "local/smollm2", "--json", "My team keeps missing deadlines.", timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    fb = json.loads(r.stdout)
    assert fb["model"] == "local/smollm2" and fb["raw_answer"].strip()


def test_batch_records_the_crashed_case_and_answers_the_others(coach_cli, ingested, tmp_path):
    _require_extra()
    cases = tmp_path / "cases.jsonl"
    rows = [{"id": "a", "scenario": SCENARIO}, {"id": "crash", "scenario": CRASH},
            {"id": "b", "scenario": "Two of my engineers stopped talking in meetings after the reorg."}]
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "run"
    r = coach_cli("batch", str(cases), "--out", str(out), "--model", "local/smollm2", "--concurrency", "2",
                  env={"COACH_LOCAL_FAULT": "sigill:CRASH-HERE"}, timeout=900)
    assert r.returncode == 1, (r.returncode, r.stderr[-3000:])   # a case failed; the run itself finished
    assert "Traceback" not in r.stderr
    results = {d["id"]: d for d in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert set(results) == {"a", "crash", "b"}
    assert results["crash"]["status"] == "error" and "crashed (SIGILL)" in results["crash"]["error"]
    for cid in ("a", "b"):
        assert results[cid]["status"] == "ok", results[cid]
        assert results[cid]["feedback"]["raw_answer"].strip()


def test_eval_reports_the_crashing_engine_as_failed(coach_cli, ingested, tmp_path):
    _require_extra()
    suite = tmp_path / "cases.yaml"
    suite.write_text(
        "k: 5\nthresholds:\n  citation_validity: 1.0\ncases:\n"
        "  - id: deadlines\n    kind: situation\n    scenario: My team keeps missing deadlines and nobody tracks the work.\n"
        "    expect:\n      in_scope: true\n      leaning: management\n")
    # two seeded defects, not 48: the verifier's own measure is not what this test is about (the whole set, run
    # twice, took 83 s of the test run)
    import yaml

    full = yaml.safe_load((ROOT / "evals" / "defects.yaml").read_text(encoding="utf-8"))
    defects = tmp_path / "defects.yaml"
    defects.write_text(yaml.safe_dump({"items": full["items"][:2]}, sort_keys=False), encoding="utf-8")
    r = coach_cli("eval", "--cases", str(suite), "--defects", str(defects),
                  "--model", "local/smollm2", "--json", env={"COACH_LOCAL_FAULT": "sigill"}, timeout=900)
    assert r.returncode == 1, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr
    out = json.loads(r.stdout)
    assert out["counts"]["errors"] >= 1
    assert any("crashed (SIGILL)" in (c.get("error") or "") for c in out["cases"]), out["cases"]
    assert "citation_validity" in out["failing"]
    text = coach_cli("eval", "--cases", str(suite), "--defects", str(defects),
                     "--model", "local/smollm2", env={"COACH_LOCAL_FAULT": "sigill"}, timeout=900)
    assert text.returncode == 1 and "ENGINE FAILED: local/smollm2 could not answer 1 of 1 cases: the local model " \
        "crashed (SIGILL)" in text.stdout, text.stdout[-2000:]


def test_models_says_whether_the_local_model_really_runs_here(coach_cli, tmp_path):
    _require_extra()
    env = {"COACH_DATA_DIR": str(tmp_path / "data")}
    ok = coach_cli("models", "--json", env=env, timeout=300)
    assert ok.returncode == 0, ok.stderr
    row = next(e for e in json.loads(ok.stdout)["engines"] if e["name"] == local.MODEL)
    assert row["ready"] is True and row["details"]["runs_here"] is True, row
    bad = coach_cli("models", "--json", env={**env, "COACH_LOCAL_FAULT": "sigill"}, timeout=300)
    row = next(e for e in json.loads(bad.stdout)["engines"] if e["name"] == local.MODEL)
    assert row["ready"] is False and row["details"]["runs_here"] is False, row
    assert "crashed (SIGILL)" in row["status"] + row["help"]
    # the answer is remembered for this build, CPU and model file: the second look generates nothing
    again = coach_cli("models", "--json", env=env, timeout=300)
    row = next(e for e in json.loads(again.stdout)["engines"] if e["name"] == local.MODEL)
    assert row["details"]["probe_cached"] is True and row["details"]["runs_here"] is True


def test_the_page_shows_the_crash_and_offers_the_built_in_engine(ingested, monkeypatch):
    _require_extra()
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("COACH_LOCAL_FAULT", "sigill")
    at = AppTest.from_file(str(ROOT / "coach" / "web" / "app.py"), default_timeout=600)
    at.run()
    box = next(s for s in at.selectbox if "engine" in (s.label or "").lower() or local.MODEL in (s.options or []))
    box.set_value(local.MODEL).run()
    at.text_area[0].set_value(SCENARIO).run()
    next(b for b in at.button if "Reflect" in (b.label or "")).click().run()
    shown = (" ".join(e.value for e in at.error) + " ".join(str(getattr(w, "value", "")) for w in at.warning)).replace("\\", "")
    assert "crashed (SIGILL)" in shown, shown
    assert any("built-in" in (b.label or "").lower() for b in at.button), [b.label for b in at.button]
    assert not at.exception
