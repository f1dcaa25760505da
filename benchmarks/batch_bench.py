"""`coach batch` against its ideal schedule on a local OpenAI-compatible server with a fixed latency.

With N cases, concurrency C and a server that takes L seconds per request, the ideal run takes
``ceil(N/C) * L`` for the requests; everything else (start-up, retrieval, verification, writing) is
the same for one case as for N only if it overlaps the waiting. So the measure is

    batch_ratio_to_ideal = (T_N - T_1) / (ceil(N/C) * L - L)

with T_1 one case through the same path. It is reported at two concurrencies: ``batch_ratio_to_ideal``
at C=8 (``Params.batch_c``: where issue 14's outside measurement was made, L=0.5 s, N=64) and
``batch_ratio_to_ideal_c16`` at C=16 (``Params.batch_c_second``: what this key meant before). The
larger C is, the shorter the ideal, so the same CPU work per case weighs more against it.

Two floors say what part of the gap is ours:

* ``batch_transport_ratio``: the same formula for the same N requests at the same C through the same
  engine call (``acompose_llm``: prompt, litellm, HTTP, the server), with nothing before or after
  (no retrieval, no verification, no results file). The event loop's own CPU per request (litellm
  builds, parses and prices each one) makes a wave of C requests end later than L, and T_N - T_1
  counts that ceil(N/C) - 1 times: no schedule of `coach batch` can beat this number.
* ``embed_floor_N_s``: the texts the N-case run embedded, in one batched call, on one thread.

Two more costs are in the details: ``first_chunk_prepare_s`` (no schedule hides it: the C-th request
cannot leave before C cases are embedded, so T_N >= that + ceil(N/C) request times) and
``cpu_in_T_N_s.write_report`` (the shared report, rendered once after the last case: N cases in T_N,
one in T_1; only rendering it case by case while the requests wait would hide it). Each concurrency
starts from the same state: the in-memory vector memos emptied, then the warm-up case again.

The server (tests/openai_server.py) runs as its own process, so its threads never compete with the
batch for this process's GIL. ``run_batch`` is the function `coach batch` calls; running it
in-process leaves out only the interpreter start-up, which T_N - T_1 would cancel anyway. A warm-up
run first loads the model, the store and litellm.
"""
from __future__ import annotations

import math
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import synth
from .common import TESTS, Params, Probe, clean_dir, rnd

MODEL = "openai/bench-model"


