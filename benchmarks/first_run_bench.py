"""First run against its floor: a fresh clone's `make run` until the page answers, over a plain
`pip install` of the same runtime requirements into a fresh venv (issue 18).

    first_run_ratio = T(fresh clone: `make run` → GET /_stcore/health on 127.0.0.1 answers "ok")
                      / T(`pip install <pyproject's dependencies>` into a fresh venv)

Both from the same pip cache, in one run, one after the other: `make run` first, the floor second,
so whatever the first install warms (the OS page cache, wheels pip built from sdists) helps the
floor, never the numerator. The numerator includes everything a manager waits for: creating the
venv, installing (the coach itself too), the first `coach ingest` (model load and embedding) and
Streamlit's start. Its output lines are time-stamped to say what the time went to.

The clone is the working tree's files that a `git clone` of it would have once committed (tracked
and untracked-but-not-ignored), so the number measures the tree as it is, not the last commit.
Several minutes on 2 cores: skipped with --quick (run it with ``--only first_run``).

Why the ratio can be below 1: the floor is pip's default, which byte-compiles every installed file
(all of torch, transformers, litellm...); `make run` installs with --no-compile, and Python then
compiles only the modules the first ingest and the page import, inside the numerator's time.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from .common import OFFLINE_ENV, ROOT, Params, rnd

TIMEOUT_S = 30 * 60


def run(params: Params, tmp: Path) -> dict:
    if params.quick:
        return {}
    work = tmp / "first-run"
    work.mkdir(parents=True, exist_ok=True)
    clone = fresh_clone(work / "clone")
    python = base_python()
    env = clean_env(work / "data")

    load_before = _load()
    first, marks, log = time_make_run(clone, python, env, work)
    floor_venv = work / "floor-venv"
    subprocess.run([python, "-m", "venv", str(floor_venv)], check=True, env=env)
    reqs = runtime_requirements(ROOT / "pyproject.toml")
    t0 = time.perf_counter()
    proc = subprocess.run([str(floor_venv / "bin" / "python"), "-m", "pip", "install", "-qq", *reqs], env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    floor = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"the floor's pip install failed: {proc.stderr.strip()[-800:]}")
    return {
        "first_run_ratio": rnd(first / floor),
        "first_run_s": rnd(first, 1),
        "first_run_floor_pip_install_s": rnd(floor, 1),
        "first_run_details": {
            "milestones_s": {k: rnd(v, 1) for k, v in marks.items()},
            "requirements": reqs,
            "python": python,
            "load_avg_before_after": [load_before, _load()],
            "make_run_output_tail": log[-25:],
            "note": "floor = plain pip install (byte-compiles everything); make run uses --no-compile",
        },
    }


def base_python() -> str:
    """The interpreter a user's `make run` would use (PY=python3), not this benchmark's venv."""
    return shutil.which("python3") or getattr(sys, "_base_executable", sys.executable)


def clean_env(data: Path) -> dict[str, str]:
    """A shell a new user would have: offline settings, a private store, no venv or coach settings leaking in."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("COACH_") and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "MAKEFLAGS",
                                                        "MFLAGS", "MAKELEVEL")}
    env.update(OFFLINE_ENV)
    env["COACH_DATA_DIR"] = str(data)
    return env


def fresh_clone(dest: Path) -> Path:
    """The files a clone of this tree would hold: git's tracked and not-ignored files, else a filtered copy."""
    files = None
    if (ROOT / ".git").exists() and shutil.which("git"):
        r = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           capture_output=True, text=True)
        if r.returncode == 0:
            files = [f for f in r.stdout.split("\0") if f and (ROOT / f).is_file()]
    if files is None:
        skip = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache", "build", "out",
                                      ".coach-data", "test-artifacts")
        shutil.copytree(ROOT, dest, ignore=skip)
        return dest
    for f in files:
        target = dest / f
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, target)
    return dest


def runtime_requirements(pyproject: Path) -> list[str]:
    import tomllib

    return list(tomllib.loads(pyproject.read_text())["project"]["dependencies"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


def time_make_run(clone: Path, python: str, env: dict, work: Path) -> tuple[float, dict[str, float], list[str]]:
    """Seconds from `make run` to a healthy page; the time-stamped milestones; the output's lines."""
    port = free_port()
    lines: list[tuple[float, str]] = []
    t0 = time.perf_counter()
    proc = subprocess.Popen(["make", "run", f"PORT={port}", f"PY={python}"], cwd=str(clone), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)

    def reader() -> None:
        for line in proc.stdout:
            lines.append((time.perf_counter() - t0, line.rstrip()))

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        while True:
            if healthy(port):
                total = time.perf_counter() - t0
                break
            if proc.poll() is not None:
                raise RuntimeError(f"`make run` exited {proc.returncode} before the page answered: "
                                   + " | ".join(l for _, l in lines[-15:]))
            if time.perf_counter() - t0 > TIMEOUT_S:
                raise RuntimeError("`make run` did not reach a healthy page in time")
            time.sleep(0.25)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        t.join(timeout=5)
    marks = {"page_healthy": total}
    for at, line in lines:
        if "installed in" in line and "requirements_installed" not in marks:
            marks["requirements_installed"] = at
        elif "added," in line and "ingested" not in marks:
            marks["ingested"] = at
    (work / "make-run.log").write_text("\n".join(f"{at:7.1f}  {l}" for at, l in lines) + "\n")
    return total, marks, [f"{at:.1f}s {l}" for at, l in lines]


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None
