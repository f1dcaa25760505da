"""What the articles recommend, as data (issue 29): every curated word is in the passage the plan cites, word
for word; a wrong one is refused by name; an article added to the corpus reaches the plan's steps with
`coach ingest` as the only step."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

DELEGATION = """---
id: delegation-habits
title: "Letting Go: Delegation for Managers Who Answer Every Call"
author: null
origin: test-fixture
---

Many managers become the bottleneck of their own teams. Every decision, however small, travels up to them, and the team learns that asking is safer than deciding.

The habit is rarely the team's fault. Each time the manager answers a question the team could have answered, the team learns to ask again.

Write down the ten decisions that reached your desk last week and mark the ones your team could have made without you. Tell your team which of those decisions are now theirs, and what result you expect from them.

When someone calls with a question, ask “what would you do?” before you answer. Most of the time their answer is good enough, and saying so builds their confidence.

Expect mistakes in the first weeks and review them together instead of taking the decisions back.
"""
ADDED_ADVICE = ("Write down the ten decisions that reached your desk last week",
                "Tell your team which of those decisions are now theirs",
                "ask “what would you do?” before you answer",
                "Expect mistakes in the first weeks")
STORES = ("I run four hardware stores with a store manager in each. Sales targets are met every month. But the store "
          "managers phone me about every decision, even which shelf to put a new product on, and when I am on holiday "
          "nothing gets decided. I want them to run their stores. How do I get them to decide for themselves?")


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_every_curated_quote_is_word_for_word_in_the_passage_the_plan_cites():
    from coach.corpus.practices import corpus_practices, passage_by_id

    rows = yaml.safe_load((ROOT / "corpus" / "practices.yaml").read_text(encoding="utf-8"))["practices"]
    practices = {p.id: p for p in corpus_practices(ROOT / "corpus")}
    assert len(rows) >= 30 and len(practices) == len(rows), "every curated row is loaded, none derived"
    sides = {p.side for p in practices.values()}
    assert sides == {"management", "leadership", "both"}
    for row in rows:
        p = practices[row["id"]]
        passage = _flat(passage_by_id(p.passage_id, ROOT / "corpus").text)
        assert _flat(row["sentence"]) in passage, row["id"]
        for q in row.get("quotes") or []:
            assert _flat(q) in passage, (row["id"], q)      # exact, punctuation and case as written
        if row.get("speaker"):                              # credited as the corpus credits it
            assert row["speaker"].split()[-1] in passage, (row["id"], row["speaker"])
        assert row.get("needs") and row.get("steps") and row.get("questions"), row["id"]
        for form in row["steps"] + row["questions"]:        # slots are the four the plan fills, nothing else
            assert not set(__import__("re").findall(r"\{(\w+)\}", form)) - {"people", "each", "problem", "number"}


def test_no_two_practices_quote_one_article_sentence():
    """Each practice quotes sentences of its own: the passage on the outside world and on resources once gave
    two practices one sentence, which then stood in 26 of the 60 dev answers (issue 29 counts answers
    holding one article sentence). Now "resources" quotes that passage's heading."""
    from coach.common.text import normalize, sentence_spans
    from coach.corpus.practices import corpus_practices, passage_by_id

    owner: dict[str, str] = {}
    for p in corpus_practices(ROOT / "corpus"):
        text = passage_by_id(p.passage_id, ROOT / "corpus").text
        spans = [normalize(text[a:b]) for a, b in sentence_spans(text)]
        for q in p.quotes:
            held = {s for s in spans if normalize(q) in s}
            assert held, (p.id, q)
            for s in held:
                assert owner.setdefault(s, p.id) == p.id, (s[:60], owner[s], p.id)


def test_a_quote_that_is_not_in_its_passage_is_refused_by_name(tmp_path):
    from coach.corpus.practices import corpus_practices
    from coach.errors import CorpusError

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    f = corpus / "practices.yaml"
    text = f.read_text(encoding="utf-8")
    # a quote that is in the corpus, but in another passage than its practice's sentence
    changed = text.replace('quotes: ["a process in place that produces a measurable result"',
                           'quotes: ["Leadership is influence, nothing more, nothing less."', 1)
    assert changed != text
    f.write_text(changed, encoding="utf-8")
    with pytest.raises(CorpusError, match=r"practice process-per-area: the quote .* is not word for word in the passage"):
        corpus_practices(corpus)
    f.write_text(text.replace("a process in place that produces a measurable result",
                              "a process in place that produces measurable results", 1), encoding="utf-8")
    with pytest.raises(CorpusError, match="process-per-area"):
        corpus_practices(corpus)


def test_advice_sentences_are_what_an_article_tells_the_reader_to_do():
    from coach.corpus.practices import advice_sentences

    body = DELEGATION.split("---", 2)[2]
    found = advice_sentences(body)
    for advice in ADDED_ADVICE:
        assert any(advice in s for s in found), (advice, found)
    assert not any(s.startswith(("Many managers", "The habit", "Most of the time")) for s in found), found


@pytest.mark.timeout(600)
def test_an_added_article_reaches_the_plan_with_ingest_as_the_only_step(tmp_path, ingested):
    """The issue's own case: a sixth article, on delegation, added to corpus/ and ingested; a situation about
    exactly that gets a step in the article's own words, cited to its passage, and every sentence passes."""
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "delegation.md").write_text(DELEGATION, encoding="utf-8")
    env = dict(os.environ, COACH_CORPUS_DIR=str(corpus), COACH_DATA_DIR=str(tmp_path / "data"))

    def coach(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "coach.cli", *args], capture_output=True, text=True, env=env,
                              cwd=str(tmp_path), timeout=500)

    ing = coach("ingest")
    assert ing.returncode == 0, ing.stderr
    out = coach("reflect", "--json", "--no-save", STORES)
    assert out.returncode == 0, out.stderr
    fb = json.loads(out.stdout)
    sources = {s["id"]: s for s in fb["sources"]}
    added = [st for st in fb["plan"]["steps"] if st.get("step_source_id")
             and sources[st["step_source_id"]]["doc_id"] == "delegation-habits"]
    assert added, [st["text"] for st in fb["plan"]["steps"]]
    for st in added:
        assert any(a.lower() in st["text"].lower() for a in ADDED_ADVICE), st["text"]
        assert _flat(st["text"].rstrip(".")) in _flat(sources[st["step_source_id"]]["text"])
        assert f"[{st['step_source_id']}]" in fb["raw_answer"]
    failed = [(s["text"], s["reason"]) for s in fb["checks"]["sentences"] if s["checked"] and not s["supported"]]
    assert not failed, failed
    # without the article, the same situation's steps come from the five articles only
    plain = subprocess.run([sys.executable, "-m", "coach.cli", "reflect", "--json", "--no-save", STORES],
                           capture_output=True, text=True, cwd=str(ROOT), timeout=300)
    assert plain.returncode == 0, plain.stderr
    assert all(not st.get("step_source_id") for st in json.loads(plain.stdout)["plan"]["steps"])
