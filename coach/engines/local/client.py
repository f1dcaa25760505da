"""The parent's side of the local model: one child process (``worker.py``) that holds llama.cpp.

A native crash in the child (SIGILL on a CPU whose advertised instructions it cannot run, SIGSEGV on
a bad file) ends only the child: the pipe closes, ``generate`` reads the signal from the exit status
and raises one EngineError line, and the next request starts a fresh child. A timeout kills the child
(llama.cpp cannot be interrupted inside a token; a process can), so the deadline is really kept.

The child is started on first use and kept for the life of this process (the page and a batch reuse
it); one generation runs at a time, as llama.cpp contexts are not thread-safe.
"""
from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Generator

from ...errors import EngineError
from .files import FAILED, MODEL, PROVIDER, checked_path, file_key, import_llama

# the local model's context: SmolLM2-135M's training length; the short prompt (coach/engines/local/prompt.py) fits in ~700 tokens
# timeouts: a cold start of the child (load, first token) and one answer took under 20 s on 2 busy cores; 120 s is 6x that
N_CTX = 2048
DEFAULT_TIMEOUT_S = 120.0
MAX_ANSWER_TOKENS = 160
START_TIMEOUT_S = 120.0

_lock = threading.Lock()          # one request to the child at a time
_worker: "Worker | None" = None
_load_s: float | None = None


class LocalCrash(EngineError):
    """The child died from a signal: the build does not run here (or the file broke native code)."""


def crash_message(sig_name: str) -> str:
    return (f"the local model crashed ({sig_name}) in its own process: this llama.cpp build does not run on "
            f"this machine's CPU; run `coach models` to check it, or use the built-in engine (--model extractive)")


def threads() -> int:
    from ...config import local_threads

    chosen = local_threads()
    if chosen:
        return chosen
    # Half the cores, for decoding *and* the prompt. On a busy 2-core machine (4 runs each, 64 tokens):
    # 1/1 thread gave 1.6-2.3 s to the first token and 51-66 tokens/s, steadily; llama-cpp-python's default
    # 1/2 (decode/prompt) took 6-9 s to the first token; 2/2 swung between 3 and 84 tokens/s, because
    # spinning threads fight every other process for the cores.
    return max(1, (os.cpu_count() or 2) // 2)


def answer_cap() -> int:
    """At most this many tokens per answer: the task asks for two sentences, and past ~160 tokens a
    135M model only repeats itself (slowly, on a laptop CPU). ``COACH_LOCAL_MAX_TOKENS`` overrides."""
    from ...config import local_max_tokens

    return local_max_tokens() or MAX_ANSWER_TOKENS


class Worker:
    """One child process speaking the JSON-lines protocol of ``worker.py``."""

    def __init__(self, path: Path, n_threads: int) -> None:
        self.key = (file_key(path), n_threads)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "coach.engines.local.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=_child_env(), start_new_session=True)
        self._buf = b""
        self.send({"op": "load", "path": str(path), "n_ctx": N_CTX, "threads": n_threads})
        reply = self.read(time.monotonic() + START_TIMEOUT_S)
        if "error" in reply:
            self.kill()
            FAILED[file_key(path)] = reply["error"]
            raise EngineError(reply["error"])
        self.load_s = float(reply.get("load_s", 0.0))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, obj: dict) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write((json.dumps(obj) + "\n").encode("utf-8"))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._died()

    def read(self, deadline: float) -> dict[str, Any]:
        """The next protocol line; EngineError if the child died, TimeoutError past the deadline."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self._died()
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def _died(self) -> None:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            raise LocalCrash(crash_message(name))
        raise EngineError(f"the local model's process ended unexpectedly (exit {code}); run `coach models` to check it")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f and f.close()
            except OSError:
                pass


def _child_env() -> dict[str, str]:
    """This process's environment, with the package importable from wherever it is (an editable
    checkout or site-packages)."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _worker_for(path: Path) -> Worker:
    """The running child for this file, started (and the model loaded) if need be. Caller holds _lock."""
    global _worker, _load_s
    key = (file_key(path), threads())
    if _worker is not None and (_worker.key != key or not _worker.alive()):
        _worker.kill()
        _worker = None
    if _worker is None:
        if key[0] in FAILED:
            raise EngineError(FAILED[key[0]])
        _worker = Worker(path, key[1])
        _load_s = _worker.load_s
    return _worker


