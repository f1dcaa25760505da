"""The manager's question answered and their plan weighed, first and plainly.

A plan ("a team dinner", "a second approval step") is read as an instance of one of the articles'
practices; it fits when it is the practice a need of this situation calls for, fits partly when it is
the same kind of work (or the situation needs both kinds), and does not fit when it is the other
side's work. A yes/no question about an action ("should I run an offsite?") is answered the same way;
a question between two options names the one that fits; a "how do I…" question is answered with the
first step.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .build import PLAN_PARTS, Chosen, action_sides, classify_action, verdict
from .kinds import PlanKind, judge_kinds
from ..common.quoting import quote_short

if TYPE_CHECKING:
    from ..corpus.practices import Practice
    from ..common.seams import Reading

SIDE_WORK = {"management": "management work: organising and tracking the work",
             "leadership": "leadership work: people, direction and motivation",
             "both": "work for both roles"}

_OPENING = re.compile(
    r"^\W*(?:so\s+|and\s+|but\s+)?(?:should|shall|do|does|can|could|would|will|must)\s+(?:i|we)\s+(?:(?:really|just|"
    r"even|also|still)\s+)?(?:need to\s+|have to\s+)?"
    r"|^\W*(?:would you recommend|is it (?:worth|wise|right|a good idea) to|is|are|am i wrong to (?:think|expect|want)"
    r"(?: that)?|am i wrong to|is it wrong to)\s+", re.I)
_WRONG = re.compile(r"^\W*(?:am i|is it) wrong\b", re.I)
_HOW = re.compile(r"^\W*(?:so\s+)?(?:how|what|where|which|when|who)\b", re.I)
# a question that points back at the plan it follows ("make it compulsory", "do this", "go ahead with that")
_ABOUT_IT = re.compile(r"\b(?:it|this|that|them|the plan|my plan|this plan)\b", re.I)
_OR = re.compile(r",?\s+or\s+(?:should\s+i\s+|do\s+i\s+|i\s+should\s+|to\s+|just\s+)?", re.I)

_FILLER = re.compile(r"^(?:not|no|something|anything|so|similar|the like|whatever|what)\b(?:\s+(?:like that|else|"
                     r"similar))?(?:\s+\w+){0,6}$", re.I)


def _options(q: str) -> list[str]:
    """The options of an either/or question ("… a second person … or make the pickers do returns …")."""
    core = _OPENING.sub("", q.strip().rstrip("?").strip())
    parts = [p.strip(" ,") for p in _OR.split(core) if p.strip(" ,")]
    parts = [p for p in parts if not _FILLER.match(p)]   # "… a wellbeing day or something like that"
    if len(parts) < 2:
        return [re.split(r",?\s+or\s+", core)[0]]
    return parts[:3]


def _first(chosen: list[Chosen]) -> Chosen | None:
    return chosen[0] if chosen else None


def _need_phrase(ch: Chosen) -> str:
    cite = f" [{ch.source_id}]" if ch.source_id else ""
    said = f"as {ch.practice.speaker} put it in the articles, “{ch.quote}”" if ch.practice.speaker else \
        f"the articles' “{ch.quote}”"
    return f"what you describe missing is {ch.practice.label}: {said}{cite}"


def weigh(action: str, chosen: list[Chosen], practices: list["Practice"], leaning: str
          ) -> tuple[str, PlanKind | None, "Practice | None", set[str]]:
    """(verdict, the plan's kind if it has a known one, the practice it is an instance of, its sides).

    The plan's kind decides (``coach.plan.kinds``): "an offsite on trust" is near the practice of knowing your
    people, but a one-off gathering all the same. A plan of no known kind fits when it is the practice a need
    calls for, and is otherwise weighed by its side (``build.verdict``)."""
    kind, _score = classify_action(action, practices)
    sides = action_sides(action)
    parts = [p for p in PLAN_PARTS.split(action) if len(p.split()) > 2] or [action]
    judged = judge_kinds(parts, leaning)
    if judged is not None:
        return judged[0], judged[1], kind, sides
    return verdict(kind, chosen, leaning, sides), None, kind, sides


def judge_action(action: str, chosen: list[Chosen], practices: list["Practice"], reading: "Reading") -> tuple[str, str]:
    """(verdict, one or two sentences saying why) for the manager's intended action."""
    v, plan_kind, kind, sides = weigh(action, chosen, practices, reading.leaning)
    first = _first(chosen)
    what = quote_short(action)
    if first is None:
        # no step to point to: say so, not "the steps below" over an empty list (the hardware store, issue 29)
        return v, f"You plan {what}: nothing in the sources came close enough to weigh it against, so it is not judged here."
    need = _need_phrase(first)
    if plan_kind is not None:
        why = plan_kind.why
        if v == "fits":
            return v, f"Your plan, {what}, fits: {why}. {need[:1].upper()}{need[1:]}; the first step below makes it concrete."
        if v == "partly":
            return v, (f"Your plan, {what}, helps but will not be enough on its own: {why}. "
                       f"{need[:1].upper()}{need[1:]}; do the first step below as well.")
        # the kind's reason says what such a plan does; here it is the use the plan has, not why it fails
        return v, (f"Your plan, {what}, will not reach the problem. It has its use ({why}), but {need}; start "
                   f"with the first step below, and keep the plan for later if it still seems right.")
    one = next(iter(sides)) if len(sides) == 1 else "both"
    side = SIDE_WORK[one]
    if v == "fits":
        match = next((ch for ch in chosen if kind is not None and ch.practice.id == kind.id), None)
        if match is None:   # the same kind of work as what the situation lacks, not the named practice
            return v, (f"Your plan, {what}, fits: it is {side}, the kind of work this situation lacks; "
                       f"{need}. The first step below makes it concrete.")
        return v, (f"Your plan, {what}, fits: it is {match.practice.label}, which is what "
                   f"{quote_short(match.need.text, 8)} calls for [{match.source_id}]." if match.source_id else
                   f"Your plan, {what}, fits: it is {match.practice.label}.")
    if v == "partly":
        return v, (f"Your plan, {what}, helps but will not be enough on its own: {need}. "
                   f"Do the first step below as well.")
    return v, (f"Your plan, {what}, is {side}, and it will not reach the problem: {need}. "
               f"Start with the first step below; keep the plan for later if it still seems right.")


def answer_question(question: str, chosen: list[Chosen], practices: list["Practice"],
                    reading: "Reading", plan_verdict: str | None = None) -> tuple[str, str | None]:
    """(the answer, the source it cites) for the manager's direct question, to open the answer with.

    A yes/no question about the plan itself ("Am I wrong to make it compulsory?" after "I plan to introduce a
    daily huddle") takes the plan's verdict (``plan_verdict``): answered apart, the two said "Partly" and "fits"
    one line apart (issue 29's readers)."""
    first = _first(chosen)
    cite = first.source_id if first else None
    if first is None:
        return ("Nothing in the sources came close enough to answer it; the nearest are below for you to read."), None
    if _HOW.match(question) and " or " not in question.lower():
        return (f"{_need_phrase(first)[:1].upper()}{_need_phrase(first)[1:]}. The first step below is where to "
                f"start, for {quote_short(first.need.text, 8)}."), cite
    options = _options(question)
    if len(options) > 1:
        judged = []
        for opt in options:
            judged.append((("fits", "partly", "does not fit").index(weigh(opt, chosen, practices, reading.leaning)[0]),
                           opt))
        judged.sort(key=lambda x: x[0])
        best_rank, best = judged[0]
        if judged[1][0] == best_rank:
            return (f"Both can work; what decides it is {first.practice.label}, because {_need_phrase(first)}. "
                    f"Choose the option that does that for {quote_short(first.need.text, 8)}."), cite
        return (f"Of the options you name, {quote_short(best, 12)} fits better: {_need_phrase(first)}."), cite
    about_plan = plan_verdict is not None and bool(_ABOUT_IT.search(options[0]))
    v = plan_verdict if about_plan and plan_verdict else weigh(options[0], chosen, practices, reading.leaning)[0]
    if _WRONG.match(question):
        opening = {"fits": "No, you are not wrong", "partly": "Partly", "does not fit": "Not quite"}[v]
    else:
        opening = {"fits": "Yes", "partly": "Yes, but not on its own", "does not fit": "Not as a first step"}[v]
    return f"{opening}: {_need_phrase(first)}.", cite


__all__ = ["judge_action", "answer_question", "weigh", "SIDE_WORK"]
