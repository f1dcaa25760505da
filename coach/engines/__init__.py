"""Engines turn a request (the situation's reading, its numbered sources, the plan) into a draft answer.

Names follow litellm: every name that is not a built-in engine is a litellm model string
(``openai/gpt-4o-mini``, ``ollama/llama3.1``, ``openai/<name>`` with an api_base, ``local/smollm2`` with
the ``local`` extra). The draft then goes to the checks, whatever made it.

A built-in engine is one module with ``compose(req: Request) -> Draft`` and one line in ``BUILTIN``;
everything a front end needs to know about an engine (built in? does the situation leave this machine?
which key?) is answered by ``get_engine`` from that table and ``providers.py``, and nowhere else.
"""
from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import Awaitable, Callable

from .base import EXTRACTIVE, Draft, EngineOptions, OnToken, Request

# name -> the module that writes its answers (``compose(req) -> Draft``, optionally ``acompose``). Why a
# table: the page's engine list, the personal-data guard, the key check and the evals used to test the
# name "extractive" each in their own way, so a second built-in engine meant editing seven files.
BUILTIN: dict[str, str] = {
    EXTRACTIVE: "coach.engines.extractive",
}
_LLM_MODULE = "coach.engines.llm"  # every other name: any litellm model


def _builtin_name(model: str | None) -> str | None:
    name = (model or EXTRACTIVE).strip().lower() or EXTRACTIVE
    return name if name in BUILTIN else None


def compose(model: str, req: Request, opts: EngineOptions | None = None, on_token: OnToken | None = None) -> Draft:
    opts = opts or EngineOptions()
    name = _builtin_name(model)
    if name:
        draft = importlib.import_module(BUILTIN[name]).compose(req)
        if on_token:
            on_token(draft.text)
        return draft
    return importlib.import_module(_LLM_MODULE).compose_llm(model, req, opts, on_token)


async def acompose(model: str, req: Request, opts: EngineOptions | None = None) -> Draft:
    """The async form, for the batch runner's concurrency."""
    opts = opts or EngineOptions()
    name = _builtin_name(model)
    if name:
        module = importlib.import_module(BUILTIN[name])
        if hasattr(module, "acompose"):
            return await module.acompose(req)
        return module.compose(req)
    return await importlib.import_module(_LLM_MODULE).acompose_llm(model, req, opts)


@dataclass(frozen=True)
class Engine:
    """What a front end needs to know about an engine before using it, and the calls that use it.

    Pure: it reads no key and imports no engine (litellm, llama.cpp) until ``compose`` is called."""

    name: str
    is_builtin: bool              # built in (``BUILTIN``): no model at all
    is_remote: bool               # the situation leaves this process for another (the privacy guard's question)
    needs_key: bool               # a provider key is checked before any request
    key_env_var: str | None       # where that key lives (None: no key, or litellm's own table decides)
    compose: Callable[..., Draft]             # (req, opts=None, on_token=None) -> Draft
    acompose: Callable[..., Awaitable[Draft]]  # (req, opts=None) -> Draft


def get_engine(model: str | None, api_base: str | None = None) -> Engine:
    """The engine a ``--model`` name means; ``api_base`` (a server the user names) needs no key."""
    from .providers import KEY_VARIABLES, KEYLESS_PREFIXES, provider_of

    builtin = _builtin_name(model)
    if builtin:
        name, remote, key = builtin, False, None
    else:
        name = (model or "").strip()
        provider = provider_of(name)
        remote = provider != "local"      # ollama and a named server are still another process's network
        key = None if provider in KEYLESS_PREFIXES or api_base else KEY_VARIABLES.get(provider)
    return Engine(name=name, is_builtin=builtin is not None, is_remote=remote, needs_key=key is not None,
                  key_env_var=key, compose=functools.partial(compose, name), acompose=functools.partial(acompose, name))


def builtin_engines() -> list[str]:
    """The built-in engines' names, the default first (the page lists them)."""
    return list(BUILTIN)


__all__ = ["EXTRACTIVE", "BUILTIN", "OnToken", "EngineOptions", "Draft", "Request", "compose", "acompose",
           "Engine", "get_engine", "builtin_engines"]
