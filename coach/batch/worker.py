"""The one thread that runs the batch's CPU work (retrieval, the extractive engine, verification).

Why one thread, in order: the event loop never stalls on CPU work, and the embedding model (whose
fast tokenizer is not safe to call from two threads at once) is only ever used from one thread.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from typing import Callable


class CpuWorker:
    """One daemon thread that runs every embedding-bound step in order (see the module docstring).

    A daemon rather than a pool so that Ctrl-C or SIGTERM return at once instead of waiting for a
    chunk's embedding pass to end."""

    def __init__(self) -> None:
        self._q: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="coach-batch-cpu", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            fut, fn, args = item
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn(*args))
            except BaseException as e:  # handed to the awaiting coroutine
                fut.set_exception(e)

    def submit(self, fn, *args) -> concurrent.futures.Future:
        fut: concurrent.futures.Future = concurrent.futures.Future()
        self._q.put((fut, fn, args))
        return fut

    async def run(self, fn, *args):
        return await asyncio.wrap_future(self.submit(fn, *args))

    def close(self) -> None:
        self._q.put(None)


def once(fn: Callable[[], None]) -> Callable[[], None]:
    """``fn`` callable any number of times, run only the first (a slot is freed exactly once)."""
    done = False

    def call() -> None:
        nonlocal done
        if not done:
            done = True
            fn()

    return call
