"""The coaching plan: what a coach would say before saying it.

Between the reading and the writing: the answer to the manager's direct question, a verdict on the plan
they already have, and for each need the idea of the articles that answers it (cited), one concrete step
that applies it to this manager's people and numbers, and a question of its own. Both engines use it:
the built-in engine renders it, a language model gets it as a scaffold (``coach.engines.prompt``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..corpus.practices import Practice, corpus_practices
from ..feedback import Plan, Source
from . import tuning
from .asks import answer_question, judge_action
from .build import Chosen, Scaffold, match_needs, steps_for

if TYPE_CHECKING:
    from ..common.seams import Clause
    from ..common.seams import Reading


def needs_of(reading: "Reading", limit: int) -> list["Clause"]:
    """What the plan answers: the reading's needs (and what the manager names as one), quotable ones only."""
    return [c for c in reading.to_engage(limit) if c.quotable and c.vec is not None]


def make_plan(reading: "Reading", sources: list[Source], *, practices: list[Practice] | None = None) -> Scaffold:
    """The plan for one reading and its sources."""
    practices = corpus_practices() if practices is None else practices
    source_ids = {s.passage_id: s.id for s in sources}
    chosen = match_needs(needs_of(reading, tuning.MAX_NEEDS), practices, reading.leaning, source_ids)
    extra = extra_sources(chosen, sources)
    plan = Plan(steps=steps_for(chosen, reading.text))
    q, act = reading.question, reading.intended_action
    if act:
        plan.intended_action = act
        plan.intended_action_verdict, plan.intended_action_reason = judge_action(act, chosen, practices, reading)
    if q:
        plan.question = q
        plan.question_answer, plan.question_source_id = answer_question(q, chosen, practices, reading)
    return Scaffold(plan, chosen, extra)


def extra_sources(chosen: list[Chosen], sources: list[Source]) -> list[Source]:
    """A chosen practice whose passage the sources lack is cited as one more source (S{k+1}, …)."""
    from ..corpus.practices import passage_by_id

    out: list[Source] = []
    n = len(sources)
    for ch in chosen:
        if ch.source_id is None:
            p = passage_by_id(ch.practice.passage_id)
            if p is None:
                continue
            n += 1
            src = Source(id=f"S{n}", doc_id=p.doc_id, title=p.title, author=p.author, text=p.text, score=ch.score,
                         passage_id=p.id, origin=p.origin)
            out.append(src)
            ch.source_id = src.id
    return out


__all__ = ["Scaffold", "Chosen", "make_plan", "needs_of"]
