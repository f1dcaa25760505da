"""Engines turn a scenario and its numbered sources into a draft answer.

Names follow litellm: ``extractive`` is built in (no model at all); every other name is a litellm
model string (``openai/gpt-4o-mini``, ``ollama/llama3.1``, ``openai/<name>`` with an api_base,
``local/smollm2`` with the ``local`` extra). The draft then goes to the verifier, whatever made it.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Awaitable, Callable

from .base import EXTRACTIVE, Draft, EngineOptions, OnToken, Request, is_extractive

def compose(model: str, req: Request, opts: EngineOptions | None = None, on_token: OnToken | None = None) -> Draft:
    opts = opts or EngineOptions()
    if is_extractive(model):
        from .extractive import compose_extractive

        draft = compose_extractive(req)
        if on_token:
            on_token(draft.text)
        return draft
    from .llm import compose_llm

    return compose_llm(model, req, opts, on_token)


async def acompose(model: str, req: Request, opts: EngineOptions | None = None) -> Draft:
    """The async form, for the batch runner's concurrency."""
    opts = opts or EngineOptions()
    if is_extractive(model):
        from .extractive import compose_extractive

        return compose_extractive(req)
    from .llm import acompose_llm

    return await acompose_llm(model, req, opts)


@dataclass(frozen=True)
class Engine:
    """What a front end needs to know about an engine before using it, and the calls that use it.

    Why a registry: the page, the CLI and the PII guard each tested name prefixes ("is it extractive?",
    "does it leave this machine?", "which key?") and drifted; ``get_engine`` answers once. Pure: it
    reads no key and imports no engine (litellm, llama.cpp) until ``compose`` is called."""

    name: str
    is_builtin: bool              # the extractive engine: no model at all
    is_remote: bool               # the situation leaves this machine (agrees with pipeline.is_remote_model)
    needs_key: bool               # a provider key is checked before any request
    key_env_var: str | None       # where that key lives (None: no key, or litellm's own table decides)
    compose: Callable[..., Draft]             # (req, opts=None, on_token=None) -> Draft
    acompose: Callable[..., Awaitable[Draft]]  # (req, opts=None) -> Draft


def get_engine(model: str | None, api_base: str | None = None) -> Engine:
    """The engine a ``--model`` name means; ``api_base`` (a server the user names) needs no key."""
    from .providers import KEY_VARIABLES, KEYLESS_PREFIXES, provider_of

    name = (model or EXTRACTIVE).strip()
    if is_extractive(name):
        name = EXTRACTIVE
        builtin, remote, key = True, False, None
    else:
        provider = provider_of(name)
        builtin = False
        remote = provider != "local"      # ollama and a named server are still another process's network
        key = None if provider in KEYLESS_PREFIXES or api_base else KEY_VARIABLES.get(provider)
    return Engine(name=name, is_builtin=builtin, is_remote=remote, needs_key=key is not None, key_env_var=key,
                  compose=functools.partial(compose, name), acompose=functools.partial(acompose, name))


__all__ = ["EXTRACTIVE", "OnToken", "EngineOptions", "Draft", "Request", "is_extractive", "compose", "acompose",
           "Engine", "get_engine"]
