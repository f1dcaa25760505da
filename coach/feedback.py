"""The Feedback object: the one thing every front end renders.

Its JSON form (``Feedback.to_dict``) is a stable contract shared by the CLI, the page, the batch
runner and the evals; fields may be added, never renamed or removed.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

SCHEMA_VERSION = 1


@dataclass
class Source:
    """A retrieved passage as it was handed to the engine, numbered S1..Sk."""

    id: str
    doc_id: str
    title: str
    author: str | None
    text: str
    score: float
    passage_id: str = ""
    origin: str | None = None


@dataclass
class Quote:
    """A quoted span found in the answer and what the verifier made of it."""

    speaker: str | None
    text: str
    source_id: str | None
    verified: bool
    reason: str = ""


@dataclass
class SentenceCheck:
    """One sentence of the answer; ``checked`` is False for headings, labels and questions."""

    text: str
    score: float
    supported: bool
    cites: list[str] = field(default_factory=list)
    checked: bool = True
    reason: str = ""
    start: int = -1          # character offsets of the sentence in the answer (-1: not known)
    end: int = -1
    against: str = ""        # what it was checked against: "passages" or "situation" (the manager's words)


@dataclass
class Checks:
    invalid_citations: list[str] = field(default_factory=list)
    unverified_quotes: list[dict[str, Any]] = field(default_factory=list)
    unsupported_sentences: list[dict[str, Any]] = field(default_factory=list)
    on_corpus: float = 1.0
    sentences: list[SentenceCheck] = field(default_factory=list)
    support_threshold: float = 0.0
    invented_facts: list[dict[str, Any]] = field(default_factory=list)  # facts about the situation the manager never wrote

    @property
    def clean(self) -> bool:
        return not (self.invalid_citations or self.unverified_quotes or self.unsupported_sentences
                    or self.invented_facts)


@dataclass
class LensDimension:
    name: str
    management: float
    leadership: float
    source_id: str | None = None
    management_label: str = ""
    leadership_label: str = ""
    passage_id: str = ""


@dataclass
class Lens:
    leaning: str = "both"  # management | leadership | both
    dimensions: list[LensDimension] = field(default_factory=list)
    score: float = 0.0     # relevance-weighted mean of (leadership - management) share, in [-0.5, 0.5]


@dataclass
class Feedback:
    scenario: str
    model: str
    answer_markdown: str
    sources: list[Source] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    checks: Checks = field(default_factory=Checks)
    lens: Lens = field(default_factory=Lens)
    in_scope: bool = True
    notices: list[str] = field(default_factory=list)
    raw_answer: str = ""
    usage: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0
    schema_version: int = SCHEMA_VERSION

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Feedback":
        def build(kind, data):
            names = {f.name for f in fields(kind)}
            return kind(**{k: v for k, v in data.items() if k in names})

        checks = dict(d.get("checks") or {})
        checks["sentences"] = [build(SentenceCheck, s) for s in checks.get("sentences", [])]
        lens = dict(d.get("lens") or {})
        lens["dimensions"] = [build(LensDimension, x) for x in lens.get("dimensions", [])]
        out = build(cls, d)
        out.sources = [build(Source, s) for s in d.get("sources", [])]
        out.quotes = [build(Quote, q) for q in d.get("quotes", [])]
        out.checks = build(Checks, checks)
        out.lens = build(Lens, lens)
        return out

    # -- rendering -----------------------------------------------------------------------------
    def to_markdown(self) -> str:
        """A self-contained Markdown document: the answer, its checks, its sources."""
        from .render import feedback_markdown

        return feedback_markdown(self)
