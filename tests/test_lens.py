"""The lens: deterministic, backed by corpus passages, and agreeing with labelled situations."""
from __future__ import annotations

from pathlib import Path

from coach.models.poles import AXES
from training.lens_tune import agreement, labelled_situations
from coach.reading import read


def lens(scenario: str):
    """One scenario's lens, as the reading places it (the pipeline cites its sources afterwards)."""
    return read(scenario).lens

ROOT = Path(__file__).resolve().parent.parent


def test_every_axis_is_backed_by_a_corpus_passage():
    from coach.models.poles import pole_vectors

    _, backing = pole_vectors()
    assert set(backing) == {a.name for a in AXES}
    assert all(backing.values()), backing


def test_deterministic_and_complete():
    s = "Nobody on my team knows where we are heading; they do what is asked and nothing more."
    a, b = lens(s), lens(s)
    assert a == b
    assert a.leaning in ("management", "leadership", "both")
    assert len(a.dimensions) == len(AXES)
    assert all(abs(d.management + d.leadership - 1) < 0.01 for d in a.dimensions)


def test_clear_cases_point_the_right_way():
    assert lens("We keep missing deadlines because nobody tracks the work and there is no process; "
                "I need a plan, owners, metrics and a weekly status check.").leaning == "management"
    assert lens("My team has no sense of direction or purpose. I want to inspire them with a vision of what we "
                "could become and empower them to find a better way.").leaning == "leadership"


def test_agreement_on_labelled_situations():
    pairs = labelled_situations()
    assert len(pairs) >= 15
    # measured 0.676 on 34 labelled situations when tuned (see coach/lens.py); a drop means a regression
    assert agreement(pairs) >= 0.65


def test_the_lens_follows_the_need_on_labelled_situations():
    """The lens now reads the situation (coach.reading.situation): on the labelled situations of cases.yaml
    (part of what the case and direct models were trained on; the neighbours' vote never counts a
    situation's own label) it measures 0.676 (23/34); held out as a writer group (trained on all the
    others) 0.441, and 0.441 in-sample too without the direct model, which this floor would catch.
    The held-out figure is in `coach eval` (lens_agreement_test), the others in coach/need_train.py."""
    pairs = labelled_situations()
    from coach.reading.situation import read_many

    got = [r.leaning for r in read_many([s for s, _ in pairs])]
    assert sum(g == y for g, (_, y) in zip(got, pairs)) / len(pairs) >= 0.6


def test_sources_hold_the_framework_passage_the_need_calls_for(ingested):
    """Management's vocabulary, a leadership need: the sources (k + LENS_SOURCES, ranked for the needs)
    hold the corpus's own statement of the leadership side, which plain similarity to the words misses.
    (A cosine floor on the added passages once dropped exactly these, in 43 of 106 dev situations.)"""
    from coach.retrieval.sources import LENS_SOURCES
    from coach.pipeline import prepare

    prep = prepare("Every process is documented, our ticket metrics are green, yet two of my best people feel "
                   "like cogs.", 5, ingested)
    assert prep.lens.leaning == "leadership"
    assert len(prep.sources) == 5 + LENS_SOURCES
    assert len({s.passage_id for s in prep.sources}) == len(prep.sources)
    assert any("Leadership is about getting results through people." in s.text for s in prep.sources)
    assert not any("Leadership is about getting results through people." in h.text for h in prep.hits)


def test_the_lens_follows_an_edited_corpus_without_a_restart(tmp_path, monkeypatch):
    """A long-running page once kept the lens passages it loaded at start-up after the corpus changed
    (an lru_cache with no corpus stamp): the lens cited a passage id that no longer existed."""
    import shutil
    import time

    from coach.models.poles import AXES, pole_vectors

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    monkeypatch.setenv("COACH_CORPUS_DIR", str(corpus))
    axis = next(a for a in AXES if a.name == "processes vs people")
    before = pole_vectors()[1][axis.name]
    assert before
    path = next(p for p in corpus.glob("*.md") if axis.anchor in p.read_text(encoding="utf-8"))
    time.sleep(0.01)
    path.write_text(path.read_text(encoding="utf-8").replace(axis.anchor, axis.anchor + " Always."), encoding="utf-8")
    after = pole_vectors()[1][axis.name]
    assert after and after != before, "the lens still backs its axis with the passage of the old corpus"


