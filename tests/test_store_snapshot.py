"""The embedded store's read snapshot: queries read one .npz instead of importing chromadb, and never
see anything but what Chroma holds (``coach/store.py``, SNAPSHOT_FORMAT)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def small_store(tmp_path):
    """A store of its own (writes here never touch the session's), from three real articles."""
    from coach.corpus.ingest import ingest
    from coach.corpus.store import Store

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in sorted((ROOT / "corpus").glob("*.md"))[:3]:
        shutil.copy(p, corpus / p.name)
    store = Store(path=tmp_path / "chroma")
    assert not ingest(corpus, store).errors
    return store, corpus


def _same_reads(snap, chroma) -> None:
    a, b = snap.all(with_embeddings=True), chroma.all(with_embeddings=True)
    assert [(p.id, p.text, p.metadata) for p in a] == [(p.id, p.text, p.metadata) for p in b]
    assert np.array_equal(np.asarray([p.embedding for p in a]), np.asarray([p.embedding for p in b]))
    sa, sb = snap.sentence_vectors(), chroma.sentence_vectors()
    assert sa.keys() == sb.keys() and all(np.array_equal(sa[k], sb[k]) for k in sa)
    assert snap.passage_ids() == chroma.passage_ids() and snap.count() == chroma.count()


def test_snapshot_reads_equal_chromas_and_nearest_finds_the_same_records(ingested):
    from coach.embedding import embed
    from coach.corpus.store import Store

    snap, chroma = Store(snapshot=True), Store(snapshot=False)
    assert snap.snapshot() is not None and chroma.snapshot() is None
    _same_reads(snap, chroma)
    queries = embed.encode_array(["My team keeps missing deadlines.", "Two of my best people feel like cogs.",
                                  "How do I inspire a team through a merger?", "Our budget is overrun every month."])
    for a, b in zip(snap.nearest(queries, 12), chroma.nearest(queries, 12)):
        assert [i for i, _ in a] == [i for i, _ in b]
        assert np.allclose([s for _, s in a], [s for _, s in b], atol=1e-5)


def test_a_write_makes_the_snapshot_stale_and_the_next_read_sees_it(small_store, tmp_path):
    from coach.corpus.ingest import ingest
    from coach.corpus.store import Store

    store, corpus = small_store
    before = Store(path=store.path).snapshot()
    assert before is not None and before.passages
    token = (store.path / f"coach-{store.name}.version").read_text()
    src = sorted((ROOT / "corpus").glob("*.md"))[3]
    shutil.copy(src, corpus / src.name)  # a fourth article
    assert not ingest(corpus, store).errors
    assert (store.path / f"coach-{store.name}.version").read_text() != token
    after = Store(path=store.path)
    _same_reads(after, Store(path=store.path, snapshot=False))
    assert len(after.passage_ids()) > len(before.passages)
    # a long-lived Store (the page) follows the token, not its memory
    (corpus / src.name).unlink()
    assert not ingest(corpus, store).errors
    assert len(after.passage_ids()) == len(before.passages)


def test_a_foreign_or_broken_snapshot_file_is_never_used(small_store):
    from coach.corpus.store import Store

    store, _ = small_store
    s = Store(path=store.path)
    assert s.snapshot() is not None
    path = store.path / f"coach-{store.name}.snapshot.npz"
    # a snapshot keyed by another token (written by a reader racing a write) is ignored and replaced
    with np.load(path) as z:
        head, vecs = json.loads(bytes(z["head"]).decode()), z["vecs"]
    head["token"] = "stale"
    head["docs"] = ["planted text"] * len(head["docs"])
    np.savez(path, vecs=vecs, head=np.frombuffer(json.dumps(head).encode(), dtype=np.uint8))
    fresh = Store(path=store.path)
    assert "planted text" not in {p.text for p in fresh.all()}
    path.write_bytes(b"not an npz")
    _same_reads(Store(path=store.path), Store(path=store.path, snapshot=False))


def test_a_reflect_after_the_first_does_not_import_chromadb(ingested):
    code = ("import sys; from coach.pipeline import reflect; fb = reflect('My team keeps missing deadlines.', "
            "model='extractive'); print(len(fb.sources), 'chromadb' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT), timeout=300)
            for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr[-800:]
    n, imported = runs[1].stdout.split()
    assert int(n) > 0 and imported == "False", runs[1].stdout
    # and with the snapshot turned off, the same answer reads Chroma
    off = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT), timeout=300,
                         env={**__import__("os").environ, "COACH_STORE_SNAPSHOT": "0"})
    assert off.returncode == 0 and off.stdout.split() == [n, "True"], off.stderr[-800:]
