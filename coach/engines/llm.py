"""Any litellm model as an engine: stream, retry, and turn failures into one clear line.

The prompt itself (the rules, the fenced situation, the reading and the plan) is ``coach.engines.prompt``.
"""
from __future__ import annotations

import functools
import os
import random
from typing import Any, Callable

from ..errors import EngineError
from .base import Draft, EngineOptions, OnToken, Request
from .prompt import build_messages, strip_leaks
from .providers import KEY_VARIABLES, KEYLESS_PREFIXES, provider_of

LOCAL_CRASH = "the local model crashed"  # coach.engines.local.client.crash_message
_RETRYABLE = ("RateLimitError", "InternalServerError", "ServiceUnavailableError", "APIError", "BadGatewayError")


def _litellm():
    from ..config import setup_offline_env

    setup_offline_env()
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm


def _messages_for(model: str, req: Request) -> list[dict[str, str]]:
    if model.lower().startswith("local/"):
        from . import local

        local.ensure_registered()
        if hasattr(local, "build_messages"):
            return local.build_messages(req)
    return build_messages(req)


def _kwargs(model: str, opts: EngineOptions) -> dict[str, Any]:
    # max_retries=0: the SDK's own retries would multiply ours; this module owns retry and backoff (tenacity)
    kw: dict[str, Any] = {"model": model, "timeout": opts.timeout, "temperature": opts.temperature,
                          "max_tokens": opts.max_tokens, "max_retries": 0}
    if opts.api_base:
        kw["api_base"] = opts.api_base
    if opts.api_key:
        kw["api_key"] = opts.api_key
    elif opts.api_base and model.lower().startswith("openai/"):
        kw["api_key"] = "sk-no-key-needed"  # local OpenAI-compatible servers ignore it; the SDK insists on one
    return kw




# Providers common enough to pass without asking litellm (whose import costs seconds).
_KNOWN_PREFIXES = {"local", "ollama", "ollama_chat", "azure", "azure_ai", "bedrock", "vertex_ai", "hosted_vllm",
                   "lm_studio", "huggingface", "xai", "perplexity", "fireworks_ai", "text-completion-openai"}
MODELS_HINT = "`coach models` lists the engines you can use"


