"""Top-k passages for a query: relevant, and diverse (maximal marginal relevance).

A plain top-k on a small corpus often returns near-copies of one paragraph; MMR trades a little
similarity to the query for novelty against what is already picked, so the engine sees several
angles on a situation.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

from . import embed
from .store import Store, StoredPassage

MMR_LAMBDA = 0.75  # 1.0 = pure relevance; lower = more diversity
LEX_WEIGHT = 0.4   # weight of the BM25 score (scaled to 0..1 per query) added to the cosine
LEX_FETCH = 20     # lexical candidates added to the semantic ones


class LexicalIndex:
    """BM25 over the stored passages, kept in memory per process (rebuilt when the store changes).

    Embeddings of a small English model miss exact phrasing ("doing things right" vs "the right
    things"); a lexical score added to the cosine brings such passages back."""

    def __init__(self, passages: list[StoredPassage]):
        import math

        from .verify import content_words_list

        self.ids = [p.id for p in passages]
        self.docs = [content_words_list(p.text) for p in passages]
        self.avg = sum(map(len, self.docs)) / max(1, len(self.docs))
        df: dict[str, int] = {}
        for d in self.docs:
            for w in set(d):
                df[w] = df.get(w, 0) + 1
        n = len(self.docs)
        self.idf = {w: math.log(1 + (n - c + 0.5) / (c + 0.5)) for w, c in df.items()}
        self.tf = [{w: d.count(w) for w in set(d)} for d in self.docs]

    def scores(self, query: str, k1: float = 1.2, b: float = 0.75) -> dict[str, float]:
        from .verify import content_words_list

        q = set(content_words_list(query))
        out = {}
        for pid, tf, d in zip(self.ids, self.tf, self.docs):
            s = 0.0
            for w in q & tf.keys():
                f = tf[w]
                s += self.idf[w] * f * (k1 + 1) / (f + k1 * (1 - b + b * len(d) / self.avg))
            if s > 0:
                out[pid] = s
        return out


_LEX: dict[tuple, LexicalIndex] = {}


def lexical_index(store: Store) -> LexicalIndex:
    key = (store.where, store.name, store.count())
    if key not in _LEX:
        _LEX.clear()
        _LEX[key] = LexicalIndex(store.all())
    return _LEX[key]


@dataclass
class Hit:
    id: str
    doc_id: str
    title: str
    author: str | None
    text: str
    score: float            # cosine + LEX_WEIGHT x scaled BM25: the ranking score
    origin: str | None = None
    position: int = 0
    cosine: float = 0.0      # meaning alone (what the scope check uses)

    def to_dict(self) -> dict:
        return asdict(self)


def _hit(p: StoredPassage) -> Hit:
    m = p.metadata
    return Hit(
        id=p.id, doc_id=m.get("doc_id", ""), title=m.get("title", ""), author=m.get("author") or None,
        text=p.text, score=round(float(m.get("_score", 0.0)), 4), origin=m.get("origin") or None,
        position=int(m.get("position", 0)), cosine=round(float(m.get("_cos", m.get("_score", 0.0))), 4),
    )


def mmr(rel, vecs, k: int, lam: float = MMR_LAMBDA) -> list[int]:
    """Indices of ``k`` picks trading relevance ``rel`` against similarity to what is already picked."""
    import numpy as np

    rel = np.asarray(rel, dtype="float32")
    c = np.asarray(vecs, dtype="float32")
    sim = c @ c.T
    picked: list[int] = []
    left = list(range(len(rel)))
    while left and len(picked) < k:
        if picked:
            vals = lam * rel[left] - (1 - lam) * sim[np.ix_(left, picked)].max(axis=1)
        else:
            vals = rel[left]
        best = left[int(np.argmax(vals))]
        picked.append(best)
        left.remove(best)
    return picked


def _by_passage(row: list[StoredPassage], store: Store) -> list[StoredPassage]:
    """Sentence hits folded into their passage: a passage scores as its best record."""
    best: dict[str, float] = {}
    have: dict[str, StoredPassage] = {}
    for p in row:
        pid = p.metadata.get("parent") if p.metadata.get("kind") == "sentence" else p.id
        best[pid] = max(best.get(pid, -1.0), p.metadata["_score"])
        if pid == p.id:
            have[pid] = p
    missing = [pid for pid in best if pid not in have]
    for p in store.get(missing):
        have[p.id] = p
    out = []
    for pid, score in best.items():
        if pid in have:
            have[pid].metadata["_score"] = score
            out.append(have[pid])
    return out


def _hybrid(query: str, vec, cands: list[StoredPassage], lex: LexicalIndex, store: Store) -> list[StoredPassage]:
    import numpy as np

    bm = lex.scores(query)
    if not bm:
        return cands
    top = max(bm.values())
    have = {c.id for c in cands}
    extra = [pid for pid, _ in sorted(bm.items(), key=lambda x: -x[1])[:LEX_FETCH] if pid not in have]
    q = np.asarray(vec, dtype="float32")
    for p in store.get(extra):
        p.metadata["_score"] = float(np.asarray(p.embedding, dtype="float32") @ q)
        cands.append(p)
    for c in cands:
        c.metadata["_cos"] = c.metadata["_score"]
        c.metadata["_score"] = c.metadata["_score"] + LEX_WEIGHT * bm.get(c.id, 0.0) / top
    return cands


def retrieve_many(queries: Sequence[str], k: int = 5, store: Store | None = None, vectors=None) -> list[list[Hit]]:
    """Retrieval for many queries with one embedding pass (the batch runner's path)."""
    if not queries:
        return []
    store = store or Store()
    vecs = vectors if vectors is not None else embed.encode(list(queries))
    fetch = max(8 * k, 40)
    lex = lexical_index(store) if LEX_WEIGHT else None
    out = []
    for q, v, row in zip(queries, vecs, store.query(vecs, fetch)):
        cands = _by_passage(row, store)
        if lex:
            cands = _hybrid(q, v, cands, lex, store)
        picks = mmr([c.metadata["_score"] for c in cands], [c.embedding for c in cands], k) if cands else []
        out.append([_hit(cands[i]) for i in picks])
    return out


def retrieve(query: str, k: int = 5, store: Store | None = None) -> list[Hit]:
    return retrieve_many([query], k, store)[0]
