"""When the store or the model stops answering in the middle of a batch: pause, wait, carry on.

Why: a Chroma server or a model server that dies mid-run used to turn every case still to come into
an error within seconds (178 of 200 in one measured run). Nothing was lost, but the coach had to read
a report full of errors and rerun with ``--retry-errors``. Now, after a few failures of the same kind
in a row, the run stops sending, says so on stderr (and in the progress line), tries again with
backoff, carries on when the service answers, and gives up after a limit with one clear line.

One ``Pause`` per service (the store, the model): a store outage must not hold back answers whose
passages are already retrieved, and a model that answers again must not count as the store being back.

How a pause works (a circuit breaker): ``failed`` counts failures of one kind in a row; at
``PAUSE_AFTER`` the pause starts and every case that wants to send waits in ``turn``. After a wait
(``FIRST_WAIT_S``, doubling up to ``MAX_WAIT_S``) exactly one waiting case is let through as the
probe: if it is answered, the run carries on; if it fails the same way, the next wait is longer. Once
the service has been away for ``GIVE_UP_AFTER_S``, the waiting cases are released with ``GaveUp``.

A service that never answered in this run is not paused for: a wrong address or a server that was
never up fails fast, as before, instead of waiting ten minutes.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import socket
import time
from typing import Any, Awaitable, Callable

# Three failures of the same kind in a row, with no answer between them, before pausing. One or two can
# be the cases' own (a request the server chokes on, a long answer that times out), and every request
# already had its own retries inside the engine (--retries); a third in a row while nothing succeeds is
# the service. Lower pauses on a single bad case; higher lets a whole wave (--concurrency 8) fail first.
PAUSE_AFTER = 3
# The first wait before trying again, doubled after each failed try up to MAX_WAIT_S. Measured here:
# `chroma run` answers 3.3-3.6 s after a restart and a local model server within seconds, so a short
# first wait finds a restarted service at once; a longer outage is then probed about once a minute.
FIRST_WAIT_S = 2.0
MAX_WAIT_S = 60.0
# How long a service may stay away before the run gives up: long enough for someone to notice and
# restart a server, short enough that an unattended run does not hang for hours. Giving up loses
# nothing: every finished case is saved and the printed command resumes the rest.
GIVE_UP_AFTER_S = 600.0

OPEN, PAUSED, PROBING, GAVE_UP = "open", "paused", "probing", "gave up"


def duration(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.0f} min"


class GaveUp(Exception):
    """The service did not come back within ``GIVE_UP_AFTER_S``; the message says which and why."""


def _chain(e: BaseException):
    seen, cur = 0, e  # type: int, BaseException | None
    while cur is not None and seen < 12:
        yield cur
        cur = cur.__cause__ or cur.__context__
        seen += 1


def store_outage(e: BaseException) -> str | None:
    """What kind of store outage ``e`` is ("not answering", "timed out"), or None: not the store's fault."""
    from ..errors import StoreError, UsageError

    if isinstance(e, UsageError):
        return None
    for cur in _chain(e):
        if isinstance(cur, StoreError) and "cannot reach" in str(cur):
            return "not answering"
        if isinstance(cur, TimeoutError) or "Timeout" in type(cur).__name__:
            return "timed out"
        if isinstance(cur, (ConnectionError, OSError)) and not isinstance(cur, FileNotFoundError):
            return "not answering"
        if type(cur).__module__.split(".")[0] in ("httpx", "httpcore") and \
                any(w in type(cur).__name__ for w in ("Connect", "Network", "Protocol", "Read", "Write")):
            return "not answering"
    return None


def model_outage(e: BaseException) -> str | None:
    """What kind of model outage ``e`` is, or None: a failure of this case alone (a bad request, a refusal).

    Three kinds, by what the user would do about them: "not answering" (refused or dropped connections,
    5xx: the server is down or restarting; a request cut off when it died and the refusals after it are
    the same outage), "timed out" (it is up but too slow), "rate-limited". The engine turns provider
    errors into one line (``engines.llm._explain``) raised from the original, reachable as ``__context__``."""
    from ..engines.llm import LOCAL_CRASH

    if LOCAL_CRASH in str(e):
        return "not answering"
    for cur in _chain(e):
        if isinstance(cur, (ConnectionRefusedError, socket.gaierror)):
            return "not answering"
        name = type(cur).__name__
        status = getattr(cur, "status_code", None)
        if name == "RateLimitError" or status == 429:
            return "rate-limited"
        if name in ("Timeout", "APITimeoutError") or isinstance(cur, TimeoutError):
            return "timed out"
        if name in ("APIConnectionError", "ConnectError", "ServiceUnavailableError", "BadGatewayError",
                    "InternalServerError") or isinstance(cur, ConnectionError) or \
                (isinstance(status, int) and status >= 500):
            return "not answering"
    return None


