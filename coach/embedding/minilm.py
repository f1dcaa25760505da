"""all-MiniLM-L6-v2 as a numpy forward pass: the packaged weights, no torch.

Why: importing torch, transformers and scipy through sentence-transformers costs ~6 s, which was
almost all of a cold `coach reflect`. The model is a 6-layer, 384-wide BERT: in numpy it loads in
~0.05 s (the packaged safetensors file memory-mapped, the fast `tokenizers` tokenizer) and, on this
machine's two cores, encodes faster per text than sentence-transformers does (benchmarks/ingest_bench.py).

It computes exactly what sentence-transformers computes for this model — BERT (post-LayerNorm,
exact erf GELU), mean pooling over the attention mask, L2 normalisation, inputs cut at 256 tokens
— so the vectors agree to float rounding (tests/test_embed.py checks cosine >= 0.9999 on every
passage and sentence of the corpus) and a store written by either backend stays valid.

The same pass also runs on onnxruntime (``use_runtime``; the graph is coach/minilm.onnx, built by
coach/minilm_graph.py): same vectors, about half the CPU and no GIL held while it runs. A model moves
there by itself once it has encoded ``RUNTIME_AFTER_TOKENS``, where loading it starts to pay.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Sequence, TypedDict

import numpy as np

from .files import model_dir, safetensors_header
from .graph import OUTPUT

MAX_TOKENS = 256  # sentence_bert_config.json's max_seq_length: longer inputs are cut, as sentence-transformers does
# Abramowitz & Stegun 7.1.26: erf to 1.5e-7, the GELU's exact form without scipy (constants of the formula)
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


_controller = None


def _one_blas_thread():
    """Every product runs on one BLAS thread. A query's products are small: OpenBLAS's second
    thread cost more than it gave (a 19-token query: 16 ms of CPU on one thread, 4x that on two,
    worse on a busy machine). Large ones share the machine with other work of the same process:
    the batch runner's event loop, ingest's Chroma writes, so a second BLAS thread only contends."""
    global _controller
    try:
        if _controller is None:
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        return _controller.limit(limits=1, user_api="blas")
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency; without it only speed changes
        import contextlib

        return contextlib.nullcontext()


def _gelu_block(x: np.ndarray) -> None:
    """BERT's exact (erf) GELU, in place, without scipy: erf by Abramowitz & Stegun 7.1.26
    (|error| < 1.5e-7, below float32's own rounding of these activations)."""
    f = np.float32
    z = np.abs(x)
    z *= f(0.7071067811865476)                      # |x|/sqrt(2)
    t = z * f(_ERF_P)
    t += f(1.0)
    np.reciprocal(t, out=t)
    a1, a2, a3, a4, a5 = _ERF_A
    r = t * f(a5)
    for a in (a4, a3, a2, a1):
        r += f(a)
        r *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    r *= z
    r *= f(0.5)                                     # (1 - erf(|x|/sqrt(2))) / 2
    r *= x                                          # gelu(x) for x < 0
    np.subtract(x, r, out=r, where=x >= 0)          # x - that, for x >= 0
    x[...] = r


GELU_ROWS = 16  # rows per block: ~20 passes over a block that stays in cache, not over the whole array


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU of a (rows, 1536) activation, in place, block by block (a third faster than whole-array
    passes, which are memory-bound at this size: the largest array of the forward pass)."""
    for s in range(0, x.shape[0], GELU_ROWS):
        _gelu_block(x[s:s + GELU_ROWS])
    return x


class _Block(TypedDict):
    """One encoder layer's weights; named so each matrix keeps its array type (layer norms: weight, bias)."""
    qkv_w: np.ndarray
    qkv_b: np.ndarray
    o_w: np.ndarray
    o_b: np.ndarray
    ln1: tuple[np.ndarray, np.ndarray]
    i_w: np.ndarray
    i_b: np.ndarray
    f_w: np.ndarray
    f_b: np.ndarray
    ln2: tuple[np.ndarray, np.ndarray]


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    d = x - mu
    var = (d * d).mean(-1, keepdims=True)
    return d / np.sqrt(var + eps) * w + b


_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def _map_safetensors(file: Path) -> dict[str, np.ndarray]:
    """Every tensor of a .safetensors file as a read-only view of one memory map.

    Reading the 90 MB file into memory (``safetensors.numpy.load_file``) was most of the model's
    load time; mapped, the 47 MB word-embedding table is touched only at the rows a text uses.
    The format is an 8-byte little-endian header length, a JSON header, then the raw tensors."""
    n, header = safetensors_header(file)
    raw = np.memmap(file, dtype=np.uint8, mode="r")
    out = {}
    for name, t in header.items():
        start, end = t["data_offsets"]
        dtype = _DTYPES[t["dtype"]]
        out[name] = raw[8 + n + start:8 + n + end].view(dtype).reshape(t["shape"])
    return out


# Tokens a process encodes with numpy before it loads onnxruntime, which then encodes with about half
# the CPU and without holding the GIL (coach/minilm_graph.py). Loading costs ~0.3 s with onnxruntime's
# import, ~0.25 ms saved per token: about 1,200 tokens to break even. A cold `coach reflect` encodes
# ~600 and stays on numpy; a batch, an ingest or a page that answers a few situations moves over.
RUNTIME_AFTER_TOKENS = 1200


def _load_session(weights: dict[str, np.ndarray], layers: int):
    """onnxruntime over the checked-in graph, with the packaged weights handed in under their names."""
    import onnxruntime as ort

    from .graph import GRAPH, weight_names

    opts = ort.SessionOptions()
    # two threads: the second uses the core a batch's event loop mostly leaves idle (C=16: 1.66 -> 1.53-1.58
    # in benchmarks/batch_bench.py; C=8 the same within noise); never spinning, so a waiting thread
    # gives its core back to the loop at once
    opts.intra_op_num_threads = max(1, min(2, os.cpu_count() or 1))
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    names = weight_names(layers)
    values = [ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(weights[n])) for n in names]
    opts.add_external_initializers(names, values)  # copied in while the session is built
    return ort.InferenceSession(GRAPH.read_bytes(), opts, providers=["CPUExecutionProvider"])


