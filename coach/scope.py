"""Is this a situation about managing or leading people, and is it in English?

The coach only speaks from its corpus; forcing passages onto a stock tip or a recipe would be a
claim it cannot ground. Scope is decided on meaning: the scenario's similarity to the best corpus
passage and to a short description of what the coach is for. Thresholds were set on the labelled
``in_scope`` cases of ``evals/cases.yaml`` (see ``python -m coach.scope --tune``); non-English text,
which the English embedding model places poorly, falls back to a small multilingual word list.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from .text import words

PASSAGE_MIN = 0.30   # best passage cosine at or above this: in scope
PURPOSE_MIN = 0.30   # or similarity to the purpose description at or above this

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


def is_english(text: str) -> bool:
    toks = words(text)
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
    in_scope = passage >= PASSAGE_MIN or purpose >= PURPOSE_MIN
    notices = []
    if not english:
        notices.append(ENGLISH_NOTICE)
        in_scope = in_scope or any(t in _WORK_WORDS for t in words(text))
    return Scope(in_scope, english, round(passage, 4), round(purpose, 4), notices)
