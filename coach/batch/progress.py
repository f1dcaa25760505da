"""The batch's progress on stderr: ok / error / skipped counts, rate and ETA.

What is counted lives here; how it is drawn is ``coach.common.progress``, the printer every command shares:
rich's bar on a terminal, a plain line every few seconds otherwise (a log file gets no carriage returns).
"""
from __future__ import annotations

import sys
import time
from collections import deque
from typing import Any

from .results import STATUSES


def fmt_duration(s: float) -> str:
    s = max(0, int(round(s)))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class Progress:
    """ok / error / skipped counts, rate and ETA on stderr: a live bar on a terminal, lines otherwise."""

    def __init__(self, total: int, stream=None, tty: bool | None = None, interval: float | None = None,
                 enabled: bool = True):
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval = interval if interval is not None else (0.2 if self.tty else 10.0)
        self.enabled = enabled
        self.counts = {s: 0 for s in STATUSES}
        self.t0 = time.perf_counter()
        self._base = 0
        self._last = 0.0
        self._recent: deque[float] = deque(maxlen=200)  # finish times, for a rate that ignores warm-up
        self.phase = ""
        self.paused: str | None = None  # why nothing is being sent now (coach/batch/outage.py), shown in the line
        self._cm: Any = None     # coach.common.progress.live(...), entered on the first show on a terminal
        self._live: Any = None

    def start(self, phase: str = "") -> None:
        """Start the clock for rate and ETA (cases recorded before this do not count toward the rate)."""
        self.t0 = time.perf_counter()
        self._base = self.done
        self.phase = phase

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    def add(self, status: str, show: bool = True) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
        self._recent.append(time.perf_counter())
        if show:
            self.show()

    def line(self) -> str:
        now = time.perf_counter()
        elapsed = now - self.t0
        rate = self.rate(now)
        left = self.total - self.done
        eta = fmt_duration(left / rate) if rate > 0 and left else ("0:00" if not left else "--:--")
        c = self.counts
        text = (f"{self.done}/{self.total}  ok {c['ok']}  error {c['error']}  skipped {c['skipped']}  "
                f"{rate:.1f}/s  elapsed {fmt_duration(elapsed)}  ETA {eta}")
        if self.phase and self.done == self._base and left:
            text += f"  ({self.phase})"
        if self.paused:
            text += f"  ({self.paused})"
        return text if self.tty else f"coach batch: {text}"

    def rate(self, now: float | None = None) -> float:
        """Cases per second over the recent finishes (the first ones pay for model loading)."""
        now = now or time.perf_counter()
        recent = [t for t in self._recent if t >= self.t0][-100:]
        if len(recent) >= 5 and now > recent[0]:
            return (len(recent) - 1) / (now - recent[0])
        elapsed = now - self.t0
        return (self.done - self._base) / elapsed if elapsed > 0 else 0.0

    def note(self, paused: str | None) -> None:
        """Say in the progress line why the run is waiting (None: it is not), at once."""
        if paused != self.paused:
            self.paused = paused
            self.show(force=True)

    def show(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last < self.interval and self.done < self.total:
            return
        if not self.tty and not force and self.done >= self.total:
            return  # the final line is printed by finish()
        self._last = now
        text = self.line()
        if self.tty:
            if self._live is None:
                from ..common.progress import live

                self._cm = live("cases", self.stream, terminal=True)
                self._live = self._cm.__enter__()
            self._live.update("batch", self.done, self.total, f"coach batch  {text}")
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def finish(self) -> None:
        if not self.enabled:
            return
        self.show(force=True)
        self.close()

    def close(self) -> None:
        """Give the terminal back (rich hides the cursor while it draws), whatever stopped the run."""
        if self._cm is not None:
            cm, self._cm, self._live = self._cm, None, None
            cm.__exit__(None, None, None)
