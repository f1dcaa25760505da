"""The issue-12 metrics of `coach eval`: held-out and tuned-on parts apart, engagement, lifted fragments."""
from __future__ import annotations

from pathlib import Path

from coach import evals
from coach.evals import Case, CaseResult, Suite, case_metrics, load_situations, parse_thresholds

ROOT = Path(__file__).resolve().parent.parent


def test_situations_file_loads_with_splits_facts_and_needed_passages(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(
        "cases:\n"
        "  - {id: a, split: dev, scenario: 'We miss deadlines.', leaning: management, in_scope: true,\n"
        "     passages: ['Management is about getting results through processes.'], facts: ['miss deadlines']}\n"
        "  - {id: b, split: test, scenario: 'A recipe please.', in_scope: false}\n"
        "  - {id: c, split: X, scenario: 'not yet assigned'}\n", encoding="utf-8")
    cases = load_situations(f)
    assert [c.id for c in cases] == ["a", "b"]          # no split yet: neither tuned on nor scored
    a = cases[0]
    assert a.split == "dev" and a.facts == ("miss deadlines",) and a.passage_contains
    assert not a.retrieval_labelled                     # scored apart, not mixed into the old recall


def _r(cid, **kw) -> CaseResult:
    return CaseResult(id=cid, kind="situation", model="extractive", scenario="", expect={}, **kw)


def test_metrics_keep_held_out_and_tuned_on_apart():
    cases = (
        Case("t1", "situation", "x", True, "leadership", passage_contains=("p",), split="test", facts=("a", "b")),
        Case("t2", "situation", "x", True, "management", passage_contains=("p",), split="test", facts=("c",)),
        Case("d1", "situation", "x", True, "both", passage_contains=("p",), split="dev", facts=("d", "e")),
        Case("o1", "situation", "x", True, "management"),
    )
    suite = Suite(Path("s.yaml"), 5, {}, cases)
    results = [
        _r("t1", in_scope=True, leaning="leadership", needed_rank=2, facts_found=["a"], on_corpus=1.0),
        _r("t2", in_scope=True, leaning="both", needed_rank=None, facts_found=[], on_corpus=1.0,
           lifted=["Or perhaps it is…"]),
        _r("d1", in_scope=True, leaning="both", needed_rank=1, facts_found=["d", "e"], on_corpus=1.0),
        _r("o1", in_scope=True, leaning="leadership", on_corpus=1.0),
    ]
    m, _ = case_metrics(results, suite)
    assert m["lens_agreement_test"] == 0.5 and m["lens_agreement_dev"] == 1.0
    assert m["lens_agreement"] == 0.0                   # the old suite alone, as before
    assert m["needed_passage_recall_test"] == 0.5 and m["needed_passage_recall_dev"] == 1.0
    assert m["engagement"] == round(2 / 3, 4)           # t1 (1 of 2 = half), d1; not t2
    assert m["lifted_fragments"] == 1.0
    assert m["situation_scope"] == 1.0


def test_lifted_fragments_gate_fails_above_zero():
    t = parse_thresholds({"lifted_fragments": {"max": 0}, "engagement": 0.8}, Path("x.yaml"))
    assert t["lifted_fragments"].ok(0.0) and not t["lifted_fragments"].ok(1.0)
    assert not t["engagement"].ok(0.5)


def test_the_default_suite_includes_the_labelled_situations():
    suite = evals.load_suite(ROOT / "evals" / "cases.yaml")
    splits = {c.split for c in suite.cases}
    assert {"dev", "test"} <= splits
    for name in ("lens_agreement_test", "needed_passage_recall_test", "engagement", "lifted_fragments"):
        assert name in suite.thresholds


def test_the_reader_and_the_source_ranker_never_train_on_the_test_split():
    import yaml

    from training.data import training_cases

    test_ids = {c["id"] for c in yaml.safe_load(open("evals/situations.yaml", encoding="utf-8"))["cases"]
                if c.get("split") == "test"}
    ids = [c["id"] for c in training_cases()]
    assert len(ids) >= 130 and not set(ids) & test_ids


def test_the_vocabulary_management_need_leadership_reverse_gets_the_management_framework_passage(ingested):
    from coach.pipeline import prepare

    prep = prepare("Everyone loves our product vision but nobody owns the deadlines.", 5, ingested)
    assert prep.lens.leaning == "management"
    assert any("Management is about getting results through processes." in s.text for s in prep.sources)
