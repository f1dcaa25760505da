"""Does the local model actually run on this machine? A tiny generation in the child, remembered.

A file that is present says nothing about a native build that dies with SIGILL on this CPU. The
probe loads the model and generates a few tokens in the child process; its result is cached in the
data folder under the identity of everything that decides it (the llama.cpp build's files, the model
file, this CPU's flags, the interpreter, an injected fault), so ``coach models`` stays fast after the
first look and looks again after any of those change.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from ...errors import EngineError
from .files import checked_path, file_key

# tokens the runs-here probe generates: enough to execute the model's kernels, ~1 s on 2 cores
PROBE_TOKENS = 4
CACHE_NAME = "local-model-probe.json"
# probe results kept (one per build, model file, CPU and interpreter): a machine rarely has more
CACHE_ENTRIES = 8


def _cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def build_identity() -> str:
    """A hash of what decides whether generation runs: the shared libraries of the llama.cpp build,
    the model file, the CPU's flags, the interpreter and any injected fault."""
    spec = importlib.util.find_spec("llama_cpp")
    from ...config import local_fault

    parts: list[Any] = [sys.executable, _cpu_flags(), local_fault()]
    if spec and spec.origin:
        pkg = Path(spec.origin).parent
        for f in sorted(pkg.rglob("*.so*")):
            st = f.stat()
            parts.append((f.name, st.st_size, st.st_mtime_ns))
    try:
        parts.append(file_key(checked_path()))
    except EngineError as e:
        parts.append(str(e))
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]


def _cache_path() -> Path:
    from ...config import data_dir

    return data_dir() / CACHE_NAME


def run_probe() -> dict[str, Any]:
    """Start a fresh child, load, generate a few tokens; ``{"runs", "error", "tokens", "seconds"}``."""
    from . import client

    t0 = time.perf_counter()
    client.close()
    result: dict[str, Any]
    try:
        n = 0
        for piece in client.generate([{"role": "user", "content": "Say hello."}],
                                     {"max_tokens": PROBE_TOKENS, "temperature": 0.0}, timeout=120):
            n += 1 if piece["text"] else 0
        result = {"runs": n > 0, "error": None if n else "the model generated nothing", "tokens": n}
    except EngineError as e:
        result = {"runs": False, "error": str(e), "tokens": 0}
    except Exception as e:  # litellm's Timeout and the like: still an answer, not a crash
        result = {"runs": False, "error": str(e).splitlines()[0][:200] or type(e).__name__, "tokens": 0}
    finally:
        client.close()
    result["seconds"] = round(time.perf_counter() - t0, 3)
    return result


def runs_here(refresh: bool = False) -> dict[str, Any]:
    """The probe's result for this build on this machine, from the cache when the identity matches.

    The cache holds the last few identities (a venv with two model files, a test that injects a fault),
    so switching back and forth does not probe again each time."""
    ident = build_identity()
    path = _cache_path()
    try:
        cache = json.loads(path.read_text())
        cache = cache if isinstance(cache, dict) else {}
    except (OSError, ValueError):
        cache = {}
    if not refresh and isinstance(cache.get(ident), dict):
        return {**cache[ident], "identity": ident, "cached": True}
    result = run_probe()
    cache.pop(ident, None)
    cache[ident] = result
    cache = dict(list(cache.items())[-CACHE_ENTRIES:])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(cache))
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only data folder: the answer is still right, just not remembered
    return {**result, "identity": ident, "cached": False}
