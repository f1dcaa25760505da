"""How a batch's cases are cut into embedding passes, and how fast its first requests leave.

Kept apart from the runner (``runner.py``) because these are measured numbers and pure functions:
the runner only follows the plan they make."""
from __future__ import annotations

CHUNK = 256                      # at most this many cases per embedding pass: memory stays flat
MIN_CHUNK = 8                    # below this an embedding pass costs more per case (~25 ms at 8 or more, 55 ms alone)
# requests in flight by default: make bench's batch section measured C=8 near the best ratio (1.10-1.13) on 2 cores
DEFAULT_CONCURRENCY = 8
# Seconds between the first wave's requests. Sent at once, C requests to a server whose latency is
# steady come back at once, and every wave after queues on the event loop: litellm spends ~10 ms of
# CPU on each request and each answer (benchmarks/batch_bench.py). Spread by about that much, answers
# arrive one at a time and are read as they come. Measured at C=8, L=0.5 s, requests alone: a wave's
# median request 0.534-0.550 s sent at once, 0.516-0.523 s spread by 12-20 ms.
FIRST_WAVE_GAP = 0.012
# Cases per embedding pass in the first wave of a remote model's batch. No request can leave before
# its case is prepared, and the last lane of the first wave sets when the whole run ends; a pass of
# four is ready in about half the time of a pass of eight, so the first four requests leave (spread
# out) while the next four are embedded. Later chunks are prepared while requests wait, so they stay
# whole (cheaper per case).
FIRST_PASS = 4
MAX_CONCURRENCY = 256


def chunk_size(concurrency: int, chunk: int = CHUNK) -> int:
    """Cases per embedding pass: one wave of requests (``concurrency``), so the first requests wait
    for only C cases to be embedded and each later chunk is ready before the slots free up; at least
    ``MIN_CHUNK`` (smaller passes cost more per case) and at most ``chunk``."""
    return max(1, min(int(chunk), max(MIN_CHUNK, int(concurrency))))


def plan_chunks(n: int, concurrency: int, chunk: int = CHUNK, first_pass: int | None = None) -> list[range]:
    """The embedding passes of a run of ``n`` cases, as index ranges: chunks of ``chunk_size``, the
    first of them cut into passes of ``first_pass`` cases (none: not cut)."""
    size = chunk_size(concurrency, chunk)
    bounds = list(range(0, n, size)) + [n]
    out = [range(a, b) for a, b in zip(bounds, bounds[1:])]
    if first_pass and out and len(out[0]) > first_pass:
        head = out.pop(0)
        out[:0] = [range(a, min(a + first_pass, head.stop)) for a in range(head.start, head.stop, first_pass)]
    return out
