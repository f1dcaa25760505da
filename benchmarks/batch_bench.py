"""`coach batch` against its ideal schedule on a local OpenAI-compatible server with a fixed latency.

With N cases, concurrency C and a server that takes L seconds per request, the ideal run takes
``ceil(N/C) * L`` for the requests; everything else (start-up, retrieval, verification, writing) is
the same for one case as for N only if it overlaps the waiting. So the measure is

    batch_ratio_to_ideal = (T_N - T_1) / (ceil(N/C) * L - L)

with T_1 one case through the same path. The server (tests/openai_server.py) runs as its own
process, so its threads never compete with the batch for this process's GIL. ``run_batch`` is the
function `coach batch` calls; running it in-process leaves out only the interpreter start-up, which
T_N - T_1 would cancel anyway. A warm-up run first loads the model, the store and litellm.
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
    (the model object's own ``encode`` is wrapped, so a refactor of coach.embed cannot hide one).
    The model is the one queries use: the numpy forward pass (coach/minilm.py), not torch."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.calls = 0
        self.seconds = 0.0
        self._lock = threading.Lock()

    def __enter__(self) -> "_Recorder":
        from coach import embed

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


def run(params: Params, tmp: Path, env: dict) -> dict:
    import coach.embed
    import coach.pipeline

    n, c, lat = params.batch_n, params.batch_c, params.batch_latency_s
    texts = synth.scenarios(n + 2, seed=params.seed + 8)
    cases = [{"id": f"case-{i:03d}", "scenario": t} for i, t in enumerate(texts[:n])]
    model = "openai/bench-model"
    # leaf-level probes (microseconds each) on the N-case run: how busy the CPU side was
    targets = {"prepare_many": (coach.pipeline, "prepare_many"), "finish": (coach.pipeline, "finish")}
    server = ServerProcess(env, "--mode", "grounded", "--latency", str(lat))
    try:
        _one_run([{"id": "warm", "scenario": texts[n]}], tmp / "batch-warm", model, server.url, c)
        t1, _ = _one_run([{"id": "one", "scenario": texts[n + 1]}], tmp / "batch-1", model, server.url, c)
        with Probe(targets) as probe, _Recorder() as rec:
            tn, counts = _one_run(cases, tmp / "batch-n", model, server.url, c)
    finally:
        server.stop()

    # the embedding work no schedule can avoid (the scenarios for retrieval, the new answer sentences
    # for verification): exactly the texts the run embedded, in one batched call
    t0 = time.perf_counter()
    coach.embed._load_fast().encode(rec.texts)  # the model the run used, past coach.embed's memo
    embed_floor = time.perf_counter() - t0

    ideal = math.ceil(n / c) * lat
    bound = max(ideal, embed_floor)
    cpu = {k: rnd(v) for k, v in probe.seconds.items()}
    return {
        "batch_ratio_to_ideal": rnd((tn - t1) / (ideal - lat)) if ideal > lat else None,
        "batch_ratio_to_bound": rnd((tn - t1) / (bound - lat)) if bound > lat else None,
        "batch_details": {
            "N": n, "C": c, "L_s": lat, "model": model,
            "T_1_s": rnd(t1), "T_N_s": rnd(tn), "ideal_T_N_s": rnd(ideal),
            "ideal_T_N_minus_T_1_s": rnd(ideal - lat),
            "excess_s": rnd((tn - t1) - (ideal - lat)),
            "embed_floor_N_s": rnd(embed_floor),
            "texts_embedded_in_T_N": len(rec.texts),
            "encode_calls_in_T_N": rec.calls,
            "encode_s_in_T_N": rnd(rec.seconds),
            "bound_T_N_s": rnd(bound),
            "cpu_in_T_N_s": cpu,
            "calls_in_T_N": dict(probe.calls),
            "cases_per_s": rnd(n / tn, 2),
            "server": "tests/openai_server.py in a child process, mode grounded",
        },
    }
