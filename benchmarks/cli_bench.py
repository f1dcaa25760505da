"""The command line as a user meets it: `coach --help`, a cold `coach reflect`, and streaming latency.

* ``cli_help_s``: wall time of ``coach --help`` (median), beside the bare interpreter start-up
  (``python -c pass``), its floor. Every command module must import lazily for this to stay small.
* ``reflect_cold_s``: one extractive ``coach reflect`` in a fresh process, end to end (median), with
  ``python -X importtime`` of the same command summarised per top-level package: what start-up
  costs and where.
* ``ttft_overhead_ms``: ``coach reflect --model openai/... --api-base URL`` against the test server
  (tests/openai_server.py, in this process) with a ``first_token_delay``. The server stamps
  ``time.perf_counter()`` when it has flushed the first content chunk; this process stamps
  ``time.perf_counter()`` when the first byte reaches it on the CLI's stdout pipe (read unbuffered
  with ``os.read``). Both clocks are the same process's, so the difference is exactly the client
  side: HTTP, SSE parsing in litellm, the engine's callback, the CLI's write and flush.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from .common import ROOT, TESTS, Params, coach_argv, median, rnd, run_timed

SCENARIO = ("Two senior engineers on my team keep missing deadlines and the others are frustrated. I keep adding "
            "status meetings, but nothing changes. Should I manage harder or lead differently?")
GROUPS = ("torch", "transformers", "sentence_transformers", "chromadb", "litellm", "numpy", "scipy", "sklearn",
          "pydantic", "openai", "httpx", "aiohttp", "onnxruntime", "tokenizers", "coach")


def help_time(params: Params, env: dict) -> dict:
    helps, bare = [], []
    for _ in range(params.help_runs):
        dt, proc = run_timed(coach_argv() + ["--help"], env)
        if "reflect" not in proc.stdout:
            raise RuntimeError("`coach --help` did not list the commands")
        helps.append(dt)
        bare.append(run_timed([sys.executable, "-c", "pass"], env)[0])
    return {"cli_help_s": rnd(median(helps)), "python_startup_s": rnd(median(bare)),
            "cli_help_runs_s": [rnd(x) for x in helps]}


def parse_importtime(stderr: str) -> dict:
    """Self time per top-level package (so nothing is counted twice) and the total, in seconds."""
    per: dict[str, float] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        parts = line[len("import time:"):].split("|")  # "  self_us |  cumulative_us |   name"
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        top = parts[2].strip().split(".")[0]
        per[top] = per.get(top, 0.0) + int(parts[0]) / 1e6
    total = sum(per.values())
    summary = {g: rnd(per.get(g, 0.0)) for g in GROUPS}
    summary["other"] = rnd(total - sum(per.get(g, 0.0) for g in GROUPS))
    summary["total"] = rnd(total)
    return summary


def reflect_cold(params: Params, env: dict) -> dict:
    runs = []
    for _ in range(params.cold_runs):
        dt, proc = run_timed(coach_argv() + ["reflect", SCENARIO], env)
        if "[S1]" not in proc.stdout:
            raise RuntimeError("extractive `coach reflect` gave no cited answer")
        runs.append(dt)
    dt, proc = run_timed([sys.executable, "-X", "importtime", "-m", "coach.cli", "reflect", SCENARIO], env)
    out = {"reflect_cold_runs_s": [rnd(x) for x in runs], "reflect_cold_importtime_run_s": rnd(dt),
           "reflect_import_s": parse_importtime(proc.stderr)}
    if runs:
        out["reflect_cold_s"] = rnd(median(runs))
    else:  # --quick: the import-time run doubles as the cold run (-X importtime adds a little)
        out["reflect_cold_s"] = rnd(dt)
        out["reflect_cold_from_importtime_run"] = True
    return out


def ttft(params: Params, env: dict) -> dict:
    sys.path.insert(0, str(TESTS))
    from openai_server import FakeOpenAI

    overheads, firsts = [], []
    with FakeOpenAI(mode="grounded", first_token_delay=params.ttft_first_token_delay_s,
                    chunk_delay=params.ttft_chunk_delay_s) as server:
        for _ in range(params.ttft_runs):
            server.reset()
            argv = coach_argv() + ["reflect", "--model", "openai/bench-model", "--api-base", server.url, SCENARIO]
            with tempfile.TemporaryFile() as err:
                proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env=env, cwd=str(ROOT), bufsize=0)
                fd = proc.stdout.fileno()
                first = b""
                while not first:
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        break
                    first = chunk
                t_first = time.perf_counter()
                rest = proc.stdout.read()
                code = proc.wait(timeout=300)
                err.seek(0)
                errtext = err.read().decode("utf-8", "replace")
            if code != 0 or not first:
                raise RuntimeError(f"`coach reflect --model openai/...` exited {code}: {errtext.strip()[-600:]}")
            if not server.first_token_sent_at:
                raise RuntimeError("the server never streamed a token (was the scenario out of scope?)")
            overheads.append((t_first - server.first_token_sent_at[0]) * 1000)
            firsts.append((first + rest)[:60].decode("utf-8", "replace"))
    return {"ttft_overhead_ms": rnd(median(overheads), 2), "ttft_runs_ms": [rnd(x, 2) for x in overheads],
            "ttft_first_bytes": firsts[0]}


def run(params: Params, env: dict) -> dict:
    out: dict = {}
    out.update(help_time(params, env))
    out.update(reflect_cold(params, env))
    out.update(ttft(params, env))
    return {
        "cli_help_s": out.pop("cli_help_s"),
        "reflect_cold_s": out.pop("reflect_cold_s"),
        "ttft_overhead_ms": out.pop("ttft_overhead_ms"),
        "cli_details": out,
    }
