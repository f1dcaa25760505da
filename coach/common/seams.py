"""The typed objects the stages hand on: a situation as the reading read it.

Why here, below every stage: the ``Reading`` rides the pipeline (``Prepared``, the engine's ``Request``) and
every later stage takes what it needs from it: retrieval its needs and vectors, the plan its needs and the
manager's question, the engines and the checks the manager's own words. A stage that reads these objects
does not go back into the reading to do it (``coach.reading`` makes them; nothing else does).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..feedback import Lens

MAX_NEEDS = 4  # needs a reading offers at most: an answer that engages four problems well beats six (dev CV)


@dataclass
class Clause:
    text: str
    problem: bool
    sentence: int          # index of the sentence it comes from
    p_leadership: float = 0.5
    neutral: bool = False  # neither working nor wrong on its face: context ("I manage the night shift")
    # the manager names a need or a fault in words the problem cues leave out ("I need a process for the
    # handoffs", clumsy "dont", "Still my leads act like clerks"): the answer engages it, the leaning
    # does not count it (counting it cost 0.03-0.05 of grouped CV lens agreement on dev)
    named: bool = False
    heading: bool = False  # a short announcement of the problems that follow ("the problem is the basics")
    quotable: bool = True  # may be quoted back: not personal data, markup or an instruction (coach.reading.quotable)
    praised: bool = False  # the manager says in so many words that it works (coach.reading.clauses.says_it_works)
    vec: object = field(default=None, repr=False, compare=False)

    @property
    def side(self) -> str:
        return "leadership" if self.p_leadership >= 0.5 else "management"


@dataclass
class Reading:
    """What the manager says works, what is going wrong, where the unmet needs sit, what they ask and
    what they intend: everything later stages know of the situation (none of them reads it again)."""

    clauses: list[Clause]
    leaning: str
    score: float                                   # mean p(leadership) of the needs, minus 0.5
    sentences: list[str] = field(default_factory=list)
    text: str = ""                                 # the situation as written (the lexicon reads it)
    vector: object = field(default=None, repr=False, compare=False)  # the whole text's embedding
    question: str | None = None                    # the manager's direct question, their words (coach.reading.asks)
    intended_action: str | None = None             # what they say they will do, their words
    lens: "Lens | None" = None                     # the needs on the corpus's axes (sources not yet cited)
    scope: "Scope | None" = None                   # about people at work, by the words and the scope model
    need_vector: object = field(default=None, repr=False, compare=False)  # where the unmet needs point (lens)
    second_side: str | None = None                 # one-sided, but "both" was close: the other side that shows

    @property
    def problems(self) -> list[Clause]:
        return [c for c in self.clauses if c.problem]

    @property
    def works(self) -> list[Clause]:
        return [c for c in self.clauses if not c.problem]

    def needs(self, limit: int = MAX_NEEDS) -> list[Clause]:
        """The problem clauses most worth answering: the surest about their side first, in text order."""
        problems = [c for c in self.problems if not c.heading] or self.problems
        ranked = sorted(problems, key=lambda c: -abs(c.p_leadership - 0.5))[:limit]
        return sorted(ranked, key=lambda c: self.clauses.index(c))

    def to_engage(self, limit: int = MAX_NEEDS + 1) -> list[Clause]:
        """What an answer must speak to: the needs, then what the manager names as a need in other
        words, in text order."""
        named = [c for c in self.clauses if c.named and not c.problem][:2]
        chosen = self.needs(limit - len(named)) + named
        return sorted(chosen, key=lambda c: self.clauses.index(c))


@dataclass
class Scope:
    """Is the text about managing or leading people? ``in_scope`` by its words, the purpose and the scope
    model; retrieval may still take it in when a corpus passage is close (``passage_score``)."""

    in_scope: bool
    english: bool
    passage_score: float
    purpose_score: float
    notices: list[str] = field(default_factory=list)
    situation: bool = True   # False: no situation at all (only orders to the coach): declined whatever retrieval finds
