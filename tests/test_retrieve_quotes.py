"""Retrieval quality and the corpus's attributed statements."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from coach.quotes import corpus_statements, speaker_key
from coach.retrieve import retrieve

ROOT = Path(__file__).resolve().parent.parent


def test_drucker_passage_first(ingested):
    hits = retrieve("my team does things right but maybe not the right things", 5, store=ingested)
    assert "Management is doing things right; leadership is doing the right things" in hits[0].text
    assert {"id", "doc_id", "title", "author", "text", "score"} <= set(hits[0].to_dict())
    assert hits == sorted(hits, key=lambda h: -h.score) or len({h.id for h in hits}) == 5


def test_results_are_diverse(ingested):
    hits = retrieve("Peter Drucker management is doing things right", 5, store=ingested)
    drucker = [h for h in hits if "doing the right things" in h.text]
    assert len(drucker) <= 2, "MMR should not return every copy of the Drucker line"
    assert len({h.doc_id for h in hits}) >= 3


def test_corpus_statements_found_from_text():
    found = {(speaker_key(s.speaker), s.text.rstrip(".")) for s in corpus_statements(ROOT / "corpus") if s.direct}
    assert ("drucker", "Management is doing things right; leadership is doing the right things") in found
    assert ("maxwell", "Leaders become great, not because of their power, but because of their ability to empower others") in found
    assert ("maxwell", "Leadership is influence, nothing more, nothing less") in found
    reported = [s for s in corpus_statements(ROOT / "corpus") if not s.direct]
    assert reported and reported[0].speaker == "John C. Maxwell" and "maintainers" in reported[0].text


def test_a_new_article_with_a_new_quote_is_found(tmp_path, coach_cli):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "bennis.md").write_text(
        "---\nid: bennis\ntitle: On Bennis\nauthor: null\n---\n\n"
        "Warren Bennis once said, “The manager asks how and when; the leader asks what and why.” It stuck with me.\n"
    )
    r = coach_cli("quotes", "--corpus", str(corpus), "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert {"speaker": "Warren Bennis", "text": "The manager asks how and when; the leader asks what and why.",
            "doc_id": "bennis"}.items() <= next(g for g in got if g["speaker"] == "Warren Bennis").items()


def test_cli_search_reads_stdin_and_rejects_empty(coach_cli, ingested):
    r = coach_cli("search", "-k", "2", "--json", "-", input="leaders inspire and empower people")
    assert r.returncode == 0 and len(json.loads(r.stdout)) == 2
    r = coach_cli("search", "-", input="   ")
    assert r.returncode == 2 and "empty" in r.stderr and "Traceback" not in r.stderr
