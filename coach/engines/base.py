"""The engines' shared types: what an engine is given, what it returns, and the built-in's name.

A floor of its own, below the package and every engine: ``coach.engines`` dispatches to the engine
modules and they use these types, so with the types in the package itself the two would import each
other. ``coach.engines`` re-exports them (``from coach.engines import Draft`` keeps working).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ..feedback import Lens, Plan, Source

if TYPE_CHECKING:
    from ..common.seams import Reading

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
    earlier turns as (manager's text, coach's answer) pairs. ``reading`` is the pipeline's reading of
    ``scenario`` (and ``reply_reading`` of ``reply``): an engine takes what the manager said from there
    and never reads the scenario again."""

    scenario: str
    sources: list[Source]
    lens: Lens
    reply: str | None = None
    history: list[tuple[str, str]] = field(default_factory=list)
    reading: "Reading | None" = None
    reply_reading: "Reading | None" = None
    plan: Plan | None = None            # the coaching plan (coach.plan): rendered by the built-in engine, a scaffold for models