def load_model() -> float:
    """Make sure the child runs with the model loaded; the load time in seconds (0 when already up)."""
    import_llama()
    path = checked_path()
    with _lock:
        before = _worker
        w = _worker_for(path)
        return w.load_s if w is not before else 0.0


def close() -> None:
    """Stop the child (a later request starts a new one)."""
    global _worker
    with _lock:
        if _worker is not None:
            _worker.kill()
            _worker = None


atexit.register(close)


def _timeout_s(timeout) -> float:
    if timeout is None:
        return DEFAULT_TIMEOUT_S
    if isinstance(timeout, (int, float)):
        return float(timeout)
    read = getattr(timeout, "read", None)  # httpx.Timeout
    return float(read) if read else DEFAULT_TIMEOUT_S


def timeout_error(seconds: float):
    import litellm

    return litellm.Timeout(message=f"the local model did not finish within {seconds:g} s", model=MODEL,
                           llm_provider=PROVIDER)


def _opt(optional_params: dict | None, name: str, default):
    v = (optional_params or {}).get(name)
    return default if v is None else v


def plain_messages(messages: list) -> list[dict[str, str]]:
    out = []
    for m in messages:
        content = m.get("content") if isinstance(m, dict) else getattr(m, "content", "")
        role = m.get("role") if isinstance(m, dict) else getattr(m, "role", "user")
        if isinstance(content, list):  # OpenAI content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        out.append({"role": role or "user", "content": content or ""})
    return out


def generate(messages: list, optional_params: dict | None = None,
             timeout=None) -> Generator[dict[str, Any], None, None]:  # a generator: callers close() it
    """Stream ``{"text", "finish_reason", "usage"}`` pieces from the child.

    Holds the lock while it runs. Past the deadline the child is killed and litellm's Timeout raised;
    if the child dies, LocalCrash (a signal) or EngineError; a consumer that stops early also ends the
    child (it would otherwise go on writing tokens nobody reads)."""
    seconds = _timeout_s(timeout)
    deadline = time.monotonic() + seconds
    import_llama()
    path = checked_path()
    req = {"op": "generate", "messages": plain_messages(messages),
           "max_tokens": min(int(_opt(optional_params, "max_tokens", answer_cap())), answer_cap()),
           "temperature": float(_opt(optional_params, "temperature", 0.2)),
           "top_p": float(_opt(optional_params, "top_p", 0.95)), "seed": int(_opt(optional_params, "seed", 0)),
           "stop": _opt(optional_params, "stop", None)}
    if not _lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise timeout_error(seconds)
    finished = False
    w: Worker | None = None
    try:
        try:
            w = _worker_for(path)
            w.send(req)
            while True:
                msg = w.read(deadline)
                if "error" in msg:
                    finished = True
                    raise EngineError(msg["error"])
                if msg.get("done"):
                    finished = True
                    yield {"text": "", "finish_reason": msg.get("finish_reason") or "stop", "usage": msg.get("usage")}
                    return
                yield {"text": msg.get("t", ""), "finish_reason": None, "usage": None}
        except TimeoutError:
            raise timeout_error(seconds) from None
    finally:
        if not finished and w is not None and w.alive():
            w.kill()  # stopped mid-answer (timeout, consumer gone, crash): the child cannot be reused
        _lock.release()


def reset() -> None:
    """Forget the child's prompt cache (the benchmark measures cold prompts)."""
    with _lock:
        if _worker is not None:
            _worker.send({"op": "reset"})
            _worker.read(time.monotonic() + 30)
