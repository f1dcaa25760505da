"""Load time, time to first token, whole-answer latency and generation speed of the local model, on the
compact prompt for a typical scenario (``make bench`` and the README table use this)."""
from __future__ import annotations

import time

from . import client
from .prompt import build_messages


def benchmark_local(max_tokens: int = 128, runs: int = 3) -> dict[str, float]:
    from ...feedback import Lens, Source
    from ..base import Request

    client.close()  # measure a cold start: the child process and the model load
    t0 = time.perf_counter()
    client.load_model()
    load_s = time.perf_counter() - t0
    req = Request(
        scenario="Two senior engineers keep missing deadlines and the team is frustrated. I keep adding status "
                 "meetings, but nothing changes. Should I manage harder or lead differently?",
        sources=[Source("S1", "d", "t", None, "Management is about planning, organizing and controlling the work "
                        "so that it gets done on time. Managers set deadlines and track progress.", 0.7),
                 Source("S2", "d", "t", None, "Leadership is about inspiring and motivating people. Leaders "
                        "explain why the work matters and coach people to grow.", 0.6)],
        lens=Lens())
    msgs = build_messages(req)
    lat, ttft, rates, toks, ptoks = [], [], [], [], 0
    for _ in range(max(1, runs)):
        client.reset()  # no prompt cache from the previous run: every run evaluates its prompt
        start = time.perf_counter()
        first = None
        usage: dict = {}
        for piece in client.generate(msgs, {"max_tokens": max_tokens, "temperature": 0.2}, timeout=300):
            if first is None and piece["text"]:
                first = time.perf_counter()
            if piece["usage"]:
                usage = piece["usage"]
        end = time.perf_counter()
        n = int(usage.get("completion_tokens", 0))
        lat.append(end - start)
        ttft.append((first or end) - start)
        toks.append(n)
        ptoks = int(usage.get("prompt_tokens", 0))
        if first and n > 1:
            rates.append((n - 1) / max(1e-6, end - first))
    mid = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731 - the median of a handful of runs
    return {"tokens_per_s": round(mid(rates), 1) if rates else 0.0, "load_s": round(load_s, 3),
            "latency_s": round(mid(lat), 3), "ttft_s": round(mid(ttft), 3),
            "completion_tokens": float(mid(toks)), "prompt_tokens": float(ptoks), "threads": float(client.threads())}


if __name__ == "__main__":  # python -m coach.engines.local.bench: print the benchmark
    import json

    print(json.dumps(benchmark_local(), indent=2))
