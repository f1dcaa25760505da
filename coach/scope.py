"""Is this a situation about managing or leading people, and is it in English?

The coach only speaks from its corpus; forcing passages onto a stock tip or a recipe would be a
claim it cannot ground. A situation is in scope when it names the
people or the setting of work (a team, a report, a manager, a deadline: ``_WORK_WORDS``, several
languages), or when its meaning alone is close to the corpus or to the coach's purpose. Meaning alone
is not enough at lower thresholds: on the 63 labelled cases of ``evals/cases.yaml`` the best
passage cosine of off-topic text reached 0.35 (a wedding toast about "the natural leader of the
family") while real situations went as low as 0.17, so the cut-offs sit above every off-topic case
and the word list carries the rest (62 of 63 labelled cases right on meaning plus the first word
list; the 63rd, a "crew" on a packaging line, added the shop-floor words).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .text import words

PASSAGE_MIN = 0.45   # best passage cosine at or above this: in scope on meaning alone
PURPOSE_MIN = 0.40   # or similarity to the purpose description at or above this

PURPOSE = (
    "A manager describes a situation at work with their team, employees or direct reports: leading and managing "
    "people, motivation, performance, accountability, deadlines, processes, vision, change, coaching and feedback.",
    "My team at work is struggling and I am their manager or team lead.",
)

OUT_OF_SCOPE_MESSAGE = (
    "This coach reflects on situations about managing and leading people: a team, a direct report, "
    "your own role as a manager. Its only source is a small set of articles on management and leadership, "
    "so it has nothing grounded to say about this topic and will not guess. "
    "Describe what is happening with your team or in your role, and it will answer with cited passages."
)

ENGLISH_NOTICE = (
    "The corpus is in English. Your text looks like it is in another language, so passages were matched on "
    "meaning and the feedback is in English."
)

_EN = set(
    "the a an and or but if of to in on at for with from by about as is are was were be been being i me my we our "
    "you your he she they them their it its this that these those have has had do does did not no so what who how "
    "when why which can could would should will just than then there here team manager work".split()
)
_WORK_WORDS = set(
    # en
    "team teams employee employees staff report reports boss colleague colleagues coworker coworkers manager "
    "managers management supervisor hire hired hiring onboarding onboarded deadline deadlines sprint sprints "
    "project projects client clients customer customers department departments company organization organisation "
    "kpi kpis okr okrs meeting meetings one-on-one one-on-ones 1:1 performance promoted promotion engineer engineers "
    "developers workforce headcount reorg retro standup backlog quarterly stakeholders shift shifts ward nurses crew "
    "crews operators auditor procedure procedures "
    # es / pt / it
    "equipo empleados empleado jefe jefa gerente liderazgo líder lider gestión trabajo colaboradores reunión "
    "equipe funcionários chefe gerente liderança gestão trabalho squadra dipendenti capo responsabile lavoro "
    # de / nl
    "team mitarbeiter mitarbeiterin führung führungskraft chef chefin abteilung arbeit besprechung leitung "
    "medewerkers leidinggevende werk "
    # fr
    "équipe equipe employés collaborateurs chef responsable direction management travail réunion manager".split()
)


@dataclass
class Scope:
    in_scope: bool
    english: bool
    passage_score: float
    purpose_score: float
    notices: list[str] = field(default_factory=list)


_MARKUP = re.compile(r"<[^>]*>|!?\[[^\]]*\]\([^)]*\)|\b\w+://\S+|\S+@\S+")


def is_english(text: str) -> bool:
    """Share of common English words, counted on the prose only (markup, links and addresses removed)."""
    toks = words(_MARKUP.sub(" ", text))
    if len(toks) < 5:
        return True
    return sum(t in _EN for t in toks) / len(toks) >= 0.15


@lru_cache(maxsize=1)
def _purpose_vectors():
    from . import embed

    return embed.encode_array(list(PURPOSE))


def assess_scope(text: str, vec, hits) -> Scope:
    import numpy as np

    english = is_english(text)
    passage = max((h.cosine for h in hits), default=0.0)
    purpose = float((_purpose_vectors() @ np.asarray(vec, dtype="float32")).max())
    in_scope = passage >= PASSAGE_MIN or purpose >= PURPOSE_MIN or any(t in _WORK_WORDS for t in words(text))
    notices = [] if english else [ENGLISH_NOTICE]
    return Scope(in_scope, english, round(passage, 4), round(purpose, 4), notices)
