"""Vectors of texts the checks and the engines compare, embedded once per process.

Why a cache here, below every stage: the checks compare an answer's sentences with the passages' and
the situation's, the built-in engine compares the articles' sentences with the needs, and most of those
texts repeat within a process (the corpus's sentences above all). Retrieval already holds the stored
vectors of every passage and sentence ingest embedded; it offers them here (``provide``) so they are
looked up, not embedded again, without the checks reaching back into retrieval.
"""
from __future__ import annotations

from typing import Callable, Iterable, Sequence

MAX_ENTRIES = 20000  # about 30 MB of float32 vectors; cleared whole when passed (a batch of thousands of cases)

_CACHE: dict[str, object] = {}
_PROVIDERS: list[Callable[[Sequence[str]], dict[str, object]]] = []


def provide(lookup: Callable[[Sequence[str]], dict[str, object]]) -> None:
    """Register a lookup of vectors already computed elsewhere (text -> vector for those it knows)."""
    if lookup not in _PROVIDERS:
        _PROVIDERS.append(lookup)


def vectors(texts: list[str]):
    """The embedding of each text: from this cache, a provider, or one batched pass for the rest."""
    from . import embed

    missing = [t for t in dict.fromkeys(texts) if t not in _CACHE]
    for lookup in _PROVIDERS:
        if not missing:
            break
        known = lookup(missing)
        _CACHE.update(known)
        missing = [t for t in missing if t not in known]
    if missing:
        for t, v in zip(missing, embed.encode_array(missing)):
            _CACHE[t] = v
        if len(_CACHE) > MAX_ENTRIES:
            _CACHE.clear()
    return [_CACHE[t] if t in _CACHE else embed.encode_array([t])[0] for t in texts]


def clear() -> None:
    """Forget every cached vector (benchmarks start each setting from the same state)."""
    _CACHE.clear()


def warm(texts: Iterable[str]) -> None:
    """Embed many texts in one batched pass ahead of the checks that look them up one by one."""
    vectors(list(dict.fromkeys(texts)))


__all__ = ["vectors", "warm", "provide", "clear", "MAX_ENTRIES"]
