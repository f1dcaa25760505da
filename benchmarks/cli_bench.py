"""The command line as a user meets it: `coach --help`, a cold `coach reflect`, and streaming latency.

* ``cli_help_s``: wall time of ``coach --help`` (median), beside the bare interpreter start-up
  (``python -c pass``), its floor. Every command module must import lazily for this to stay small.
* ``reflect_cold_s``: one extractive ``coach reflect`` in a fresh process, end to end (median), with
  ``python -X importtime`` of the same command summarised per top-level package: what start-up
  costs and where. ``reflect_cold_ratio``: that median over the median fresh
  ``python -c "import chromadb"`` (its floor), the two alternated in one run.
* ``page_first_answer_s``: the page (coach/web/app.py through Streamlit's AppTest) in a fresh
  process, from spawn to its first cited answer.
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
    """Cold `coach reflect` against its floor, a fresh ``python -c "import chromadb"`` (the import a
    reflection once could not avoid; since the store's read snapshot it does not import it at all),
    alternated run by run so both meet the same machine load; ``reflect_cold_ratio`` is median over
    median. A first, untimed reflection writes the constant vectors and the store's snapshot the cold
    path then reads (as any user's first run after an ingest does)."""
    run_timed(coach_argv() + ["reflect", SCENARIO], env)
    runs, floors = [], []
    for _ in range(max(1, params.cold_runs)):
        floors.append(run_timed([sys.executable, "-c", "import chromadb"], env)[0])
        dt, proc = run_timed(coach_argv() + ["reflect", SCENARIO], env)
        if "[S1]" not in proc.stdout:
            raise RuntimeError("extractive `coach reflect` gave no cited answer")
        runs.append(dt)
    dt, proc = run_timed([sys.executable, "-X", "importtime", "-m", "coach.cli", "reflect", SCENARIO], env)
    return {"reflect_cold_runs_s": [rnd(x) for x in runs], "reflect_cold_importtime_run_s": rnd(dt),
            "reflect_cold_floor_runs_s": [rnd(x) for x in floors],
            "reflect_cold_floor_s": rnd(median(floors)),
            "reflect_cold_ratio": rnd(median(runs) / median(floors)),
            "reflect_cold_s": rnd(median(runs)),
            "reflect_import_s": parse_importtime(proc.stderr)}


PAGE_PROBE = r"""
import json, sys, time
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=600)
at.run()
assert not at.exception, [e.message for e in at.exception]
drawn = time.time()
at.text_area(key="scenario").input(sys.argv[2])
at.button(key="reflect").click().run()
assert not at.exception, [e.message for e in at.exception]
answered = time.time()
ok = any("#source-" in m.value for m in at.markdown)
heavy = sorted(m for m in ("torch", "sentence_transformers", "transformers", "scipy", "litellm") if m in sys.modules)
print(json.dumps({"drawn": drawn, "answered": answered, "ok": ok, "heavy": heavy}))
"""


def page_first_answer(params: Params, env: dict) -> dict:
    """The page from a fresh process to its first answer: Streamlit's AppTest runs coach/web/app.py
    (the same script `coach app` serves) in a new interpreter, types a situation, presses Reflect.
    Stamps are wall-clock (``time.time()``) across the two processes. Also which heavy libraries the
    page loaded on the way (none should be)."""
    import json

    app = ROOT / "coach" / "web" / "app.py"
    runs, drawn, heavy = [], [], []
    for _ in range(max(1, params.cold_runs)):
        t0 = time.time()
        proc = subprocess.run([sys.executable, "-c", PAGE_PROBE, str(app), SCENARIO], env=env, cwd=str(ROOT),
                              capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise RuntimeError(f"the page probe failed: {proc.stderr.strip()[-800:]}")
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        if not got["ok"]:
            raise RuntimeError("the page gave no cited answer")
        runs.append(got["answered"] - t0)
        drawn.append(got["drawn"] - t0)
        heavy = got["heavy"]
    return {"page_first_answer_s": rnd(median(runs)), "page_first_answer_runs_s": [rnd(x) for x in runs],
            "page_drawn_s": rnd(median(drawn)), "page_heavy_modules": heavy}


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
    out.update(page_first_answer(params, env))
    out.update(ttft(params, env))
    return {
        "cli_help_s": out.pop("cli_help_s"),
        "reflect_cold_s": out.pop("reflect_cold_s"),
        "reflect_cold_ratio": out.pop("reflect_cold_ratio"),
        "reflect_cold_floor_s": out.pop("reflect_cold_floor_s"),
        "page_first_answer_s": out.pop("page_first_answer_s"),
        "ttft_overhead_ms": out.pop("ttft_overhead_ms"),
        "cli_details": out,
    }