@functools.lru_cache(maxsize=1)
def _bare_model_names() -> frozenset[str] | None:
    """Model names litellm accepts without a provider prefix, read from its bundled price list (no import)."""
    import importlib.util
    import json
    from pathlib import Path

    spec = importlib.util.find_spec("litellm")
    if not spec or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "model_prices_and_context_window_backup.json"
    try:
        return frozenset(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def check_model(model: str) -> None:
    """An unknown model or provider is named as such, before any key check or request.

    Why: litellm reads a bare unknown name as an OpenAI model, so "nonsense-model" used to end in
    "set OPENAI_API_KEY", which sends the user after a key they do not need."""
    name = model.strip()
    if "/" in name:
        prefix = name.split("/", 1)[0].lower()
        if prefix in KEY_VARIABLES or prefix in _KNOWN_PREFIXES:
            return
        if prefix not in _litellm().provider_list:
            raise EngineError(f"unknown model provider {prefix!r} in {model!r}: {MODELS_HINT}")
        return
    if name.startswith("ft:"):  # fine-tuned OpenAI models
        return
    known = _bare_model_names()
    if known is None:  # no price list to read: ask litellm itself
        try:
            _litellm().get_llm_provider(name)
            return
        except Exception:
            known = frozenset()
    if name not in known:
        raise EngineError(f"unknown model {model!r}: not a model name litellm knows, and no provider prefix "
                          f"(openai/NAME with --api-base, ollama/NAME, anthropic/NAME, ...); {MODELS_HINT}")


def _connect_failure(e: BaseException) -> str | None:
    """'connection refused' / 'host not found' when ``e`` (or what caused it) is one: retrying those
    only makes the user wait (litellm reports a refused connection as a retryable 500)."""
    import socket

    seen = 0
    cur: BaseException | None = e
    while cur is not None and seen < 12:
        if isinstance(cur, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cur, socket.gaierror):
            return "host not found"
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return None


def check_reachable(opts: EngineOptions) -> None:
    """With --api-base, one TCP connect before anything else: a refused port fails at once, in one line.

    A connect that is merely slow is left to the request and its timeout (a busy server is not a dead one)."""
    if not opts.api_base:
        return
    import socket
    from urllib.parse import urlparse

    try:
        u = urlparse(opts.api_base)
        host, port = u.hostname, u.port or (443 if u.scheme == "https" else 80)
    except ValueError:
        raise EngineError(f"--api-base {opts.api_base!r} is not a URL (e.g. http://127.0.0.1:8000/v1)") from None
    if not host or u.scheme not in ("http", "https"):
        raise EngineError(f"--api-base {opts.api_base!r} is not an http(s) URL (e.g. http://127.0.0.1:8000/v1)")
    try:
        with socket.create_connection((host, port), timeout=min(3.0, max(0.1, float(opts.timeout)))):
            return
    except ConnectionRefusedError:
        raise EngineError(f"cannot reach the model server at {opts.api_base}: connection refused "
                          "(is the server running on that port?)") from None
    except socket.gaierror:
        raise EngineError(f"cannot reach the model server at {opts.api_base}: host {host!r} not found") from None
    except OSError:
        return


def preflight(model: str, opts: EngineOptions) -> None:
    """Everything that can be known wrong before loading models or sending a case: the model name,
    the key and, for an --api-base, whether anything listens there. ``coach.turn.check_engine`` calls
    it first, for every engine that is not built in."""
    check_model(model)
    check_key(model, opts)
    check_reachable(opts)


def check_key(model: str, opts: EngineOptions) -> None:
    """Fail before any request when the provider's key is missing or empty, naming the variable."""
    if opts.api_key or opts.api_base or model.lower().startswith(tuple(p + "/" for p in KEYLESS_PREFIXES)):
        return
    check_model(model)
    provider = provider_of(model)
    var = KEY_VARIABLES.get(provider)
    if var:
        if not os.environ.get(var, "").strip():
            raise EngineError(f"no API key for {model}: set {var} or pass --api-key")
        return
    litellm = _litellm()
    try:
        env = litellm.validate_environment(model=model)
    except Exception:
        return
    missing = [k for k in env.get("missing_keys", []) if k]
    if missing:
        raise EngineError(f"no API key for {model}: set {missing[0]} or pass --api-key")


def _explain(e: Exception, model: str, opts: EngineOptions) -> EngineError:
    """One line a user can act on; never the key, never a traceback."""
    name = type(e).__name__
    msg = str(e)
    if opts.api_key:
        msg = msg.replace(opts.api_key, "***")
    where = opts.api_base or "the provider"
    if LOCAL_CRASH in msg:  # the local model's child process died from a signal: its own one line
        return EngineError(msg[msg.index(LOCAL_CRASH):].splitlines()[0])
    if model.lower().startswith("local/") and name not in ("Timeout", "APITimeoutError"):
        first = msg.strip().splitlines()[0][:200] if msg.strip() else name
        return EngineError(f"{model} failed on this machine: {first}")
    refused = _connect_failure(e)
    if refused:
        return EngineError(f"cannot reach the model server at {where} for {model}: {refused}")
    if name == "AuthenticationError":
        return EngineError(f"the model server at {where} rejected the API key for {model}")
    if name in ("Timeout", "APITimeoutError") or "timed out" in msg.lower():
        return EngineError(f"{model} did not answer within {opts.timeout:g} s ({where})")
    if name == "APIConnectionError" or "Connection refused" in msg or "connect" in msg.lower() and "error" in msg.lower():
        return EngineError(f"cannot reach the model server at {where} for {model}")
    if name == "NotFoundError" or "model_not_found" in msg or "does not exist" in msg:
        return EngineError(f"unknown model {model!r} at {where}")
    if name == "BadRequestError" and ("LLM Provider NOT provided" in msg or "provider" in msg.lower()):
        return EngineError(f"unknown model {model!r}: use a litellm model name such as openai/gpt-4o-mini, "
                           "ollama/llama3.1, or openai/<name> with --api-base")
    if name in ("RateLimitError",):
        return EngineError(f"{model} is rate-limited at {where}; retries ran out")
    if name in _RETRYABLE:
        return EngineError(f"{model} failed at {where} ({name}); retries ran out")
    first = msg.strip().splitlines()[0][:200] if msg.strip() else name
    return EngineError(f"{model} failed: {first}")


def _retryable(e: BaseException) -> bool:
    if _connect_failure(e) or LOCAL_CRASH in str(e):  # a refused connection or a crashed build: again is no use
        return False
    name = type(e).__name__
    if name in _RETRYABLE:
        return True
    status = getattr(e, "status_code", None)
    return isinstance(status, int) and (status == 429 or status >= 500)


def _wait(state: Any) -> float:
    """Seconds before the next try: ``COACH_RETRY_BASE`` doubling per try (at most 8 s), times a jitter
    of 0.75-1.25 so that clients rate-limited together do not all come back at the same instant."""
    from ..config import retry_base

    return min(8.0, retry_base() * (2 ** (state.attempt_number - 1))) * (0.75 + random.random() / 2)


def _retry_policy(opts: EngineOptions, streamed: Callable[[], bool] = lambda: False) -> dict[str, Any]:
    """tenacity's arguments for one request: ``opts.retries`` more tries of what ``_retryable`` allows,
    none once part of an answer has been shown (``streamed``), and the last error re-raised as it is
    so that ``_explain`` turns it into the user's one line."""
    import tenacity

    return {"stop": tenacity.stop_after_attempt(max(0, opts.retries) + 1), "wait": _wait, "reraise": True,
            "retry": tenacity.retry_if_exception(lambda e: not streamed() and _retryable(e))}


def _usage(resp) -> dict[str, Any]:
    u = getattr(resp, "usage", None)
    if not u:
        return {}
    out = {k: getattr(u, k, None) for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
    hidden = getattr(resp, "_hidden_params", None) or {}
    if "response_cost" in hidden:
        # litellm priced the response already (None: a model it has no price for); pricing it again
        # costs a few ms of the event loop per request, which a batch pays once per wave
        out["cost_usd"] = hidden["response_cost"]
    else:
        try:
            import litellm

            out["cost_usd"] = litellm.completion_cost(completion_response=resp)
        except Exception:
            pass
    return {k: v for k, v in out.items() if v is not None}


def compose_llm(model: str, req: Request, opts: EngineOptions, on_token: OnToken | None = None) -> Draft:
    import tenacity

    check_key(model, opts)
    litellm = _litellm()
    messages = _messages_for(model, req)
    kw = _kwargs(model, opts)
    emitted = False

    def attempt() -> tuple[str, dict[str, Any]]:
        nonlocal emitted
        emitted = False
        if not on_token:
            resp = litellm.completion(messages=messages, **kw)
            return resp.choices[0].message.content or "", _usage(resp)
        parts: list[str] = []
        usage: dict[str, Any] = {}
        stream = litellm.completion(messages=messages, stream=True, stream_options={"include_usage": True}, **kw)
        for chunk in stream:
            if getattr(chunk, "usage", None):
                usage = _usage(chunk)
            if not chunk.choices:
                continue
            piece = chunk.choices[0].delta.content or ""
            if piece:
                emitted = True
                parts.append(piece)
                on_token(piece)
        return "".join(parts), usage

    text: str
    usage: dict[str, Any]
    try:
        text, usage = tenacity.Retrying(**_retry_policy(opts, lambda: emitted))(attempt)
    except Exception as e:  # litellm maps every provider error onto its own exception types
        raise _explain(e, model, opts) from None
    text, notices = strip_leaks(text, model)
    if not text.strip():
        notices.append(f"{model} returned an empty answer.")
    return Draft(text=text, model=model, usage=usage, notices=notices)


async def acompose_llm(model: str, req: Request, opts: EngineOptions) -> Draft:
    import tenacity

    check_key(model, opts)
    litellm = _litellm()
    messages = _messages_for(model, req)
    kw = _kwargs(model, opts)

    async def attempt() -> tuple[str, dict[str, Any]]:
        resp = await litellm.acompletion(messages=messages, **kw)
        return resp.choices[0].message.content or "", _usage(resp)

    text: str
    usage: dict[str, Any]
    try:
        text, usage = await tenacity.AsyncRetrying(**_retry_policy(opts))(attempt)
    except Exception as e:
        raise _explain(e, model, opts) from None
    text, notices = strip_leaks(text, model)
    return Draft(text=text, model=model, usage=usage, notices=notices)
