"""The coaching plan: what a coach would say before saying it.

Between the reading and the writing: the answer to the manager's direct question, a verdict on the plan
they already have, and for each need the idea of the articles that answers it (cited), one concrete step
that applies it to this manager's people and numbers, and a question of its own. Both engines use it:
the built-in engine renders it, a language model gets it as a scaffold (``coach.engines.prompt``).
"""
from __future__ import annotations

import re

from typing import TYPE_CHECKING

from ..corpus.practices import Practice, corpus_practices
from ..feedback import Plan, Source
from . import tuning
from .asks import answer_question, judge_action
from .build import Chosen, Scaffold, attach_added_advice, match_needs, steps_for

if TYPE_CHECKING:
    from ..common.seams import Clause
    from ..common.seams import Reading


MIN_NEED_WORDS = 4   # what is left of a clause once the ask is out must still say something on its own
# the words that joined the ask to the need ("…, and I plan to …", "… so I want to …")
_JOIN = re.compile(r"\s*\b(?:and|but|so|then)$", re.I)


def _without_asks(c: "Clause", asked: list[str]) -> "Clause":
    """A need with the manager's question or plan taken out of it, when the two share a clause ("Stock keeps going
    missing between delivery and shelf, and I plan to give everyone an honesty talk on Monday"): the plan is
    weighed as a plan, the rest is still a need. Dropping the whole clause left that situation with no step."""
    from dataclasses import replace

    from ..common.text import words
    from ..embedding.cache import vectors

    for a in asked:
        if a in c.text and a != c.text:
            rest = " ".join(c.text.replace(a, " ").split())
            for _ in range(3):   # "…shelf, and ." -> "…shelf, and" -> "…shelf,"  -> "…shelf"
                rest = _JOIN.sub("", rest.strip(" ,;:.-–—"))
            if len(words(rest)) < MIN_NEED_WORDS:
                return c
            return replace(c, text=rest, vec=vectors([rest])[0])
    return c


def needs_of(reading: "Reading", limit: int) -> list["Clause"]:
    """What the plan answers: the reading's needs (and what the manager names as one), quotable ones only;
    the manager's question and their own plan are answered as such, not as needs."""
    asked = [a for a in (reading.question, reading.intended_action) if a]

    def is_ask(text: str) -> bool:
        return any(text in a or a in text for a in asked)

    found = [c for c in (_without_asks(c, asked) for c in reading.to_engage(limit))
             if c.quotable and c.vec is not None and not is_ask(c.text)]
    if found:
        return found
    # nothing read as going wrong but the plan itself ("we're at 6 out of 30 … I'm going to put it in their
    # reviews"): the clauses surest of their side stand in, the opening context aside
    rest = [c for c in reading.clauses[1:] if c.quotable and c.vec is not None and not is_ask(c.text)]
    ranked = sorted(rest, key=lambda c: -abs(c.p_leadership - 0.5))[:min(limit, tuning.MAX_STEPS)]
    return sorted(ranked, key=lambda c: reading.clauses.index(c))


def make_plan(reading: "Reading", sources: list[Source], *, whole: "Reading | None" = None,
              practices: list[Practice] | None = None) -> Scaffold:
    """The plan for one reading and its sources. On a follow-up, ``reading`` is the newest words' (their needs
    come first) and ``whole`` the thread's (its needs fill the rest)."""
    practices = corpus_practices() if practices is None else practices
    source_ids = {s.passage_id: s.id for s in sources}
    needs = needs_of(reading, tuning.MAX_NEEDS)
    if whole is not None:
        needs += [c for c in needs_of(whole, tuning.MAX_NEEDS) if c.text not in {n.text for n in needs}]
    base = whole or reading
    doc_order = [s.doc_id for s in sources]
    chosen = match_needs(needs, practices, base.leaning, source_ids, doc_order=doc_order)
    attach_added_advice(chosen, practices, doc_order)
    extra = extra_sources(chosen, sources)
    plan = Plan(steps=steps_for(chosen, base.text), leaning_why=leaning_why(base, chosen))
    q, act = reading.question, reading.intended_action
    if act:
        plan.intended_action = act
        plan.intended_action_verdict, plan.intended_action_reason = judge_action(act, chosen, practices, base)
    if q:
        plan.question = q
        plan.question_answer, plan.question_source_id = answer_question(q, chosen, practices, base,
                                                                        plan.intended_action_verdict)
    return Scaffold(plan, chosen, extra)


def leaning_why(reading: "Reading", chosen: list[Chosen]) -> str:
    """One line under the headline: what works, in the manager's words, and what is missing, by the needs."""
    from ..common.quoting import quote_short

    # only what the manager says works (issue 29's readers: "the young members leave for the salmon farms: that
    # part works"); a clause merely read as no problem is not praised back
    strengths = [c for c in reading.works if c.quotable and not c.neutral and len(c.text.split()) >= 3
                 and c.praised]
    on_side = [ch for ch in chosen if reading.leaning == "both" or ch.practice.side in (reading.leaning, "both")]
    missing = [ch.practice.label for ch in (on_side or chosen)][:2]
    parts = []
    if strengths:
        parts.append(f"You say {quote_short(strengths[0].text, 10)}: that part works.")
    if missing:
        parts.append("What you describe missing is " + ", and ".join(missing) + ".")
    return " ".join(parts)


def extra_sources(chosen: list[Chosen], sources: list[Source]) -> list[Source]:
    """A chosen practice whose passage the sources lack is cited as one more source (S{k+1}, …)."""
    from ..corpus.practices import passage_by_id

    out: list[Source] = []
    ids = {s.passage_id: s.id for s in sources}

    def cite(passage_id: str, score: float) -> str | None:
        if passage_id not in ids:
            p = passage_by_id(passage_id)
            if p is None:
                return None
            src = Source(id=f"S{len(sources) + len(out) + 1}", doc_id=p.doc_id, title=p.title, author=p.author,
                         text=p.text, score=score, passage_id=p.id, origin=p.origin)
            out.append(src)
            ids[passage_id] = src.id
        return ids[passage_id]

    for ch in chosen:
        if ch.source_id is None:
            ch.source_id = cite(ch.practice.passage_id, ch.score)
        if ch.step_from is not None:
            ch.step_source_id = cite(ch.step_from.passage_id, ch.score)
    return out


__all__ = ["Scaffold", "Chosen", "make_plan", "needs_of"]
