"""Top-k passages for a query: relevant, and diverse (maximal marginal relevance).

A plain top-k on a small corpus often returns near-copies of one paragraph; MMR trades a little
similarity to the query for novelty against what is already picked, so the engine sees several
angles on a situation.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

from ..embedding import cache, embed
from ..corpus.store import Store, StoredPassage

MMR_LAMBDA = 0.75  # 1.0 = pure relevance; lower = more diversity
LEX_WEIGHT = 0.4   # weight of the BM25 score (scaled to 0..1 per query) added to the cosine
LEX_FETCH = 20     # lexical candidates added to the semantic ones


class PassageIndex:
    """Every passage of the store held in memory: text, metadata, unit vector and BM25 postings.

    Chroma then only has to say *which* records are nearest (ids and distances); folding sentence
    hits into their passage, the lexical score and MMR all run here without another round trip.
    That is what brings retrieval within a few percent of its floor (encode + one raw query).

    Embeddings of a small English model miss exact phrasing ("doing things right" vs "the right
    things"); the BM25 score added to the cosine brings such passages back."""

    def __init__(self, passages: list[StoredPassage], store: Store | None = None, k1: float = 1.2, b: float = 0.75):
        import math

        import numpy as np

        from ..common.text import content_words_list

        self.store = store
        self._units: dict[str, object] | None = None
        self.passages = passages
        self.pos = {p.id: n for n, p in enumerate(passages)}
        self.vecs = np.asarray([p.embedding for p in passages], dtype="float32").reshape(len(passages), -1)
        docs = [content_words_list(p.text) for p in passages]
        avg = sum(map(len, docs)) / max(1, len(docs))
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for n, d in enumerate(docs):
            norm = k1 * (1 - b + b * len(d) / avg)
            for w in set(d):
                f = d.count(w)
                ix, tf = postings.setdefault(w, ([], []))
                ix.append(n)
                tf.append(f * (k1 + 1) / (f + norm))
        # idf x term weight, per posting: a query's BM25 is then a sum over its own words only
        self.postings = {
            w: (np.asarray(ix), np.asarray(tf) * math.log(1 + (len(docs) - len(ix) + 0.5) / (len(ix) + 0.5)))
            for w, (ix, tf) in postings.items()
        }

    def bm25(self, query: str):
        """BM25 of every passage for ``query`` (an array in passage order; zeros where no word is shared)."""
        import numpy as np

        from ..common.text import content_words_list

        out = np.zeros(len(self.passages), dtype="float64")
        for w in set(content_words_list(query)):
            if w in self.postings:
                ix, weight = self.postings[w]
                out[ix] += weight
        return out

    def unit_vectors(self) -> dict[str, object]:
        """Text -> vector for every passage and sentence record the store holds (whitespace folded).

        The verifier embeds the cited passages and their sentences for every answer; ingest already
        embedded exactly those texts, so they are looked up here instead (loaded on first use)."""
        if self._units is None:
            from ..corpus.passages import sentence_records

            units: dict[str, object] = {" ".join(p.text.split()): self.vecs[n] for n, p in enumerate(self.passages)}
            try:
                sent = self.store.sentence_vectors() if self.store is not None else {}
            except Exception:  # a server that went away: this is only a cache, the rest is embedded again
                return units   # (not kept: the sentences are looked up again once the store is back)
            for p in self.passages:
                for n, text in enumerate(sentence_records(p.text)):
                    v = sent.get(f"{p.id}#{n}")
                    if v is not None:
                        units.setdefault(" ".join(text.split()), v)
            self._units = units
        return self._units

    def find(self, record_id: str) -> int | None:
        """Passage position of a stored record (a sentence record ``pid#n`` maps to its passage)."""
        return self.pos.get(record_id.split("#", 1)[0])


RECHECK_S = 5.0  # how stale, at most, the in-memory index may be when another process edits the store
_INDEX: dict[tuple, tuple[PassageIndex, int, float]] = {}


def passage_index(store: Store, force: bool = False) -> PassageIndex:
    """The store's passages in memory, rebuilt when the store changed.

    A write through any ``Store`` in this process is seen at once (``store.GENERATION``); a write by
    another process (a second ``coach ingest``, a team's shared server) within ``RECHECK_S`` seconds,
    by comparing the stored passage ids, which are content hashes. A query that returns an id the
    index does not know forces a rebuild as well (see ``retrieve_many``)."""
    import time

    from ..corpus import store as store_mod

    key = (store.where, store.name)
    now = time.monotonic()
    cached = _INDEX.get(key)
    if cached and not force and cached[1] == store_mod.GENERATION:
        index, _gen, checked = cached
        if now - checked < RECHECK_S:
            return index
        if set(store.passage_ids()) == index.pos.keys():
            _INDEX[key] = (index, store_mod.GENERATION, now)
            return index
    index = PassageIndex(store.all(with_embeddings=True), store)
    _INDEX.clear()
    _INDEX[key] = (index, store_mod.GENERATION, now)
    return index


def known_vectors(texts: Sequence[str]) -> dict[str, object]:
    """Vectors the store already holds for any of ``texts``, from the index retrieval built (if it
    built one in this process; nothing is loaded for this alone)."""
    for index, _gen, _checked in list(_INDEX.values()):  # another thread may rebuild meanwhile
        table = index.unit_vectors()
        return {t: table[key] for t in texts if (key := " ".join(t.split())) in table}
    return {}


cache.provide(known_vectors)  # the checks and engines look stored vectors up instead of embedding them again


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


def hit_for(p: StoredPassage, score: float, cosine: float) -> Hit:
    m = p.metadata
    return Hit(
        id=p.id, doc_id=m.get("doc_id", ""), title=m.get("title", ""), author=m.get("author") or None,
        text=p.text, score=round(score, 4), origin=m.get("origin") or None,
        position=int(m.get("position", 0)), cosine=round(cosine, 4),
    )


def mmr(rel, vecs, k: int, lam: float = MMR_LAMBDA) -> list[int]:
    """Indices of ``k`` picks trading relevance ``rel`` against similarity to what is already picked."""
    import numpy as np

    rel = np.asarray(rel, dtype="float32")
    c = np.asarray(vecs, dtype="float32")
    picked: list[int] = []
    if not len(rel):
        return picked
    closest = np.full(len(rel), -np.inf, dtype="float32")  # similarity to the nearest pick so far
    vals = rel.copy()
    while len(picked) < min(k, len(rel)):
        best = int(np.argmax(vals))
        picked.append(best)
        closest = np.maximum(closest, c @ c[best])
        vals = lam * rel - (1 - lam) * closest
        vals[picked] = -np.inf
    return picked


def _rank(query: str, vec, row: list[tuple[str, float]], index: PassageIndex, k: int) -> list[Hit]:
    """Fold sentence hits into passages, add BM25, then pick ``k`` with MMR."""
    import numpy as np

    cos: dict[int, float] = {}
    for rid, score in row:  # a passage scores as its best record (itself or one of its sentences)
        n = index.find(rid)
        if n is not None and score > cos.get(n, -1.0):
            cos[n] = score
    bm = index.bm25(query) if LEX_WEIGHT else None
    top = float(bm.max()) if bm is not None and len(bm) else 0.0
    if bm is not None and top > 0:  # (top > 0 already implies bm; said so the type checker sees it)
        q = np.asarray(vec, dtype="float32")
        for n in np.argsort(-bm, kind="stable")[:LEX_FETCH]:
            n = int(n)
            if bm[n] > 0 and n not in cos:
                cos[n] = float(index.vecs[n] @ q)
    cands = list(cos)
    if not cands:
        return []
    lex = [LEX_WEIGHT * float(bm[n]) / top if bm is not None and top > 0 else 0.0 for n in cands]
    scores = [cos[n] + x for n, x in zip(cands, lex)]
    picks = mmr(scores, index.vecs[cands], k)
    return [hit_for(index.passages[cands[i]], scores[i], cos[cands[i]]) for i in picks]


def retrieve_many(queries: Sequence[str], k: int = 5, store: Store | None = None, vectors=None) -> list[list[Hit]]:
    """Retrieval for many queries with one embedding pass (the batch runner's path)."""
    if not queries:
        return []
    store = store or Store()
    vecs = vectors if vectors is not None else embed.encode_array(list(queries))
    index = passage_index(store)
    fetch = max(8 * k, 40)
    rows = store.nearest(vecs, fetch)  # Chroma returns fewer when the store holds fewer
    if any(index.find(rid) is None for row in rows for rid, _ in row):
        index = passage_index(store, force=True)  # the store changed under us: see it now
    return [_rank(q, v, row, index, k) for q, v, row in zip(queries, vecs, rows)]


NEED_TOP = 1        # passages each need brings into the sources before the situation's own ranking fills the rest
MAIN_FIRST = 2     # the situation's own best passages always lead


def need_queries(text: str, limit: int = 4) -> list[str]:
    """The going-wrong clauses of a situation, each a query of its own (none for a one-clause query:
    a plain search is its own need)."""
    from ..reading.situation import clauses

    cs = clauses(text)
    if len(cs) < 2:
        return []
    return [c.text for c in cs if c.problem][:limit]


def merge_for_needs(main: list[Hit], per_need: list[list[Hit]], k: int) -> list[Hit]:
    """The situation's best passages first, then each need's best one not already in, then the rest
    of the situation's ranking: every need is answered, and nothing is a copy of what is there."""
    out: list[Hit] = []
    seen: set[str] = set()

    def take(h: Hit) -> None:
        if h.id not in seen and len(out) < k:
            out.append(h)
            seen.add(h.id)

    for h in main[:MAIN_FIRST]:
        take(h)
    for depth in range(NEED_TOP):
        for hits in per_need:
            fresh = [h for h in hits if h.id not in seen]
            if len(fresh) > depth:
                take(fresh[0])
    for h in main[MAIN_FIRST:]:
        take(h)
    for hits in per_need:
        for h in hits:
            take(h)
    return out


def retrieve_situations(texts: Sequence[str], k: int = 5, store: Store | None = None, vectors=None,
                        needs: Sequence[Sequence[str]] | None = None, need_vectors=None) -> list[list[Hit]]:
    """Retrieval for situations: the text itself plus each of its needs as a query, merged.

    A situation written in one role's vocabulary resembles that role's passages; what it lacks is
    often the other role. Searching with each going-wrong clause on its own brings the passages that
    speak to each need into the sources. All queries share one embedding pass and one store query."""
    import numpy as np

    if not texts:
        return []
    store = store or Store()
    needs = [list(n) for n in needs] if needs is not None else [need_queries(t) for t in texts]
    flat = [n for ns in needs for n in ns]
    vecs = vectors if vectors is not None else embed.encode_array(list(texts))
    if flat:
        nv = need_vectors if need_vectors is not None else embed.encode_array(flat)
        allv = np.vstack([np.asarray(vecs, dtype="float32"), np.asarray(nv, dtype="float32")])
    else:
        allv = vecs
    rows = retrieve_many(list(texts) + flat, k, store=store, vectors=allv)
    out, i = [], len(texts)
    for n, ns in enumerate(needs):
        per_need = rows[i:i + len(ns)]
        i += len(ns)
        out.append(merge_for_needs(rows[n], per_need, k) if ns else rows[n])
    return out
