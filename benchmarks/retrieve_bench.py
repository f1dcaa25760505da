"""Retrieval against its floor: one query encode plus one raw Chroma query on the same store.

``coach.pipeline.search`` (over ``coach.retrieval.hybrid``) is hybrid: cosine over passage and sentence records, plus BM25 from the
in-memory ``PassageIndex``, then MMR. Its floor is ``coach.embedding.embed.encode_array([q])`` followed by the
smallest raw query Chroma answers: ``store.collection().query(query_embeddings=..., n_results=fetch,
include=["distances"])`` (ids and distances) with the same ``fetch``. Everything retrieval adds
(folding sentence hits into passages, BM25, MMR, building hits) is overhead against it.

Every query is distinct (no cache flatters). Retrieval and floor alternate query by query, and which
goes first alternates too, so drifting load on a shared machine hits both alike. A separate, untimed
pass wraps the leaf calls to say what the remaining overhead is made of.
"""
from __future__ import annotations

import time

from . import synth
from .common import Params, Probe, median, pct, rnd

FIELDS = ["distances"]  # ids always come back: the least a query can return


def _fetch(k: int) -> int:
    return max(8 * k, 40)  # what coach.retrieval.hybrid.retrieve_many asks Chroma for


def measure(store, queries: list[str], k: int) -> dict:
    import coach.retrieval.hybrid as R
    from coach.pipeline import search
    from coach.embedding import embed
    from coach.corpus.store import Store

    col = store.collection()
    n_results = _fetch(k)
    # warm: the model, the Chroma segment, the per-process passage index (built once per store)
    search("warm the caches up", k, store)
    col.query(query_embeddings=embed.encode_array(["warm"]), n_results=n_results, include=FIELDS)

    full: list[float] = []
    floor: list[float] = []

    # The query is an argument, not a closure over the loop variable, so each call times its own query.
    def one_full(q: str) -> None:
        t0 = time.perf_counter()
        hits = search(q, k, store)
        full.append(time.perf_counter() - t0)
        if not hits:
            raise RuntimeError(f"retrieve returned nothing for {q!r}")

    def one_floor(q: str) -> None:
        t0 = time.perf_counter()
        v = embed.encode_array([q])  # what retrieve calls
        col.query(query_embeddings=v, n_results=n_results, include=FIELDS)
        floor.append(time.perf_counter() - t0)

    for i, q in enumerate(queries):
        for step in ((one_full, one_floor) if i % 2 == 0 else (one_floor, one_full)):
            step(q)

    # where the time beyond the floor goes (leaf calls only, so nothing is counted twice)
    probe_qs = queries[: max(4, len(queries) // 2)]
    R._INDEX.clear()  # the probe pass includes one index build, as a fresh process would pay it
    search("build the index again", k, store)
    targets = {
        "encode": (embed, "encode_array"),
        "chroma_query": (Store, "nearest"),
        "index_check": (Store, "passage_ids"),
        "bm25_scores": (R.PassageIndex, "bm25"),
        "mmr": (R, "mmr"),
    }
    with Probe(targets) as probe:
        t0 = time.perf_counter()
        for q in probe_qs:
            search(q, k, store)
        total = time.perf_counter() - t0
    per_q = {name: rnd(s * 1000 / len(probe_qs), 2) for name, s in probe.seconds.items()}
    per_q["python_glue"] = rnd((total - sum(probe.seconds.values())) * 1000 / len(probe_qs), 2)
    per_q["total"] = rnd(total * 1000 / len(probe_qs), 2)
    calls = {name: rnd(c / len(probe_qs), 2) for name, c in probe.calls.items()}

    p50, floor50 = median(full) * 1000, median(floor) * 1000
    return {
        "p50_ms": rnd(p50, 2), "p95_ms": rnd(pct(full, 95) * 1000, 2),
        "floor_p50_ms": rnd(floor50, 2), "floor_p95_ms": rnd(pct(floor, 95) * 1000, 2),
        "overhead_ratio": rnd(p50 / floor50),
        "queries": len(queries), "k": k, "n_results": n_results,
        "records_in_store": col.count(),
        "breakdown_ms_per_query": per_q, "calls_per_query": calls,
    }


def run(params: Params, synth_store_path: str | None = None) -> dict:
    from coach.corpus.store import Store

    qs = synth.queries(params.queries * 2, seed=params.seed + 4)
    real = measure(Store(), qs[: params.queries], params.k)
    out = {
        "retrieve_p50_ms": real["p50_ms"],
        "retrieve_p95_ms": real["p95_ms"],
        "retrieve_floor_p50_ms": real["floor_p50_ms"],
        "retrieve_overhead_ratio": real["overhead_ratio"],
        "retrieve_details": {"store": "the real corpus", **real},
    }
    if synth_store_path:  # the same on the 1,000-article store: how retrieval scales
        big = measure(Store(path=synth_store_path), qs[params.queries:], params.k)
        out["retrieve_large_p50_ms"] = big["p50_ms"]
        out["retrieve_large_overhead_ratio"] = big["overhead_ratio"]
        out["retrieve_large_details"] = {"store": f"{params.articles} generated articles", **big}
    return out
