"""Retrieval quality and the corpus's attributed statements."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from coach.corpus.statements import corpus_statements, speaker_key
from coach.pipeline import search as retrieve

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


def test_stored_vectors_stand_in_for_encoding(ingested):
    """The verifier looks up the vectors ingest stored for passages and their sentences instead of
    encoding them again: every looked-up vector must be the one the model gives for that text."""
    import numpy as np

    from coach.embedding import embed
    from coach.retrieval.hybrid import known_vectors, passage_index

    index = passage_index(ingested)
    table = index.unit_vectors()
    assert len(table) > len(index.passages) * 1.5, "the sentence records are missing from the table"
    texts = list(table)[:: max(1, len(table) // 40)]
    fresh = embed.encode_array(texts)
    for t, f in zip(texts, fresh):
        assert float(np.dot(np.asarray(table[t]), f)) > 0.999, t
    assert set(known_vectors(texts + ["a sentence no article contains, surely"])) == set(texts)


def test_index_follows_the_store(tmp_path, monkeypatch):
    """Retrieval's in-memory index sees passages written behind its back: an unknown id in the query
    results forces a rebuild, and the periodic check of the stored ids sees deletions."""
    import coach.retrieval.hybrid as R
    from coach.embedding import embed
    from coach.corpus.ingest import ingest
    from coach.corpus.store import Store

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    store = Store(path=tmp_path / "db")
    ingest(corpus, store)
    monkeypatch.setattr(R, "RECHECK_S", 3600.0)
    retrieve("warm", 3, store)
    # another process adds a passage through its own Store: this process's in-memory write counter does
    # not move (put back below), so only the store on disk (its version token) says so. (Chroma's
    # embedded client is not safe across processes: a second process is simulated in this one.)
    import coach.corpus.store as store_mod

    text = "Zebra-striped standups: a manager paints the meeting room to lift the mood of the team."
    gen = store_mod.GENERATION
    Store(path=tmp_path / "db").upsert(["zebra:0001"], embed.encode([text]), [text],
                                        [{"doc_id": "zebra", "title": "Zebra standups", "position": 0}])
    monkeypatch.setattr(store_mod, "GENERATION", gen)
    hits = retrieve("zebra-striped standups painting the meeting room", 3, store)
    assert hits[0].id == "zebra:0001" and hits[0].text == text
    # a write through the coach in this process is seen at once, whatever RECHECK_S says: a deleted
    # article's passages never come back (the stale index would still offer them to BM25)
    query = "six key instances where management and leadership differ"
    assert any(h.doc_id == "six-key-instances" for h in retrieve(query, 5, store))
    (corpus / "six-key-instances.md").unlink()
    ingest(corpus, Store(path=tmp_path / "db"))
    assert not any(h.doc_id == "six-key-instances" for h in retrieve(query, 5, store))
    # ...and removes it again: seen at the next check of the stored ids
    gen = store_mod.GENERATION
    Store(path=tmp_path / "db").delete(["zebra:0001"])
    monkeypatch.setattr(store_mod, "GENERATION", gen)
    monkeypatch.setattr(R, "RECHECK_S", 0.0)
    assert all(h.id != "zebra:0001" for h in retrieve("zebra-striped standups painting the meeting room", 5, store))