class ServerProcess:
    """tests/openai_server.py in a child process; ``url`` once it printed READY."""

    def __init__(self, env: dict, *args: str):
        self.proc = subprocess.Popen([sys.executable, str(TESTS / "openai_server.py"), "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"the test server did not start: {line!r} {self.proc.stderr.read()[-400:]}")
        self.url = line.split(" ", 1)[1]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _one_run(cases: list[dict], out: Path, model: str, url: str, concurrency: int) -> tuple[float, object]:
    from coach.batch import run_batch
    from coach.engines import EngineOptions

    clean_dir(out)
    t0 = time.perf_counter()
    counts = run_batch(cases, out, model, EngineOptions(api_base=url, timeout=60),
                       concurrency=concurrency, progress=False, log=lambda _msg: None)
    dt = time.perf_counter() - t0
    if counts.ok != len(cases):
        import json

        bad = [json.loads(ln) for ln in (out / "results.jsonl").read_text().splitlines()]
        errs = [r.get("error") for r in bad if r.get("status") != "ok"][:3]
        raise RuntimeError(f"batch: {counts.ok}/{len(cases)} ok; errors: {errs}")
    return dt, counts


class _Recorder:
    """Every text the embedding model encodes while the block runs, whichever code path asked
    (the model object's own ``encode`` is wrapped, so a refactor of coach.embedding.embed cannot hide one).
    The model is the one queries use: the numpy forward pass (coach/minilm.py), not torch."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.calls = 0
        self.seconds = 0.0
        self._lock = threading.Lock()

    def __enter__(self) -> "_Recorder":
        from coach.embedding import embed

        self.model = embed._load_fast()
        orig = self.model.encode

        def encode(sentences, *a, **kw):
            t0 = time.perf_counter()
            try:
                return orig(sentences, *a, **kw)
            finally:
                with self._lock:
                    self.texts.extend([sentences] if isinstance(sentences, str) else list(sentences))
                    self.calls += 1
                    self.seconds += time.perf_counter() - t0

        self.model.encode = encode
        return self

    def __exit__(self, *exc) -> None:
        del self.model.encode  # back to the class's method


def _transport(req, url: str, n: int, concurrency: int) -> float:
    """Wall time of ``n`` engine calls at ``concurrency``: the requests alone (see the module docstring)."""
    import asyncio

    from coach.engines import EngineOptions
    from coach.engines.llm import acompose_llm

    opts = EngineOptions(api_base=url, timeout=60)

    async def all_of_them() -> None:
        sem = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with sem:
                await acompose_llm(MODEL, req, opts)

        await asyncio.gather(*[one() for _ in range(n)])

    t0 = time.perf_counter()
    asyncio.run(all_of_them())
    return time.perf_counter() - t0


def _ratio(tn: float, t1: float, n: int, c: int, lat: float) -> float | None:
    ideal = math.ceil(n / c) * lat
    return rnd((tn - t1) / (ideal - lat)) if ideal > lat else None


def _one_setting(cases: list[dict], warm: dict, single: dict, c: int, params: Params, tmp: Path, url: str, req) -> dict:
    """T_1, T_N, the embedding floor and the transport floor at one concurrency."""
    import coach.embedding.embed
    import coach.pipeline

    n, lat = len(cases), params.batch_latency_s
    import coach.batch.runner

    # write_report runs once, after the last case: in T_N it renders N cases, in T_1 one
    targets = {"prepare_many": (coach.pipeline, "prepare_many"), "finish": (coach.pipeline, "finish"),
               "write_report": (coach.batch.runner, "write_report")}
    # each setting starts from the same state: nothing of these cases in coach.embedding.embed's in-memory memo
    # (or the verifier's), as the first setting found it after the warm-up
    import coach.embedding.cache

    coach.embedding.embed._memo.clear()
    coach.embedding.cache.clear()
    _one_run([warm], tmp / f"batch-warm-c{c}", MODEL, url, c)
    t1, _ = _one_run([single], tmp / f"batch-1-c{c}", MODEL, url, c)
    # leaf-level probes (microseconds each) on the N-case run: how busy the CPU side was
    with Probe(targets) as probe, _Recorder() as rec:
        tn, _counts = _one_run(cases, tmp / f"batch-n-c{c}", MODEL, url, c)
    # the embedding work no schedule can avoid (the scenarios and their clauses for retrieval, the new
    # answer sentences for verification): exactly the texts the run embedded, in one batched call
    t0 = time.perf_counter()
    coach.embedding.embed._load_fast().encode(rec.texts)  # the model the run used, past coach.embedding.embed's memo
    embed_floor = time.perf_counter() - t0
    tr1 = _transport(req, url, 1, c)
    trn = _transport(req, url, n, c)

    ideal = math.ceil(n / c) * lat
    bound = max(ideal, embed_floor)
    return {
        "ratio": _ratio(tn, t1, n, c, lat),
        "bound_ratio": rnd((tn - t1) / (bound - lat)) if bound > lat else None,
        "transport_ratio": _ratio(trn, tr1, n, c, lat),
        "details": {
            "N": n, "C": c, "L_s": lat, "model": MODEL,
            "T_1_s": rnd(t1), "T_N_s": rnd(tn), "ideal_T_N_s": rnd(ideal),
            "ideal_T_N_minus_T_1_s": rnd(ideal - lat),
            "excess_s": rnd((tn - t1) - (ideal - lat)),
            "transport_T_1_s": rnd(tr1), "transport_T_N_s": rnd(trn),
            "embed_floor_N_s": rnd(embed_floor),
            "texts_embedded_in_T_N": len(rec.texts),
            "encode_calls_in_T_N": rec.calls,
            "encode_s_in_T_N": rnd(rec.seconds),
            "bound_T_N_s": rnd(bound),
            "cpu_in_T_N_s": {k: rnd(v) for k, v in probe.seconds.items()},
            "calls_in_T_N": dict(probe.calls),
            # every schedule waits this long before the C-th request can go out: T_N >= this + ceil(N/C) waves
            "first_chunk_prepare_s": rnd(probe.first.get("prepare_many")),
            "cases_per_s": rnd(n / tn, 2),
            "server": "tests/openai_server.py in a child process, mode grounded",
        },
    }


def run(params: Params, tmp: Path, env: dict) -> dict:
    import os

    from coach.engines import Request
    from coach.pipeline import prepare

    n, lat = params.batch_n, params.batch_latency_s
    texts = synth.scenarios(n + 3, seed=params.seed + 8)
    cases = [{"id": f"case-{i:03d}", "scenario": t} for i, t in enumerate(texts[:n])]
    server = ServerProcess(env, "--mode", "grounded", "--latency", str(lat))
    out: dict = {}
    try:
        warm = {"id": "warm", "scenario": texts[n]}
        _one_run([warm], tmp / "batch-warm", MODEL, server.url, params.batch_c)
        prep = prepare(texts[n + 2])  # one prepared case: the transport floor's request, every time
        req = Request(prep.scenario, prep.sources, prep.lens)
        _transport(req, server.url, 2, 2)  # warm: litellm's async client
        for c, suffix in ((params.batch_c, ""), (params.batch_c_second, f"_c{params.batch_c_second}")):
            if suffix and params.batch_c_second == params.batch_c:
                continue
            got = _one_setting(cases, warm, {"id": "one", "scenario": texts[n + 1]}, c, params, tmp, server.url, req)
            got["details"]["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
            out[f"batch_ratio_to_ideal{suffix}"] = got["ratio"]
            out[f"batch_transport_ratio{suffix}"] = got["transport_ratio"]
            if not suffix:
                out["batch_ratio_to_bound"] = got["bound_ratio"]
            else:
                got["details"]["ratio_to_bound"] = got["bound_ratio"]
            out[f"batch{suffix}_details"] = got["details"]
    finally:
        server.stop()
    return out
