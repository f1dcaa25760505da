"""The Feedback object: the one thing every front end renders.

Its JSON form (``Feedback.to_dict``) is a stable contract shared by the CLI, the page, the batch
runner and the evals; fields may be added, never renamed or removed.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from typing_extensions import TypedDict  # pydantic reads TypedDicts from here on Python < 3.12

# the Feedback JSON contract's version: fields are only ever added, so it stays 1
SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent / "feedback.schema.json"


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
class ClaimPart:
    """One part of a sentence and the truth it was checked against (issue 28, "claims by kind").

    ``kind``: "your words" (checked against the situation), "the articles" (against the cited passages) or
    "a suggestion" (tied to the idea it cites, and free of facts from nowhere). ``label`` is what the user
    sees: the kind when it passed, else "not in your situation", "not in the articles" or "an outside fact"."""

    kind: str
    text: str
    ok: bool = True
    label: str = ""
    reason: str = ""
    score: float = 1.0
    cites: list[str] = field(default_factory=list)
    # the score this part needed (``ok`` implies ``score >= floor``); None when no score decided its verdict:
    # a rule did (an outside fact, an invented event, a reversal, one plain word of the manager's), or nothing
    # needed checking (an uncited suggestion)
    floor: float | None = None


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
    against: str = ""        # what it was checked against: "passages", "situation" (the manager's words) or "parts"
    parts: list[ClaimPart] = field(default_factory=list)  # a coaching sentence's parts, each checked by kind
    # the cut ``score`` was held to (``supported`` implies ``score >= threshold``): Checks.support_threshold against
    # the passages, the floor of the deciding part for "parts"; None when a rule, not a score, decided
    threshold: float | None = None


# The three flag lists stay plain dicts at run time (the evals, the verifier's CLI and the reports read
# them with ``.get`` and write them to JSON as they are); these TypedDicts give them a checked shape in
# the JSON Schema and to a type checker without changing one byte of the JSON.
class _FlagBase(TypedDict):
    text: str


class UnverifiedQuote(_FlagBase, total=False):
    """A quote the corpus does not hold, or holds under another speaker."""

    speaker: str | None
    reason: str


class UnsupportedSentence(_FlagBase, total=False):
    """A claim whose cited passages do not carry it."""

    score: float
    cites: list[str]
    reason: str
    start: int
    end: int


class InventedFact(_FlagBase, total=False):
    """A statement about the manager's situation that the manager never wrote."""

    score: float
    reason: str
    start: int
    end: int


@dataclass
class Checks:
    invalid_citations: list[str] = field(default_factory=list)
    unverified_quotes: list[UnverifiedQuote] = field(default_factory=list)
    unsupported_sentences: list[UnsupportedSentence] = field(default_factory=list)
    on_corpus: float = 1.0
    sentences: list[SentenceCheck] = field(default_factory=list)
    support_threshold: float = 0.0
    invented_facts: list[InventedFact] = field(default_factory=list)  # facts about the situation the manager never wrote
    outside_facts: list[InventedFact] = field(default_factory=list)   # numbers, studies, authorities from nowhere

    @property
    def clean(self) -> bool:
        return not (self.invalid_citations or self.unverified_quotes or self.unsupported_sentences
                    or self.invented_facts or self.outside_facts)


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
    second: str | None = None  # "mostly management, with a leadership side": the reading was unsure of one side

    @property
    def hedge(self) -> str:
        """", with a leadership side" when the reading was unsure (``second``), else "": the one wording the
        answer's headline, the page, the report and the prompt all use."""
        return f", with a {self.second} side" if self.second and self.leaning in ("management", "leadership") else ""


@dataclass
class PlanStep:
    """One need of the situation, the articles' idea that answers it, and what to do about it this week."""

    need: str                     # the manager's words for the problem
    practice: str                 # which of the articles' practices answers it (coach.corpus.practices)
    source_id: str | None         # the source that holds that practice's words
    idea: str                     # the practice in plain words
    label: str = ""               # its short name ("clear expectations, agreed one to one")
    quote: str = ""               # the articles' exact words for it
    text: str = ""                # the step, applied to this manager's people and numbers
    question: str = ""            # a question of its own, for this need
    side: str = ""                # management | leadership | both
    step_source_id: str | None = None  # the source of the step's own words when an added article gave them
    speaker: str | None = None    # whom the corpus credits the quoted words to (Drucker, Maxwell), if anyone


@dataclass
class Plan:
    """What a coach would say before saying it: both engines answer from this."""

    question: str | None = None                 # the manager's direct question, their words
    question_answer: str | None = None          # its answer, to open the feedback with
    question_source_id: str | None = None
    intended_action: str | None = None          # what they said they will do, their words
    intended_action_verdict: str | None = None  # fits | partly | does not fit
    intended_action_reason: str | None = None
    leaning_why: str = ""                       # why the leaning, in the manager's words and the articles' ideas
    steps: list[PlanStep] = field(default_factory=list)


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
    plan: Plan | None = None  # what the answer was built on: the question answered, the plan weighed, the steps

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
        for sc in checks["sentences"]:
            sc.parts = [build(ClaimPart, p) if isinstance(p, dict) else p for p in sc.parts]
        lens = dict(d.get("lens") or {})
        lens["dimensions"] = [build(LensDimension, x) for x in lens.get("dimensions", [])]
        out = build(cls, d)
        out.sources = [build(Source, s) for s in d.get("sources", [])]
        out.quotes = [build(Quote, q) for q in d.get("quotes", [])]
        out.checks = build(Checks, checks)
        out.lens = build(Lens, lens)
        if d.get("plan"):
            plan = dict(d["plan"])
            plan["steps"] = [build(PlanStep, s) for s in plan.get("steps") or []]
            out.plan = build(Plan, plan)
        return out

    # Markdown lives in coach.reports.answer (render depends on this module, never the reverse).


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``Feedback.to_dict()``, derived from the dataclasses above.

    Why generated and checked in: the contract is read by people and tools that never import this
    package; a test regenerates it and fails when the file no longer matches the code."""
    from pydantic import TypeAdapter

    schema = TypeAdapter(Feedback).json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://reflection-coach.invalid/feedback.v{SCHEMA_VERSION}.schema.json", **schema}


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m coach.feedback --schema``: rewrite coach/feedback.schema.json (``--check``: only compare)."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m coach.feedback", description=main.__doc__)
    p.add_argument("--schema", action="store_true", help="write the Feedback JSON Schema to " + SCHEMA_PATH.name)
    p.add_argument("--check", action="store_true", help="exit 1 when the checked-in schema is stale")
    args = p.parse_args(argv)
    text = schema_text()
    if args.check:
        stale = not SCHEMA_PATH.is_file() or SCHEMA_PATH.read_text(encoding="utf-8") != text
        print(f"{SCHEMA_PATH}: {'stale (run python -m coach.feedback --schema)' if stale else 'up to date'}")
        return 1 if stale else 0
    if not args.schema:
        p.print_help()
        return 2
    SCHEMA_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
