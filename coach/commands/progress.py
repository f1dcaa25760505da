"""Progress a person can read during a first `coach ingest`: loading the model takes seconds and
embedding the corpus more, and a silent terminal looks hung.

A terminal gets a rich bar over passages; a pipe or a log (CI, `make run | tee`) gets a few plain
lines instead of carriage-return redraws (both through ``coach.common.progress``, the printer every command
shares). The ingest callback contract: ``(0, total)`` once before the first encode (which loads the
model), then ``(done, total)`` after each stored chunk.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator, TextIO

from ..common.progress import PLAIN_EVERY_S, live

LOADING = "loading the embedding model…"


@contextmanager
def passage_progress(stream: TextIO | None = None) -> Iterator[Callable[[int, int], None]]:
    with live("passages", stream) as bar:
        def cb(done: int, total: int) -> None:
            if done == 0:
                bar.update("ingest", done, total, LOADING, f"coach: {LOADING} then embedding {total} passages")
            else:
                bar.update("ingest", done, total, "embedded" if done >= total else "embedding",
                           f"coach: embedded {done}/{total} passages")

        yield cb


__all__ = ["passage_progress", "LOADING", "PLAIN_EVERY_S"]
