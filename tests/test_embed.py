"""The three embedders (numpy forward pass, the same graph on onnxruntime, sentence-transformers) give
the same vectors, so a store written by any is valid for all under one identity; and the query path really runs without
torch and litellm (checked in a real `coach` subprocess, not by reading the code)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "sentence_transformers", "transformers", "scipy", "sklearn", "litellm")


def _corpus_texts() -> list[str]:
    """Every passage of the corpus and every sentence of each (a superset of what ingest embeds)."""
    from coach.corpus.documents import load_corpus
    from coach.corpus.passages import sentence_records, split_document
    from coach.common.text import split_sentences

    docs, errors = load_corpus(ROOT / "corpus")
    assert docs and not errors
    texts: list[str] = []
    for d in docs:
        for p in split_document(d):
            texts += [p.text, *split_sentences(p.text), *sentence_records(p.text)]
    return list(dict.fromkeys(t for t in texts if t.strip()))


@pytest.fixture(scope="module")
def torch_free():
    """The packaged model twice: numpy only, and onnxruntime from the first text."""
    from coach.embedding.minilm import MiniLM

    numpy_only, runtime = MiniLM(runtime_after=None), MiniLM(runtime_after=0)
    assert runtime.use_runtime() and numpy_only.session is None
    return {"numpy": numpy_only, "onnx": runtime}


@pytest.fixture(scope="module")
def both(torch_free):
    from coach.embedding import embed

    texts = _corpus_texts()
    slow = embed.encode_array(texts, backend="torch")
    return texts, {name: m.encode(texts) for name, m in torch_free.items()}, slow


@pytest.mark.parametrize("backend", ["numpy", "onnx"])
def test_torch_free_forward_passes_and_sentence_transformers_agree_on_every_corpus_text(both, backend):
    texts, fast, slow = both
    fast = fast[backend]
    assert len(texts) > 150 and fast.shape == slow.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cos = (fast * slow).sum(1)
    worst = int(cos.argmin())
    assert cos.min() >= 0.9999, (float(cos.min()), texts[worst][:80])


def test_the_checked_in_graph_is_what_the_builder_writes():
    """coach/minilm.onnx is generated (python -m training.minilm_graph): an edit to the builder that was
    not regenerated, or a hand edit of the file, fails here."""
    from coach.embedding.graph import GRAPH
    from training.minilm_graph import graph_bytes

    assert GRAPH.read_bytes() == graph_bytes()


def test_the_model_moves_to_onnxruntime_after_enough_tokens_and_only_then(monkeypatch):
    from coach.embedding import embed
    from coach.embedding.minilm import MiniLM

    model = MiniLM(runtime_after=40)
    short = "Two of my best people feel like cogs."
    before = model.encode([short])
    assert model.session is None and 0 < model.tokens_seen < 40
    model.encode([short * 5])
    assert model.session is not None  # crossed 40 tokens: every later text runs on onnxruntime
    assert float((model.encode([short]) * before).sum()) >= 0.99999
    monkeypatch.setenv("COACH_EMBED_BACKEND", "numpy")  # a forced numpy backend never moves
    monkeypatch.setattr(embed, "_fast", None)
    assert embed.prefer_runtime() is False and embed._load_fast().runtime_after is None
    monkeypatch.setenv("COACH_EMBED_BACKEND", "onnx")
    monkeypatch.setattr(embed, "_fast", None)
    assert embed._load_fast().runtime_after == 0


def test_agreement_holds_for_long_and_odd_inputs(torch_free):
    """Past 256 tokens both cut the text; padding inside a mixed-length batch changes nothing."""
    from coach.embedding import embed

    long = " ".join(["Leaders inspire people while managers organise the work of the team."] * 60)
    odd = ["ok", "Ünïcödé — “quotes” and emoji 🙂", "- Planning", long, "x " * 3, "Wer führt hier eigentlich?"]
    slow = embed.encode_array(odd, backend="torch")
    for model in torch_free.values():  # the models themselves: coach.embedding.embed would answer from its memo
        fast = model.encode(odd)
        assert (fast * slow).sum(1).min() >= 0.9999
        alone = np.vstack([model.encode([t]) for t in odd])
        assert (alone * fast).sum(1).min() >= 0.99999


def test_an_unloadable_runtime_leaves_numpy_encoding_and_says_so_once(monkeypatch, tmp_path, capsys):
    import coach.embedding.graph as graph
    from coach.embedding.minilm import MiniLM

    broken = tmp_path / "minilm.onnx"
    broken.write_bytes(b"not a graph")
    monkeypatch.setattr(graph, "GRAPH", broken)
    model = MiniLM(runtime_after=0)
    vec = model.encode(["Two of my best people feel like cogs."])
    assert model.session is None and model.runtime_after is None  # never tried again
    model.encode(["And a second text."])
    err = capsys.readouterr().err
    assert err.count("embedding with numpy (onnxruntime unavailable") == 1, err
    assert vec.shape == (1, 384) and abs(float(np.linalg.norm(vec)) - 1.0) < 1e-5


def test_backend_choice_is_numpy_unless_torch_is_asked_for(monkeypatch):
    from coach.embedding import embed

    monkeypatch.delenv("COACH_EMBED_BACKEND", raising=False)
    assert embed.backend_for(1) == embed.backend_for(10 ** 6) == "numpy"
    monkeypatch.setenv("COACH_EMBED_BACKEND", "torch")
    assert embed.backend_for(1) == "torch"


def test_a_store_written_by_torch_serves_numpy_queries_unchanged(tmp_path, both):
    """Same identity on purpose: vectors from sentence-transformers in the store, a numpy query
    vector against them ranks exactly as the torch one does."""
    from coach.embedding import embed
    from coach.corpus.store import Store

    texts, fast, slow = both
    store = Store(path=tmp_path / "chroma", collection="identity")
    ids = [f"t{i}" for i in range(len(texts))]
    store.upsert(ids, slow.tolist(), texts, [{"kind": "passage", "doc_id": "d"} for _ in ids])
    meta = store.collection().metadata
    assert (meta["embed_model"], meta["embed_dim"]) == (embed.MODEL_NAME, embed.DIM)
    queries = ["My team hits its numbers but nobody is motivated any more.",
               "How should I plan next quarter's budget and staffing?",
               "I want to develop one of my engineers into a future leader."]
    by_numpy = store.nearest(embed.encode_array(queries, backend="numpy").tolist(), 8)
    by_torch = store.nearest(embed.encode_array(queries, backend="torch").tolist(), 8)
    for a, b in zip(by_numpy, by_torch):
        assert [i for i, _ in a] == [i for i, _ in b]
        assert max(abs(x - y) for (_, x), (_, y) in zip(a, b)) < 1e-4


def _imported_in(cmd: list[str], env: dict, stdin: str | None = None) -> tuple[set[str], str]:
    """Top-level modules a real `coach` run imported, read from ``python -X importtime``."""
    import subprocess

    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "coach.cli", *cmd], input=stdin,
                          capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=300)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    mods = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            mods.add(name.split(".")[0])
    assert "coach" in mods  # the hook really saw the run
    return mods, proc.stdout


@pytest.mark.parametrize("cmd", [
    ["reflect", "--model", "extractive", "My team hits every metric but people seem demotivated and nobody proposes ideas."],
    ["search", "-k", "3", "doing the right things"],
    ["verify", "-"],
])
def test_query_path_imports_neither_torch_nor_litellm(ingested, cmd):
    env = dict(os.environ)
    env.pop("COACH_EMBED_BACKEND", None)
    env["COACH_MODEL"] = "extractive"
    stdin = "Management is doing things right; leadership is doing the right things [S1]." if cmd[0] == "verify" else None
    mods, out = _imported_in(cmd, env, stdin)
    assert out.strip()
    # the store is read from its snapshot (issue 14): not even chromadb is imported for a query
    assert "chromadb" not in mods
    assert "numpy" in mods
    assert not mods & set(HEAVY), sorted(mods & set(HEAVY))


def test_reflect_in_process_leaves_torch_unloaded(ingested):
    """The same in a fresh interpreter that inspects ``sys.modules`` after the reflection."""
    import subprocess

    code = (
        "import sys, json\n"
        "from coach.pipeline import reflect\n"
        "fb = reflect('Our processes are perfect but my people feel nobody listens to them.', model='extractive')\n"
        f"print(json.dumps({{'sources': len(fb.sources), 'heavy': sorted(m for m in {HEAVY!r} if m in sys.modules)}}))\n"
    )
    env = dict(os.environ)
    env.pop("COACH_EMBED_BACKEND", None)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=str(ROOT),
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json

    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["sources"] >= 3
    assert got["heavy"] == []


def test_constant_vectors_are_cached_on_disk_and_reused(tmp_path, monkeypatch):
    from coach.embedding import embed

    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path))
    texts = ["processes, procedures and control", "vision, direction and inspiration"]
    first = embed.encode_cached(texts)
    files = list((tmp_path / "vectors").glob("*.npy"))
    assert len(files) == 1
    calls = []
    monkeypatch.setattr(embed, "encode_array", lambda t, *a, **k: calls.append(t) or np.zeros((len(t), embed.DIM)))
    again = embed.encode_cached(texts)
    assert calls == [] and np.array_equal(first, again)
    assert again.shape == (2, embed.DIM)
    embed.encode_cached(texts[:1])  # other texts miss the cache and are embedded
    assert calls == [texts[:1]]


def test_memo_answers_repeated_texts_without_the_model(monkeypatch):
    """A case embeds its situation for retrieval and again for verification: the second time (and
    any built-in heading every answer repeats) comes from memory, identical; off, the model runs."""
    from coach.embedding import embed

    model = embed._load_fast()
    seen: list[list[str]] = []
    real = model.encode
    monkeypatch.setattr(model, "encode", lambda texts: seen.append(list(texts)) or real(texts))
    embed._memo.clear()
    texts = ["Nobody on my team speaks up in meetings any more.", "Questions to reflect on."]
    first = embed.encode_array(texts, backend="numpy")
    again = embed.encode_array([texts[1], texts[0], texts[1]], backend="numpy")
    assert seen == [texts]
    assert np.array_equal(again, first[[1, 0, 1]])
    monkeypatch.setattr(embed, "MEMO", False)
    off = embed.encode_array(texts, backend="numpy")
    assert len(seen) == 2 and (off * first).sum(1).min() >= 0.99999
