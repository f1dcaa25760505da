"""The one progress printer the commands share: a rich bar on a terminal, a few plain lines otherwise.

Why one: `coach ingest` and `coach eval` each had their own (a rich bar; a hand-written carriage-return
counter that printed nothing into a pipe), so a log showed progress for one command and not the
other. A terminal gets rich's bar (redrawn in place); a pipe, a log or CI gets at most one line per
``PLAIN_EVERY_S`` plus the first and the last, never carriage returns or colour codes.

A low floor on purpose (it imports nothing from the package): any front end can report through it.
"""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Any, Iterator, TextIO

PLAIN_EVERY_S = 2.0  # a pipe gets at most one line per this many seconds (and always the first and the last)


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Live:
    """What a command reports to: ``update(key, done, total, description, line)``.

    ``key`` names one bar (one per engine in an eval, one for an ingest); ``description`` is its label
    on a terminal, ``line`` the whole plain line for a pipe (None: nothing to say there this time)."""

    def __init__(self, stream: TextIO, bar: Any = None):
        self.stream = stream
        self.bar = bar                      # a rich Progress on a terminal, else None
        self.tasks: dict[str, Any] = {}
        self.last = 0.0

    def update(self, key: str, done: int, total: int, description: str, line: str | None = None) -> None:
        if self.bar is not None:
            if key not in self.tasks:
                self.tasks[key] = self.bar.add_task(description, total=total)
            self.bar.update(self.tasks[key], completed=done, total=total, description=description)
            return
        now = time.monotonic()
        if line is None or not (done == 0 or done >= total or now - self.last >= PLAIN_EVERY_S):
            return
        print(line, file=self.stream, flush=True)
        self.last = now


@contextmanager
def live(unit: str, stream: TextIO | None = None, terminal: bool | None = None) -> Iterator[Live]:
    """A ``Live`` for counting ``unit`` (e.g. "passages", "cases") on ``stream`` (stderr by default);
    ``terminal`` overrides what the stream says it is (tests draw the bar into a buffer)."""
    stream = stream or sys.stderr
    if not (is_terminal(stream) if terminal is None else terminal):
        yield Live(stream)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn(unit), TimeElapsedColumn())
    with Progress(*columns, console=Console(file=stream, force_terminal=terminal), transient=False) as bar:
        yield Live(stream, bar)


__all__ = ["live", "Live", "is_terminal", "PLAIN_EVERY_S"]
