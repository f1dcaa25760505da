"""The keys of the files `coach eval` reads, as pydantic models that forbid anything else.

Why: a mistyped key (``leanning:`` for ``leaning:``) used to be read as "no label", so the case was
quietly scored on less than its author meant and every number looked fine. Now each file, each case
and each ``expect`` block is one model with ``extra="forbid"``, and the first problem becomes one
line naming the file, the case and the key (``describe``), which the CLI prints before exiting 2.

The models check shape and types only (strict: ``"yes"`` is not a boolean); the loaders in
``suite`` keep the checks that need the whole file (duplicate ids, known metrics and categories).
"""
from __future__ import annotations

import difflib
import typing
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from ..errors import UsageError

Leaning = Literal["management", "leadership", "both"]


def _labels(value: Any) -> tuple[str, ...]:
    """One string or a list of non-empty strings (a label list may be written either way)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("must be a string or a list of non-empty strings")
    return tuple(value)


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _k(value: int) -> int:
    if not 1 <= value <= 50:
        raise ValueError("must be a whole number between 1 and 50")
    return value


Labels = Annotated[tuple[str, ...], BeforeValidator(_labels)]
Text = Annotated[str, AfterValidator(_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Expect(_Strict):
    """A case's labels in ``cases.yaml`` (``expect:``); every one optional."""

    in_scope: bool | None = None
    leaning: Leaning | None = None
    docs: Labels = ()
    passage_contains: Labels = ()
    must_not_contain: Labels = ()


class CaseEntry(_Strict):
    """One item of ``cases:`` in ``cases.yaml``."""

    id: str | int
    kind: str | None = None
    scenario: Text
    expect: Expect | None = None


class CasesFile(_Strict):
    """``cases.yaml`` at the top: the items are checked one by one (``CaseEntry``), to name the case."""

    k: Annotated[int, AfterValidator(_k)] = 5
    thresholds: dict[str, Any] | None = None   # metric names and bounds: checked by ``suite.parse_thresholds``
    situations: str | None = None              # a situations file beside this one, added to the suite
    coaching: str | None = None                # coaching situations beside this one (``CoachingEntry``)
    claims: str | None = None                  # labelled model answers beside this one (coach.evals.claims)
    cases: list[Any]


class SituationEntry(_Strict):
    """One labelled situation of ``situations.yaml`` (fields at the top, no ``expect``).

    The eval reads id, split, scenario, leaning, passages (the needed ones), facts and in_scope; the
    rest is there for ``evals/check_situations.py`` and the need model's training, and is typed too."""

    id: str | int
    split: str | None = None                   # "dev" | "test"; anything else: not yet assigned, skipped
    scenario: str
    leaning: Leaning | None = None
    leaning_second_reader: Leaning | None = None  # a second reader's, blind (issue 32): train on agreement
    vocabulary: Literal["management", "leadership", "neutral"] | None = None
    needs: Labels = ()
    passages: Labels = ()
    facts: Labels = ()
    industry: str | None = None
    team_size: int | None = None
    in_scope: bool = True
    tags: Labels = ()


class CoachingEntry(_Strict):
    """One situation of ``coaching.yaml``: written by a writer who never saw the code, read by a second one."""

    id: str | int
    writer: str
    split: Literal["dev", "test"]
    scenario: Text
    leaning: Leaning
    leaning_second_reader: Leaning | None = None
    why: str | None = None
    vocabulary: Literal["management", "leadership", "neutral"] | None = None
    question: str | None = None
    intended_action: str | None = None
    action_fits: Literal["yes", "no", "partly"] | None = None
    engage: Labels = ()
    tags: Labels = ()


class SituationsFile(_Strict):
    cases: list[Any]


class DefectEntry(_Strict):
    """One seeded-defect answer of ``defects.yaml``: the passages it is given, the answer, its defects."""

    id: str | int
    sources: Labels
    answer: Text
    defects: list[str]                         # [] for a clean control; categories: ``suite.DEFECT_CHECKS``


class DefectsFile(_Strict):
    items: list[Any]


M = typing.TypeVar("M", bound=BaseModel)


def parse(model: type[M], raw: Any, where: str) -> M:
    """``raw`` as ``model``, or one ``UsageError`` line: ``where``, then the first problem."""
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        errors = e.errors()  # a mistyped key first: it also explains the "missing" error it causes
        first = next((x for x in errors if x["type"] == "extra_forbidden"), errors[0])
        raise UsageError(f"{where}: {describe(first, model)}") from None


def describe(error: Any, model: type[BaseModel]) -> str:
    """One pydantic error as a person reads it: the key as written in the file, and what is wrong."""
    loc = [str(p) for p in error["loc"]]
    dotted = ".".join(loc)
    if error["type"] == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        guess = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
        hint = f" (did you mean '{guess[0]}'?)" if guess else f" (known: {', '.join(known)})"
        return f"unknown key '{dotted}'{hint}"
    if error["type"] == "missing":
        return f"has no '{dotted}'"
    msg = str(error["msg"]).removeprefix("Value error, ")
    return f"'{dotted}': {msg}"


def _fields_at(model: type[BaseModel], path: list[str]) -> list[str]:
    """The keys allowed at ``path`` inside ``model`` (following nested models, through ``X | None``)."""
    for name in path:
        field = model.model_fields.get(name)
        inner = [a for a in typing.get_args(field.annotation) or (field.annotation,)
                 if isinstance(a, type) and issubclass(a, BaseModel)] if field else []
        if not inner:
            return []
        model = inner[0]
    return list(model.model_fields)


__all__ = ["Expect", "CaseEntry", "CasesFile", "SituationEntry", "CoachingEntry", "SituationsFile", "DefectEntry", "DefectsFile",
           "parse", "describe"]