def _every_eval_situation() -> list[str]:
    import yaml

    root = Path(__file__).resolve().parent.parent / "evals"
    out = []
    for name in ("cases.yaml", "situations.yaml", "situations_train.yaml", "coaching.yaml"):
        for c in yaml.safe_load((root / name).read_text(encoding="utf-8"))["cases"]:
            if c.get("scenario") and c.get("kind", "situation") == "situation":
                out.append(c["scenario"])
    return out


def test_the_headline_its_sentence_and_the_chart_never_disagree():
    """Issue 31 (item 1) and 32: "leadership" over 7 of 11 axes leaning management, and "toward management on
    change vs transformation" at 0.50/0.50. One rule (coach.reading.lens.centred) gives all three: over every
    situation of the evals (about 1,370), a one-sided headline has at least half its axes on its side and the
    middle axis at least SIDE_CENTRE toward it; "both" keeps the middle axis near the centre; the sentence under
    the headline names only axes on an allowed side, none of them balanced."""
    from coach.reading.lens import BOTH_CENTRE, NAMED_MIN, SIDE_CENTRE
    from coach.reading.situation import read_many
    from coach.web.page import leaning_sentence, lens_rows

    texts = _every_eval_situation()
    assert len(texts) > 1200
    seen, unsure = set(), 0
    for text, rd in zip(texts, read_many(texts)):
        rows = lens_rows(rd.lens)
        assert len(rows) == len(AXES), text
        pos = sorted(r["position"] for r in rows)
        median = pos[len(pos) // 2]
        sign = {"leadership": 1, "management": -1}.get(rd.lens.leaning, 0)
        if sign:
            assert sign * median >= SIDE_CENTRE - 0.01, (rd.lens.leaning, pos, text)
            assert sum(1 for p in pos if sign * p > 0) * 2 >= len(pos), (rd.lens.leaning, pos, text)
        else:
            assert abs(median) <= BOTH_CENTRE + 0.01, (pos, text)
        sentence = leaning_sentence(rd.lens)
        for r in rows:
            for side, label in (("leadership", r["leadership_label"]), ("management", r["management_label"])):
                named = f"toward {side} on" in sentence and f"{r['axis']} \\({label}\\)" in sentence
                if named:
                    assert abs(r["position"]) >= NAMED_MIN and (r["side"] == side), (r, sentence)
                    assert rd.lens.leaning in (side, "both") or rd.lens.second == side, (rd.lens.leaning, sentence)
        if rd.lens.second:  # unsure: one side, the other named, in the headline's own sentence
            assert rd.lens.leaning in ("management", "leadership") and rd.lens.second != rd.lens.leaning, text
            assert f"leans toward **{rd.lens.leaning}**, with a {rd.lens.second} side" in sentence, sentence
            unsure += 1
        else:
            assert ", with a " not in sentence, sentence
        seen.add(rd.lens.leaning)
    assert seen == {"management", "leadership", "both"}
    assert 0 < unsure < len(texts) // 5, unsure  # some readings are unsure; most are not


def test_an_unsure_reading_says_so_in_the_answer_and_the_contract(ingested):
    """Issue 32, item 2: where "both" was the first choice and the discount made it one side, the answer says
    "mostly a management question, with a leadership side" rather than "both"; the Feedback JSON carries it."""
    import json

    from coach.pipeline import reflect
    from coach.reading.situation import read_many
    from coach.reports.answer import feedback_markdown

    texts = _every_eval_situation()[:400]
    text, rd = next((t, r) for t, r in zip(texts, read_many(texts)) if r.second_side)
    fb = reflect(text, store=ingested)
    assert (fb.lens.leaning, fb.lens.second) == (rd.leaning, rd.second_side)
    assert f"mostly a {rd.leaning} question, with a {rd.second_side} side" in fb.answer_markdown, fb.answer_markdown
    assert json.loads(fb.to_json())["lens"]["second"] == rd.second_side
    assert f"with a {rd.second_side} side" in feedback_markdown(fb)
    # and a model is told the same (its prompt's reading of the needs)
    from coach.engines.base import Request
    from coach.engines.prompt import build_messages
    from coach.pipeline import prepare

    prep = prepare(text, store=ingested)
    said = "\n".join(m["content"] for m in build_messages(Request(prep.scenario, prep.sources, prep.lens,
                                                                    reading=prep.reading, plan=prep.plan)))
    assert f"{rd.leaning}, with a {rd.second_side} side (the reading was unsure)" in said, said[-1500:]
