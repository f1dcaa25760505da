"""Ingest against its floor: the raw encode of exactly the texts ingest embeds.

``coach.corpus.ingest.ingest`` embeds every passage and, beside it, each of its sentences (sentence
records, for retrieval). The honest floor is therefore ``coach.embedding.embed.encode_array`` over those same texts
(passages + their sentences, from ``split_document`` and ``passages.sentence_records``) in one call; ingest
is reported as passages/s, and so is the floor, over the same passages. The floor uses the backend
ingest chooses for that many texts (``coach.embedding.embed.backend_for``); the other backend's rate on a
sample of the same texts is reported beside it, with each one's load time (torch's includes its
~6 s of imports), as the evidence for that choice.

Then a second ingest of the unchanged corpus: nothing should be embedded, and it should cost only
reading the files and comparing hashes with the store's manifest.
"""
from __future__ import annotations

import time
from pathlib import Path

from . import synth
from .common import Params, Probe, clean_dir, rnd


def run(params: Params, tmp: Path) -> dict:
    import coach.corpus.ingest as ingest_mod
    from coach.embedding import embed
    from coach.corpus.documents import load_corpus
    from coach.corpus.passages import sentence_records, split_document
    from coach.corpus.store import Store

    corpus = synth.write_corpus(clean_dir(tmp / "synth-corpus"), params.articles, params.paragraphs,
                                params.sentences, params.seed)
    docs, errors = load_corpus(corpus)
    if errors or len(docs) != params.articles:
        raise RuntimeError(f"the generated corpus did not load: {errors[:3]}")
    passages = [p for d in docs for p in split_document(d)]
    texts: list[str] = []
    for p in passages:
        texts.append(p.text)
        texts.extend(sentence_records(p.text))
    n_pass, n_texts = len(passages), len(texts)

    # both embedders over the same texts (a sample for the one ingest does not use): the evidence
    # for coach.embedding.embed's choice of numpy, torch's import not even counted in its rate
    chosen = embed.backend_for(n_texts)
    rates, load_s = {}, {}
    sample = texts[:min(n_texts, params.backend_sample)]
    # --quick samples none: its smoke test checks the machinery, and torch's load alone was a quarter of it
    # (26 s of 92; tests/test_embed.py compares the two embedders text by text)
    for backend in ("numpy", "torch") if params.backend_sample else (chosen,):
        t0 = time.perf_counter()
        embed.encode_array(["warm the model up before anything is timed"], backend=backend)
        load_s[backend] = time.perf_counter() - t0
        if backend != chosen:
            t0 = time.perf_counter()
            embed.encode_array(sample, backend=backend)
            rates[backend] = len(sample) / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    vecs = embed.encode_array(texts, backend=chosen)  # what ingest calls: no list conversion on either side
    floor_s = time.perf_counter() - t0
    if len(vecs) != n_texts:
        raise RuntimeError("encode returned the wrong number of vectors")
    del vecs
    rates[chosen] = n_texts / floor_s

    store = Store(path=clean_dir(tmp / "synth-store"))
    probe_targets = {
        "encode": (ingest_mod.embed, "encode_array"),
        "store_upsert": (Store, "upsert"),
        "store_manifest": (Store, "manifest"),
        "load_corpus": (ingest_mod, "load_corpus"),
        "split": (ingest_mod, "split_document"),
    }
    with Probe(probe_targets) as first:
        t0 = time.perf_counter()
        rep = ingest_mod.ingest(corpus, store)
        first_s = time.perf_counter() - t0
    if rep.errors or rep.added != n_pass:
        raise RuntimeError(f"first ingest added {rep.added} of {n_pass} passages; errors: {rep.errors[:3]}")

    # an unchanged re-ingest, three times: the first one right after a big write can meet Chroma
    # still settling it; the median is what a user running `coach ingest` again sees
    reruns = []
    for _ in range(3):
        with Probe(probe_targets) as again:
            t0 = time.perf_counter()
            rep2 = ingest_mod.ingest(corpus, store)
            reruns.append(time.perf_counter() - t0)
        if rep2.unchanged != n_pass or rep2.embedded:
            raise RuntimeError(f"unchanged re-ingest embedded {rep2.embedded} passages (unchanged {rep2.unchanged}/{n_pass})")
    re_s = sorted(reruns)[1]

    def breakdown(probe: Probe, total: float) -> dict:
        d = {k: rnd(v) for k, v in probe.seconds.items()}
        d["other"] = rnd(total - sum(probe.seconds.values()))  # negative: the writes overlap the encode
        return d

    ingest_rate = n_pass / first_s
    floor_rate = n_pass / floor_s
    return {
        "ingest_passages_per_s": rnd(ingest_rate, 2),
        "encode_floor_passages_per_s": rnd(floor_rate, 2),
        "ingest_ratio": rnd(first_s / floor_s),
        "reingest_unchanged_s_per_1k_docs": rnd(re_s * 1000 / params.articles),
        "ingest_details": {
            "articles": params.articles,
            "passages": n_pass,
            "sentence_records": n_texts - n_pass,
            "texts_encoded": n_texts,
            "corpus_chars": sum(len(d.body) for d in docs),
            "backend": chosen,
            "backend_texts_per_s": {k: rnd(v, 2) for k, v in rates.items()},
            "backend_first_load_s": {k: rnd(v) for k, v in load_s.items()},  # torch: its imports and the model
            "backend_sample_texts": len(sample),
            "first_ingest_s": rnd(first_s),
            "encode_floor_s": rnd(floor_s),
            "encode_floor_texts_per_s": rnd(n_texts / floor_s, 2),
            "ingest_texts_per_s": rnd(n_texts / first_s, 2),
            "first_ingest_breakdown_s": breakdown(first, first_s),
            "reingest_unchanged_s": rnd(re_s),
            "reingest_unchanged_runs_s": [rnd(x) for x in reruns],
            "reingest_breakdown_s": breakdown(again, reruns[-1]),  # of the last run
        },
        "_synth_store_path": str(store.path),
    }
