"""Incremental ingest into a real Chroma store with the real embedding model."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from coach.corpus.ingest import ingest
from coach.corpus.store import Store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def corpus_copy(tmp_path):
    dst = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", dst)
    return dst


def test_second_ingest_changes_nothing_and_embeds_nothing(tmp_path, corpus_copy):
    store = Store(path=tmp_path / "db")
    first = ingest(corpus_copy, store)
    assert first.added > 20 and first.updated == first.removed == first.unchanged == 0
    assert store.count() == first.added
    second = ingest(corpus_copy, Store(path=tmp_path / "db"))
    assert second.counts() == {"added": 0, "updated": 0, "removed": 0, "unchanged": first.added}
    assert second.embedded == 0


def test_edit_replaces_and_delete_removes(tmp_path, corpus_copy):
    store = Store(path=tmp_path / "db")
    n = ingest(corpus_copy, store).added
    f = corpus_copy / "strategy-and-tactics.md"
    f.write_text(f.read_text().replace("To me the distinction is clear.", "To me the distinction is very clear."))
    r = ingest(corpus_copy, store)
    assert (r.added, r.updated, r.removed) == (0, 1, 0) and r.embedded == 1
    assert any("very clear" in p.text for p in store.all())
    assert not any("distinction is clear." in p.text for p in store.all())
    gone = len([p for p in store.all() if p.metadata["doc_id"] == "six-key-instances"])
    (corpus_copy / "six-key-instances.md").unlink()
    r = ingest(corpus_copy, store)
    assert r.removed == gone and r.added == r.updated == 0
    assert store.count() == n - gone
    assert not [p for p in store.all() if p.metadata["doc_id"] == "six-key-instances"]
    # the sentence records of replaced and deleted passages went with them: none is left orphaned
    everything = store.collection().get(include=["metadatas"])
    passages = {i for i, m in zip(everything["ids"], everything["metadatas"]) if m.get("kind") != "sentence"}
    orphans = [m["parent"] for m in everything["metadatas"] if m.get("kind") == "sentence" and m["parent"] not in passages]
    assert not orphans
    assert any(m.get("kind") == "sentence" for m in everything["metadatas"])


def test_a_broken_file_does_not_stop_the_rest_or_lose_its_passages(tmp_path, corpus_copy):
    store = Store(path=tmp_path / "db")
    n = ingest(corpus_copy, store).added
    (corpus_copy / "manager-vs-leader.md").write_bytes(b"---\nid: [oops\n---\n")
    (corpus_copy / "latin1.md").write_bytes("---\nid: x\ntitle: caf\xe9\n---\nbody".encode("latin-1"))
    r = ingest(corpus_copy, store)
    assert len(r.errors) == 2 and any("manager-vs-leader.md" in e for e in r.errors)
    assert r.removed == 0 and store.count() == n


def test_store_built_with_another_model_is_refused(tmp_path):
    import chromadb

    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    client.create_collection("coach_passages", embedding_function=None, metadata={"embed_model": "other", "embed_dim": 768})
    del client
    from coach.errors import StoreError

    with pytest.raises(StoreError, match="re-ingest"):
        Store(path=tmp_path / "db").count()


def test_cli_ingest_json_twice(tmp_path, coach_cli, corpus_copy):
    env = {"COACH_DATA_DIR": str(tmp_path / "data")}
    a = coach_cli("ingest", "--corpus", str(corpus_copy), "--json", env=env)
    assert a.returncode == 0, a.stderr
    first = json.loads(a.stdout)
    b = coach_cli("ingest", "--corpus", str(corpus_copy), "--json", env=env)
    assert json.loads(b.stdout) == {"added": 0, "updated": 0, "removed": 0, "unchanged": first["added"]}


def test_cli_ingest_bad_input(tmp_path, coach_cli, corpus_copy):
    env = {"COACH_DATA_DIR": str(tmp_path / "data")}
    r = coach_cli("ingest", "--corpus", str(tmp_path / "missing"), env=env)
    assert r.returncode == 1 and r.stderr.strip().count("\n") == 0 and "corpus folder not found" in r.stderr
    assert "Traceback" not in r.stderr
    (corpus_copy / "empty.md").write_text("")
    r = coach_cli("ingest", "--corpus", str(corpus_copy), "--json", env=env)
    assert r.returncode == 1 and "empty.md: empty file" in r.stderr and "Traceback" not in r.stderr
    assert json.loads(r.stdout)["added"] > 20  # the rest was still ingested


def test_a_changed_sentence_splitter_replaces_the_stored_sentence_vectors(tmp_path, monkeypatch):
    """Sentence records are embedded beside their passage. If the splitter changes how a passage's
    sentences fall, the stored sentence vectors would describe sentences that no longer exist while
    the passage text is unchanged: the id covers the split too, so re-ingest replaces them."""
    import numpy as np

    from coach.embedding import embed
    from coach.corpus import passages
    from coach.corpus.ingest import ingest
    from coach.corpus.store import Store

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("---\nid: a\ntitle: A\n---\nManagers plan the work and track it every week. "
                                 "Leaders explain why the work matters to the people doing it.\n", encoding="utf-8")
    store = Store(path=tmp_path / "store")
    first = ingest(corpus, store)
    assert first.added == 1 and not first.errors
    real = passages.split_sentences
    monkeypatch.setattr(passages, "split_sentences", lambda text: [text])   # a splitter that no longer splits
    second = ingest(corpus, store)
    assert second.updated == 1 and second.unchanged == 0, second
    monkeypatch.setattr(passages, "split_sentences", real)
    third = ingest(corpus, store)
    assert third.updated == 1, third
    stored = store.sentence_vectors()
    for sid, vec in stored.items():
        pid, n = sid.split("#", 1)
        text = passages.sentence_records(next(p.text for p in store.all() if p.id == pid))[int(n)]
        assert float(np.dot(vec, embed.encode([text])[0])) > 0.9999, sid


def test_ingest_help_names_the_folder_really_read(monkeypatch):
    """Issue 31, item 15: `coach ingest --help` said "default: ./corpus", which is exactly what is not
    read: without --corpus it is $COACH_CORPUS_DIR, else the clone's corpus/, else the packaged copy."""
    from coach import config
    from coach.cli import build_parser

    monkeypatch.delenv("COACH_CORPUS_DIR", raising=False)
    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices and "ingest" in a.choices)  # the subcommands
    for name in ("ingest", "quotes"):
        text = " ".join(sub.choices[name].format_help().split())
        assert "./corpus" not in text, text
        assert "the corpus/ folder of the clone" in text and "the copy installed with the coach" in text, text
        assert f"here: {config.corpus_dir()})" in text, text
