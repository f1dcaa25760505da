"""The litellm provider ``local``: ``litellm.completion(model="local/smollm2")`` (sync, async, streaming)
runs through the child process of ``client.py``."""
from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator

from .client import generate, load_model
from .files import MODEL, MODEL_NAMES, PROVIDER, import_llama

if TYPE_CHECKING:  # litellm is imported lazily, inside _provider_class
    from litellm.types.utils import GenericStreamingChunk

_registered: Any = None
_reg_lock = threading.Lock()


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
        model_response.usage = Usage(**usage)
        return model_response

    def run(messages, optional_params, timeout) -> tuple[str, str, dict]:
        parts: list[str] = []
        finish = "stop"
        usage: dict[str, Any] = {}
        for piece in generate(messages, optional_params, timeout):
            parts.append(piece["text"])
            if piece["finish_reason"]:
                finish, usage = piece["finish_reason"], piece["usage"] or {}
        return "".join(parts), finish, usage

    def chunk(piece: dict, index: int = 0) -> GenericStreamingChunk:
        return {"text": piece["text"], "is_finished": bool(piece["finish_reason"]),
                "finish_reason": piece["finish_reason"] or "", "usage": piece["usage"], "index": index,
                "tool_use": None}

    def check_name(model: str) -> None:
        name = (model or "").split("/", 1)[-1].lower()
        if name not in MODEL_NAMES:
            raise CustomLLMError(status_code=404, message=f"unknown local model {model!r}: the local engine serves "
                                 + ", ".join(f"{PROVIDER}/{n}" for n in MODEL_NAMES))

    class LocalLLM(CustomLLM):
        """SmolLM2 through llama.cpp in a child process; see client.py."""

        def completion(self, model, messages, *args, optional_params=None, timeout=None, model_response=None, **kw):
            check_name(model)
            text, finish, usage = run(messages, optional_params, timeout)
            return fill(model_response or litellm.ModelResponse(), text, finish, usage)

        def streaming(self, model, messages, *args, optional_params=None, timeout=None,
                      **kw) -> Iterator[GenericStreamingChunk]:
            check_name(model)
            for piece in generate(messages, optional_params, timeout):
                yield chunk(piece)

        async def acompletion(self, model, messages, *args, optional_params=None, timeout=None, model_response=None,
                              **kw):
            check_name(model)
            text, finish, usage = await asyncio.to_thread(run, messages, optional_params, timeout)
            return fill(model_response or litellm.ModelResponse(), text, finish, usage)

        # litellm wraps astreaming's result as an async iterator without awaiting it (main.py:
        # CustomStreamWrapper), so an async generator is right; its base class's `async def` stub, which
        # types it as a coroutine, is not.
        async def astreaming(  # type: ignore[override]
                self, model, messages, *args, optional_params=None, timeout=None,
                **kw) -> AsyncIterator[GenericStreamingChunk]:
            check_name(model)
            gen = generate(messages, optional_params, timeout)
            try:
                while True:
                    piece = await asyncio.to_thread(next, gen, None)  # generate yields dicts, never None
                    if piece is None:
                        break
                    yield chunk(piece)
            finally:
                await asyncio.to_thread(gen.close)

    return LocalLLM


def ensure_registered() -> None:
    """Register provider ``local`` with litellm (idempotent) and make sure the model can be used.

    Raises EngineError with the install hint when the extra is missing and with a one-line reason when
    the model file is missing or corrupt, so the caller fails before any litellm call. Starts the child
    and loads the model (once per process, ~0.5 s) so that a file llama.cpp rejects is reported here."""
    global _registered
    import_llama()
    load_model()
    from ...config import setup_offline_env

    setup_offline_env()
    import litellm

    with _reg_lock:
        if _registered is None:
            _registered = _provider_class()()
        entries = [e for e in (litellm.custom_provider_map or []) if e.get("provider") != PROVIDER]
        litellm.custom_provider_map = entries + [{"provider": PROVIDER, "custom_handler": _registered}]
        from litellm.utils import custom_llm_setup

        custom_llm_setup()
