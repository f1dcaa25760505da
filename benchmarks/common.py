"""Shared pieces of the benchmark run: the parameters, the temp-dir environment, and small timing helpers.

Kept free of heavy imports so that ``python -m benchmarks --help`` is instant and the child
processes the benchmarks start are not slowed by what the parent has loaded.
"""
from __future__ import annotations

import datetime as _dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.json"
TESTS = ROOT / "tests"

from coach.config import OFFLINE_ENV  # noqa: E402,F401  the one list of offline settings (light: os, pathlib)


@dataclass
class Params:
    """Every knob of a run; written into results.json so a number can always be traced to its setup."""

    quick: bool = False
    articles: int = 1000            # synthetic corpus for the ingest benchmark
    paragraphs: tuple[int, int] = (2, 3)   # per article (min, max)
    sentences: tuple[int, int] = (1, 2)    # per paragraph (min, max)
    seed: int = 7
    queries: int = 60               # distinct retrieval queries per store
    k: int = 5
    batch_n: int = 64               # cases through `coach batch`
    batch_c: int = 8                # its concurrency: the outside measurement (issue 14) was at C=8
    batch_c_second: int = 16        # also reported, as batch_ratio_to_ideal_c<that>
    batch_latency_s: float = 0.5    # the test server's latency per request
    ttft_runs: int = 3              # cold `coach reflect` runs against a streaming server
    ttft_first_token_delay_s: float = 0.5
    ttft_chunk_delay_s: float = 0.01
    backend_sample: int = 600       # texts the embedder ingest does not choose encodes, for comparison
    cold_runs: int = 3              # cold extractive `coach reflect` runs (each alternated with its floor)
    help_runs: int = 5
    local_max_tokens: int = 128
    local_runs: int = 3
    sections: list[str] = field(default_factory=list)

    @classmethod
    def quick_params(cls) -> "Params":
        return cls(quick=True, articles=30, backend_sample=0, queries=8, batch_n=8, batch_c=4, batch_c_second=2,
                   batch_latency_s=0.2,
                   ttft_runs=1, ttft_first_token_delay_s=0.3, cold_runs=0, help_runs=2,
                   local_max_tokens=16, local_runs=1)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["paragraphs"], d["sentences"] = list(self.paragraphs), list(self.sentences)
        return d


def machine_facts() -> dict:
    """What the numbers were measured on (cores, Python, library versions, when, how busy)."""
    from importlib import metadata

    def ver(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    try:
        load = list(os.getloadavg())
    except OSError:
        load = None
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "load_avg_at_start": load,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "threading_env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT",
                                                         "MKL_NUM_THREADS")},
        "versions": {n: ver(n) for n in ("torch", "sentence-transformers", "chromadb", "litellm",
                                        "llama_cpp_python", "coach")},
    }


def setup_env(tmp: Path) -> dict[str, str]:
    """Point this process (and every child) at a store inside ``tmp``; return the child env."""
    data = tmp / "data"
    data.mkdir(parents=True, exist_ok=True)
    os.environ.update(OFFLINE_ENV)
    os.environ["COACH_DATA_DIR"] = str(data)
    os.environ["COACH_CORPUS_DIR"] = str(ROOT / "corpus")
    for var in ("COACH_CHROMA_URL", "COACH_MODEL", "COACH_COLLECTION"):
        os.environ.pop(var, None)
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)  # measure the CLI's own flushing, not a forced one
    return env


def coach_argv() -> list[str]:
    """How a user runs the CLI: the installed ``coach`` script beside this Python, else ``-m coach.cli``."""
    script = Path(sys.executable).parent / "coach"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "coach.cli"]


def run_timed(argv: list[str], env: dict, timeout: float = 300, input: str | None = None) -> tuple[float, subprocess.CompletedProcess]:
    """Wall time of one child process (start to exit); raises with its stderr if it fails."""
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=timeout, input=input)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])}... exited {proc.returncode}: {proc.stderr.strip()[-800:]}")
    return dt, proc


def pct(xs: list[float], p: float) -> float:
    """The p-th percentile (0..100) with linear interpolation (numpy's default), without numpy."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    pos = (len(s) - 1) * p / 100
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def rnd(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(float(x), nd)


def clean_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


class Probe:
    """Time spent inside chosen functions while a block runs, by wrapping them in place.

    ``with Probe({"encode": (coach.embedding.embed, "encode")}) as probe: ...`` then ``probe.seconds["encode"]``.
    Used to say what an overhead is made of; never around the timed runs themselves."""

    def __init__(self, targets: dict[str, tuple[object, str]]):
        self.targets = targets
        self.seconds = {name: 0.0 for name in targets}
        self.calls = {name: 0 for name in targets}
        self.items = {name: 0 for name in targets}  # len() of the first argument, when it has one
        self.first: dict[str, float] = {}  # the first call's seconds (a batch's first chunk: no request waits less)
        self._saved: list[tuple[object, str, object]] = []

    def __enter__(self) -> "Probe":
        import functools

        for name, (owner, attr) in self.targets.items():
            orig = getattr(owner, attr)
            self._saved.append((owner, attr, orig))

            def wrap(fn, key=name):
                @functools.wraps(fn)
                def timed(*a, **kw):
                    t0 = time.perf_counter()
                    try:
                        return fn(*a, **kw)
                    finally:
                        self.first.setdefault(key, time.perf_counter() - t0)
                        self.seconds[key] += time.perf_counter() - t0
                        self.calls[key] += 1
                        if a and isinstance(a[0], (list, tuple)):
                            self.items[key] += len(a[0])
                return timed

            setattr(owner, attr, wrap(orig))
        return self

    def __exit__(self, *exc) -> None:
        for owner, attr, orig in reversed(self._saved):
            setattr(owner, attr, orig)
        self._saved.clear()