class MiniLM:
    """One loaded model. The weights are read-only; the shared tokenizer is used under a lock, so
    ``encode`` may be called from several threads."""

    def __init__(self, path: Path | None = None, runtime_after: int | None = RUNTIME_AFTER_TOKENS):
        """``runtime_after``: tokens this model encodes with numpy before it moves to onnxruntime
        (0: from the first text; None: never). See ``RUNTIME_AFTER_TOKENS``."""
        from tokenizers import Tokenizer

        path = Path(path) if path else model_dir()
        cfg = json.loads((path / "config.json").read_text())
        self.heads = int(cfg["num_attention_heads"])
        self.eps = float(cfg.get("layer_norm_eps", 1e-12))
        self.layers = int(cfg["num_hidden_layers"])
        w = _map_safetensors(path / "model.safetensors")
        w = {k.removeprefix("bert."): v for k, v in w.items()}
        self.weights = w
        self.runtime_after = runtime_after
        self.tokens_seen = 0
        self.session = None  # the onnxruntime session, once loaded (``use_runtime``)
        self._session_lock = threading.Lock()
        self.word = w["embeddings.word_embeddings.weight"]
        self.pos = w["embeddings.position_embeddings.weight"]
        self.type0 = w["embeddings.token_type_embeddings.weight"][0]
        self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.blocks: list[_Block] = []
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q, k, v = (w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value"))
            qb, kb, vb = (w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value"))
            # (out, in) weights used as ``x @ w.T``: BLAS reads the transpose in place, nothing is copied
            self.blocks.append(_Block(
                qkv_w=np.concatenate([q, k, v]).T, qkv_b=np.concatenate([qb, kb, vb]),
                o_w=w[p + "attention.output.dense.weight"].T, o_b=w[p + "attention.output.dense.bias"],
                ln1=(w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                i_w=w[p + "intermediate.dense.weight"].T, i_b=w[p + "intermediate.dense.bias"],
                f_w=w[p + "output.dense.weight"].T, f_b=w[p + "output.dense.bias"],
                ln2=(w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
            ))
        self.tok = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(MAX_TOKENS)
        self._lock = threading.Lock()

    def use_runtime(self) -> bool:
        """Run the forward pass with onnxruntime from now on (coach/minilm_graph.py says why); False,
        and numpy goes on, when onnxruntime or the graph cannot be loaded (or numpy was asked for).
        Loading takes ~0.12 s, plus ~0.13 s for onnxruntime's import."""
        with self._session_lock:
            if self.session is None and self.runtime_after is not None:
                try:
                    self.session = _load_session(self.weights, self.layers)
                except Exception as e:  # noqa: BLE001 - any failure here only costs speed
                    import sys

                    print(f"coach: embedding with numpy (onnxruntime unavailable: {type(e).__name__}: "
                          f"{str(e).splitlines()[0] if str(e) else ''})", file=sys.stderr)
                    self.runtime_after = None
        return self.session is not None

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token ids (B, T) and mask (B, T) -> mean-pooled, unnormalised (B, 384)."""
        B, T = ids.shape
        H = self.word.shape[1]
        nh = self.heads
        hd = H // nh
        x = self.word[ids] + self.pos[:T][None] + self.type0
        x = _layer_norm(x, *self.emb_ln, self.eps)
        # padding keys get a large negative bias, as transformers does with finfo.min
        bias = np.where(mask[:, None, None, :] > 0, np.float32(0), np.float32(-1e9)).astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(hd))
        for blk in self.blocks:
            qkv = x.reshape(B * T, H) @ blk["qkv_w"] + blk["qkv_b"]
            qkv = qkv.reshape(B, T, 3, nh, hd).transpose(2, 0, 3, 1, 4)  # 3, B, nh, T, hd
            q, k, v = qkv[0], qkv[1], qkv[2]
            s = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            s = s - s.max(-1, keepdims=True)
            np.exp(s, out=s)
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(B * T, H)
            a = ctx @ blk["o_w"] + blk["o_b"]
            x = _layer_norm(a.reshape(B, T, H) + x, *blk["ln1"], self.eps)
            h = _gelu(x.reshape(B * T, H) @ blk["i_w"] + blk["i_b"])
            f = h @ blk["f_w"] + blk["f_b"]
            x = _layer_norm(f.reshape(B, T, H) + x, *blk["ln2"], self.eps)
        m = mask[..., None].astype(np.float32)
        return (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length float32 vectors, one per text, in order.

        Texts are grouped by token length so a batch pads little (padding is masked out, so the
        grouping changes no vector beyond float rounding)."""
        texts = list(texts)
        out = np.zeros((len(texts), self.word.shape[1]), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            encs = self.tok.encode_batch(texts)
        self.tokens_seen += sum(len(e.ids) for e in encs)
        if self.session is None and self.runtime_after is not None and self.tokens_seen >= self.runtime_after:
            self.use_runtime()
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))
        for s in range(0, len(order), batch_size):
            chunk = order[s:s + batch_size]
            T = max(len(encs[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), T), dtype=np.int64)
            mask = np.zeros((len(chunk), T), dtype=np.int64)
            for r, i in enumerate(chunk):
                e = encs[i].ids
                ids[r, :len(e)] = e
                mask[r, :len(e)] = 1
            session = self.session
            if session is not None:
                out[chunk] = session.run([OUTPUT], {"word_vectors": self.word[ids], "mask": mask.astype(np.float32)})[0]
                continue
            with _one_blas_thread():
                out[chunk] = self._forward(ids, mask)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)
