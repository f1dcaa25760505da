"""Scope and language: what the coach is for, and which text is English."""
from __future__ import annotations

from pathlib import Path

import pytest

from coach.reading.scope import is_english

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("text,english", [
    ("My team keeps missing deadlines and nobody tracks the work.", True),
    ("<img src=x onerror=alert(1)><b>URGENT</b> My team keeps missing deadlines and I do not know why. "
     "![x](http://127.0.0.1:9/x.png) [click](javascript:alert(1))", True),
    ("Mi equipo cumple todos los plazos pero nadie sabe hacia dónde vamos.", False),
    ("Ich leite seit drei Monaten ein Team von acht Entwicklern und die Stimmung ist schlecht.", False),
    ("Hi", True),
])
def test_language(text, english):
    assert is_english(text) is english


@pytest.mark.parametrize("text", [
    "My cattery helper left the gate open and a cat got out.",
    "My assistant at the bridal shop cries whenever a bride is rude to her.",
    "Somebody behind my bar has been pouring free pints for their mates.",
    "we are 3 co-owners of a bar and one of us drink too much during service",
    "The greenkeepers I oversee at the golf club refuse to start before 7.",
    "I run a puppet theatre with four puppeteers and one keeps changing the script mid-show.",
    "Two of my bell ringers refuse to ring with the new learner.",
])
def test_someone_who_works_for_the_writer_is_named_in_the_words_of_a_trade(text):
    """Short real situations the word lists and the old embedding margin turned away (round 8, s8a)."""
    from coach.reading.scope import _works_for_writer

    assert _works_for_writer(text), text


@pytest.mark.parametrize("text", [
    "My daughter's dance teacher shouts at the girls and she's scared to go back.",
    "My knee hurts when I run downhill, should I stop running?",
    "How do I manage aphids on my tomato plants without spraying chemicals?",
    "My flatmate never washes up and leaves pans in the sink for days.",
    "My sourdough never rises properly, what am I doing wrong?",
    "My fantasy football team is bottom of the league my mates set up.",
    "The plumber never came back to fix our boiler and it's freezing.",
])
def test_family_friends_and_the_trades_hired_at_home_are_not_workers(text):
    from coach.reading.scope import _works_for_writer

    assert not _works_for_writer(text), text


def test_the_scope_model_takes_in_every_real_text_of_the_held_out_writer(monkeypatch):
    """evals/scope.yaml's test split (150 short real situations, 60 private requests by a writer whose texts
    were never trained or tuned on): measured 150/150 real taken in and 22/60 private turned away by the word
    lists and the model; the old margin took in 140 real and turned away 25 private."""
    from training.scope_train import test_split

    monkeypatch.chdir(ROOT)
    got = test_split()
    assert got["real taken in"] == "150/150", got["missed"]
    assert int(got["private turned away"].split("/")[0]) >= 18, got


def test_the_scope_model_file_is_what_its_training_writes(tmp_path, monkeypatch):
    """The shipped model is reproducible from the files in the repository (no stale weights)."""
    import json

    from training import scope_train

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(scope_train, "MODEL_PATH", tmp_path / "scope_model.json")
    scope_train.train()
    fresh = json.loads((tmp_path / "scope_model.json").read_text())
    shipped = json.loads(scope_train.SHIPPED.read_text())
    assert fresh["lexicon"]["terms"] == shipped["lexicon"]["terms"]
    assert max(abs(a - b) for a, b in zip(fresh["coef"], shipped["coef"])) < 1e-3
