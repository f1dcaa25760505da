"""Progress a person can read during a first `coach ingest`: loading the model takes seconds and
embedding the corpus more, and a silent terminal looks hung.

A terminal gets a rich bar over passages; a pipe or a log (CI, `make run | tee`) gets a few plain
lines instead of carriage-return redraws. The ingest callback contract: ``(0, total)`` once before
the first encode (which loads the model), then ``(done, total)`` after each stored chunk.
"""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator, TextIO

LOADING = "loading the embedding model…"
PLAIN_EVERY_S = 2.0  # a pipe gets at most one line per this many seconds (and always the last one)


@contextmanager
def passage_progress(stream: TextIO | None = None) -> Iterator[Callable[[int, int], None]]:
    stream = stream or sys.stderr
    if _is_terminal(stream):
        with _bar(stream) as cb:
            yield cb
    else:
        yield _plain(stream)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _plain(stream: TextIO) -> Callable[[int, int], None]:
    last = [0.0]

    def cb(done: int, total: int) -> None:
        now = time.monotonic()
        if done == 0:
            print(f"coach: {LOADING} then embedding {total} passages", file=stream, flush=True)
        elif done >= total or now - last[0] >= PLAIN_EVERY_S:
            print(f"coach: embedded {done}/{total} passages", file=stream, flush=True)
        else:
            return
        last[0] = now

    return cb


@contextmanager
def _bar(stream: TextIO) -> Iterator[Callable[[int, int], None]]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("passages"), TimeElapsedColumn())
    with Progress(*columns, console=Console(file=stream), transient=False) as bar:
        task = None

        def cb(done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task(LOADING, total=total)
            bar.update(task, completed=done,
                       description=LOADING if done == 0 else ("embedded" if done >= total else "embedding"))

        yield cb
