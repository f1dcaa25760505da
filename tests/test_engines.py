"""A new built-in engine is one file and one line of the registry (issue 30): a toy engine added that way
is used by the pipeline, the turn (no key, no personal-data hold: it keeps the text here), the batch and
the page's engine list, with nothing else edited. Real store, real embedding model."""
from __future__ import annotations

import sys
import textwrap

import pytest

TOY = textwrap.dedent('''
    """A toy built-in engine: one file."""
    from coach.engines.base import Draft


    def compose(req):
        problems = [c.text for c in req.reading.problems] if req.reading else []
        first = problems[0] if problems else req.scenario
        return Draft(text=f"Toy engine: you wrote that “{first}”.", model="toy")
''')


@pytest.fixture
def toy_engine(tmp_path, monkeypatch):
    (tmp_path / "toy_engine.py").write_text(TOY, encoding="utf-8")   # the one file
    monkeypatch.syspath_prepend(str(tmp_path))
    from coach import engines

    monkeypatch.setitem(engines.BUILTIN, "toy", "toy_engine")        # the one registry line
    yield "toy"
    sys.modules.pop("toy_engine", None)


SITUATION = "Our releases slip every month, but nobody owns the integration tests. Mail me at kim@example.com."


def test_a_toy_engine_answers_through_the_pipeline_and_the_turn(ingested, toy_engine, tmp_path):
    from coach.engines import builtin_engines, get_engine
    from coach.turn import privacy_gate, take_turn

    engine = get_engine("toy")
    assert engine.is_builtin and not engine.is_remote and not engine.needs_key
    assert "toy" in builtin_engines()
    assert privacy_gate(SITUATION, "toy").action == "local"   # personal data stays here: not held back
    out = take_turn(SITUATION, model="toy", store=ingested, save=False)
    fb = out.feedback
    assert fb.model == "toy" and fb.in_scope
    assert fb.raw_answer.startswith("Toy engine: you wrote that “") and "releases slip" in fb.raw_answer
    assert fb.checks.sentences and fb.checks.sentences[0].against == "parts"  # checked like any engine, by kind
    assert [p.label for p in fb.checks.sentences[0].parts] == ["your words"]
    assert "✓ *your words*" in fb.answer_markdown


def test_a_toy_engine_runs_a_batch(ingested, toy_engine, tmp_path):
    from coach.batch import read_results, run_batch

    counts = run_batch([{"id": "a", "scenario": SITUATION}], tmp_path / "out", model="toy", store=ingested,
                       progress=False, report=False, log=lambda m: None)
    assert counts.exit_code == 0
    line = read_results(tmp_path / "out" / "results.jsonl")["a"]
    assert line["status"] == "ok" and line["feedback"]["model"] == "toy"
    assert line["pii"]["action"] == "local"


def test_an_unknown_name_is_not_a_builtin_engine():
    from coach.engines import get_engine

    assert not get_engine("toy").is_builtin  # without its registry line, "toy" is a litellm model name
