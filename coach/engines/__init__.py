"""Engines turn a scenario and its numbered sources into a draft answer.

Names follow litellm: ``extractive`` is built in (no model at all); every other name is a litellm
model string (``openai/gpt-4o-mini``, ``ollama/llama3.1``, ``openai/<name>`` with an api_base,
``local/smollm2`` with the ``local`` extra). The draft then goes to the verifier, whatever made it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..feedback import Lens, Source

EXTRACTIVE = "extractive"
OnToken = Callable[[str], None]


@dataclass
class EngineOptions:
    api_base: str | None = None
    api_key: str | None = None          # never logged, never written anywhere
    timeout: float = 60.0
    retries: int = 3
    temperature: float = 0.2
    max_tokens: int = 700


@dataclass
class Draft:
    text: str
    model: str
    usage: dict[str, Any] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


@dataclass
class Request:
    """What an engine is given. For a follow-up turn, ``scenario`` holds everything the manager has
    written in the thread (the situation and each reply: retrieval, the lens and the verifier read it
    all), ``reply`` the manager's newest words (the answer engages these first) and ``history`` the
    earlier turns as (manager's text, coach's answer) pairs."""

    scenario: str
    sources: list[Source]
    lens: Lens
    reply: str | None = None
    history: list[tuple[str, str]] = field(default_factory=list)


def is_extractive(model: str | None) -> bool:
    return (model or EXTRACTIVE).strip().lower() == EXTRACTIVE


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