class Pause:
    """The pause state of one service (``what``: "the store at …", "the model server at …")."""

    def __init__(self, what: str, say: Callable[[str], None], show: Callable[[str | None], None]):
        self.what, self._say, self._show = what, say, show
        self.state = OPEN
        self.worked = False            # the service answered at least once in this run
        self.kind: str | None = None   # the kind of the current streak of failures
        self.streak = 0                # failures of that kind in a row
        self.recorded: list = []       # cases recorded as errors for an outage kind since the last pause
        self.reason = ""               # the last failure, as the user reads it
        self.wait = FIRST_WAIT_S
        self.since = 0.0               # when the pause began (monotonic)
        self.probe_out = False
        self._changed = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None

    # -- state changes -------------------------------------------------------------------------
    def _notify(self) -> None:
        ev, self._changed = self._changed, asyncio.Event()
        ev.set()

    def _away(self) -> str:
        return duration(time.monotonic() - self.since)

    def _schedule(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(self.wait, self._probe)

    def _probe(self) -> None:
        self._timer = None
        if time.monotonic() - self.since >= GIVE_UP_AFTER_S:  # the run says so in its last line
            self.state = GAVE_UP
            self._show(None)
        else:
            self.state, self.probe_out = PROBING, False
            self._show(f"paused: trying {self.what} again")
        self._notify()

    def _pause(self) -> None:
        self.state, self.since, self.wait = PAUSED, time.monotonic(), FIRST_WAIT_S
        self._say(f"coach batch: pausing: {self.what} failed {self.streak} times in a row ({self.reason}); "
                  f"nothing more is sent until it answers. Trying again in {self.wait:g} s, giving up after "
                  f"{duration(GIVE_UP_AFTER_S)}; finished cases are saved")
        self._show(f"paused: {self.what} is not answering")
        self._schedule()

    # -- what the cases report -----------------------------------------------------------------
    async def turn(self) -> bool:
        """Wait until this case may send. True: it is the probe of a paused service. Raises ``GaveUp``."""
        while True:
            if self.state == OPEN:
                return False
            if self.state == GAVE_UP:
                raise GaveUp(f"{self.what} did not answer for {self._away()} ({self.reason})")
            if self.state == PROBING and not self.probe_out:
                self.probe_out = True
                return True
            await self._changed.wait()

    def answered(self, probe: bool) -> None:
        """The service answered (a result, or an error of the case's own): the streak ends; a probe
        that got an answer ends the pause."""
        self.worked = True
        self.kind, self.streak = None, 0
        if probe and self.state in (PAUSED, PROBING):
            self.state = OPEN
            self._show(None)
            self._say(f"coach batch: {self.what} answers again after {self._away()}: carrying on")
            self._notify()

    def failed(self, kind: str, reason: str, token: object | None, probe: bool) -> bool:
        """A failure of ``kind`` (``store_outage``/``model_outage``). True: keep the case and try it
        again once the service is back; False: record it as an error now."""
        self.reason = reason
        if self.state == GAVE_UP:
            return False
        if self.state in (PAUSED, PROBING):
            if probe:  # the service is still away: wait longer before the next try
                self.state, self.wait = PAUSED, min(MAX_WAIT_S, self.wait * 2)
                self._say(f"coach batch: {self.what} is still not answering after {self._away()} ({reason}); "
                          f"trying again in {self.wait:g} s")
                self._show(f"paused: {self.what} is not answering")
                self._schedule()
            return True  # sent before the pause and failed since: tried again with the rest
        if kind != self.kind:
            self.kind, self.streak = kind, 0
        self.streak += 1
        if self.streak >= PAUSE_AFTER and self.worked:
            self._pause()
            return True
        if token is not None:
            self.recorded.append(token)
        return False

    def take_recorded(self) -> list:
        """The cases recorded as errors for an outage before this pause began (the ones whose failures
        started it, and any that failed the same way earlier and were left as errors): they are tried
        again once the service is back; their new result supersedes the error."""
        out, self.recorded = self.recorded, []
        return out

    @property
    def gave_up(self) -> bool:
        return self.state == GAVE_UP

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


async def through(pause: Pause, send: Callable[[Callable[[], None], Callable[[], None]], Awaitable[Any]], *,
                  slot: Callable[[int], Awaitable[Callable[[], None]]], token: object,
                  explain: Callable[[BaseException], str], requeue: Callable[[list], None]) -> Any:
    """``send(free, answered)`` (one case to the model) through ``pause``: it waits while the model is
    away, is tried again when the model is back if it failed because of the outage, and raises the
    case's own failure, or ``GaveUp``. ``slot(tries)`` gives the concurrency slot for each try (its
    ``free``); ``requeue`` takes the cases recorded as errors before the pause, to send them again."""
    tries = 0
    while True:
        free = await slot(tries)  # taken before waiting, so that the probe never waits for a slot
        tries += 1
        try:
            probe = await pause.turn()
            out = await send(free, functools.partial(pause.answered, probe))
            free()  # ``free`` may be called twice (``worker.once``); an in-process model never called it
            return out
        except asyncio.CancelledError:
            raise
        except GaveUp:
            free()
            raise
        except Exception as e:
            free()
            kind = model_outage(e)
            if kind is None:
                pause.answered(probe)  # the model answered: this failure is the case's own
                raise
            if not pause.failed(kind, explain(e), token, probe):
                raise
            requeue(pause.take_recorded())


async def retried(pause: Pause, pending: concurrent.futures.Future, again: Callable[[], concurrent.futures.Future],
                  kind_of: Callable[[BaseException], str | None], explain: Callable[[BaseException], str]) -> Any:
    """What ``pending`` computes (a chunk's retrieval, on the worker thread), computed ``again`` while
    the service is away: each failure counts toward the pause, and once paused each try is a probe.
    Nothing is recorded as failed meanwhile; ``GaveUp`` after the limit."""
    from ..errors import StoreError, UsageError

    probe = False
    while True:
        try:
            out = await asyncio.wrap_future(pending)
        except (asyncio.CancelledError, UsageError):
            raise
        except Exception as e:
            kind = kind_of(e)
            if kind is None:
                raise
            if not pause.worked:  # never answered in this run: a wrong address fails fast, in one line
                raise StoreError(f"{pause.what} stopped answering: {explain(e)}") from None
            pause.failed(kind, explain(e), None, probe)
            probe = await pause.turn()
            pending = again()
            continue
        pause.answered(probe)
        return out


__all__ = ["Pause", "GaveUp", "retried", "through", "store_outage", "model_outage", "PAUSE_AFTER", "FIRST_WAIT_S", "MAX_WAIT_S",
           "GIVE_UP_AFTER_S"]
