"""Matching needs to the articles' practices, and a plan's steps filled with the manager's words.

Between the reading and the writing: the answer to the manager's direct question, a verdict on the plan
they already have, and for each need the idea of the articles that answers it (cited), one concrete step
that applies it to this manager's people and numbers, and a question of its own. Both engines use it:
the built-in engine renders it, a language model gets it as a scaffold.

Matching is by meaning: a need (a going-wrong clause of the reading, with its vector) is compared with
the problems each practice answers (``coach.corpus.practices``); the practice's side, whether its
passage is among this situation's sources and how often it was already used settle close calls.
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..corpus.practices import Practice
from ..feedback import Plan, PlanStep, Source
from . import tuning
from ..common.quoting import quote_short
from .words import number_of, slot_people

if TYPE_CHECKING:
    from ..common.seams import Clause


@dataclass
class Chosen:
    """A need answered by a practice, before it is written out."""

    need: "Clause"
    practice: Practice
    score: float
    source_id: str | None
    step_from: Practice | None = None   # an added article's own advice for this need, used as the step
    step_source_id: str | None = None
    quote: str = ""   # of the practice's quotes, the one nearest the need (the same words in every answer read
    #                   as stock: 41 of 120 answers held one sentence before; issue 29's measure is a fifth)


@dataclass
class Scaffold:
    """The plan with the objects it was built from (the engines read these; the contract holds ``plan``)."""

    plan: Plan
    chosen: list[Chosen] = field(default_factory=list)
    extra_sources: list[Source] = field(default_factory=list)  # practices' passages the sources lacked


# -- vectors of the practices (constant texts: embedded once per process and corpus) -------------------
_VECS: dict[tuple, tuple] = {}
EXAMPLES_PATH = Path(__file__).with_name("practice_examples.json")


@lru_cache(maxsize=1)
def _examples() -> dict:
    """Need phrases of labelled training situations per curated practice, with their vectors (training/practice_train.py)."""
    import numpy as np

    if not EXAMPLES_PATH.exists():
        return {}
    data = json.loads(EXAMPLES_PATH.read_text(encoding="utf-8"))
    V = np.frombuffer(base64.b64decode(data["vectors"]), dtype="float16").astype("float32").reshape(-1, 384)
    return {pid: V[idx] for pid, idx in data["practices"].items() if idx}


def _practice_vectors(practices: list[Practice]):
    """For each practice: the vectors of the problems it answers (its own phrases), of the labelled needs it
    answered in training, and of the plans it resembles."""
    import numpy as np

    from ..embedding import embed

    key = tuple(p.id for p in practices)
    got = _VECS.get(key)
    if got is None:
        needs = [(i, t) for i, p in enumerate(practices) for t in p.needs]
        acts = [(i, t) for i, p in enumerate(practices) for t in (p.actions or (p.idea,))]
        V = embed.encode_cached([t for _, t in needs] + [t for _, t in acts])
        nV, aV = V[:len(needs)], V[len(needs):]
        ex = _examples()
        got = ([np.asarray([v for (j, _), v in zip(needs, nV) if j == i]) for i in range(len(practices))],
               [np.asarray([v for (j, _), v in zip(acts, aV) if j == i]) for i in range(len(practices))],
               [ex.get(p.id) for p in practices])
        _VECS.clear()
        _VECS[key] = got
    return got


def need_scores(vec, practices: list[Practice]):
    """How close a need is to each practice: its own phrases, or the labelled needs it answered (the mean
    of the nearest EXAMPLES_K), whichever is closer."""
    import numpy as np

    own, _, examples = _practice_vectors(practices)
    v = np.asarray(vec, dtype="float32")
    out = []
    for i in range(len(practices)):
        s = float((own[i] @ v).max()) if len(own[i]) else 0.0
        if examples[i] is not None and len(examples[i]):
            sims = np.sort(examples[i] @ v)[::-1][:tuning.EXAMPLES_K]
            s = max(s, float(sims.mean()))
        elif practices[i].derived:
            s += tuning.DERIVED_LIFT   # what learned examples add to a curated practice's best match
        out.append(s)
    return out


def _side_agrees(practice_side: str, side: str) -> float:
    if practice_side == "both" or side == "both":
        return 0.5
    return 1.0 if practice_side == side else 0.0


def source_bonus(passage_id: str, order: list[str], doc_id: str | None = None, doc_order: list[str] | None = None
                 ) -> float:
    """The source ranker's evidence that a practice's passage is needed: 1 for the first source, falling by a
    tenth per rank, and a penalty when the ranker did not choose it at all. A practice derived from an added
    article counts its article's best source (the ranker picks the passage that describes the problem; the
    advice is often the next paragraph)."""
    if passage_id in order:
        return 1 - order.index(passage_id) / 10
    if doc_id is not None and doc_order and doc_id in doc_order:
        return 1 - doc_order.index(doc_id) / 10
    return tuning.NOT_A_SOURCE


def match_needs(needs: list["Clause"], practices: list[Practice], leaning: str, source_ids: dict[str, str],
                limit: int = tuning.MAX_STEPS, doc_order: list[str] | None = None) -> list[Chosen]:
    """Each need's practice: the best-scoring pairs first, one practice per need and one need per practice.
    ``doc_order``: the sources' articles in the ranker's order (for practices derived from an added article)."""

    if not needs or not practices:
        return []
    order = list(source_ids)   # the sources in the ranker's order (S1 first)
    bonus = [source_bonus(p.passage_id, order, p.doc_id if p.derived else None, doc_order) for p in practices]
    rows = []
    for n, c in enumerate(needs):
        near = need_scores(c.vec, practices)
        for i, p in enumerate(practices):
            cos = near[i]
            side = c.side if abs(c.p_leadership - 0.5) >= tuning.SURE_SIDE else leaning
            score = (cos + tuning.SIDE_WEIGHT * _side_agrees(p.side, side) + tuning.SOURCE_WEIGHT * bonus[i])
            rows.append((score, n, i))
    rows.sort(key=lambda r: -r[0])
    used_n: set[int] = set()
    used_p: set[int] = set()
    out: list[Chosen] = []
    for score, n, i in rows:
        if n in used_n or i in used_p or score < tuning.MATCH_MIN:
            continue
        used_n.add(n)
        used_p.add(i)
        p = practices[i]
        out.append(Chosen(needs[n], p, round(score, 4), source_ids.get(p.passage_id),
                          quote=_best_form(p.quotes, needs[n].vec) if p.quotes else ""))
        if len(out) == limit:
            break
    return sorted(out, key=lambda ch: needs.index(ch.need))


# -- a plan the manager already has ------------------------------------------------------------------
VERDICTS = ("fits", "partly", "does not fit")


def classify_action(text: str, practices: list[Practice]) -> tuple[Practice | None, float]:
    """The practice a plan ("a team dinner", "a second approval step") is an instance of, by meaning."""
    import numpy as np

    from ..embedding import embed

    if not practices or not text.strip():
        return None, 0.0
    _, act_vecs, _ = _practice_vectors(practices)
    v = np.asarray(embed.encode_array([text])[0], dtype="float32")
    scores = [float((a @ v).max()) if len(a) else 0.0 for a in act_vecs]
    best = int(np.argmax(scores))
    return practices[best], scores[best]


PLAN_PARTS = re.compile(r",? and (?:also )?|;")


def action_sides(text: str) -> set[str]:
    """The kinds of work a plan is, part by part ("a 90-day plan with owners … and also a town hall"): each
    part's side by the reading's own need model (p(leadership) past tuning.PLAN_SIDE_CUT either way).

    Why the need model and not the nearest practice's side: on the dev writers' 24 plans the verdict agreed
    12/24 with it and 11/24 with the practice's side (held out: 11/24 and 8/24)."""
    from ..embedding import embed
    from ..reading.situation import p_leadership

    parts = [p for p in PLAN_PARTS.split(text) if len(p.split()) > 2] or [text]
    sides = set()
    for p in p_leadership(embed.encode_array(parts)):
        sides.add("leadership" if p > 1 - tuning.PLAN_SIDE_CUT else "management" if p < tuning.PLAN_SIDE_CUT
                  else "both")
    return sides


def verdict(action: Practice | None, chosen: list[Chosen], leaning: str, sides: set[str] | None = None) -> str:
    """Does the plan meet the need? It fits when it is the practice a need calls for, or the kind of work the
    situation lacks (both kinds, for a situation that lacks both); it does not fit when it is only the other
    kind of work; a plan of both kinds for a one-sided situation, or of one kind for a two-sided one, fits
    partly."""
    if action is not None and any(ch.practice.id == action.id for ch in chosen):
        return "fits"
    if not sides:
        return "partly"
    mixed = {"leadership", "management"} <= sides
    side = "both" if mixed or sides == {"both"} else next(iter(sides - {"both"}))
    if leaning == "both":
        return "fits" if side == "both" else "partly"
    if side == "both":
        return "partly"
    return "fits" if side == leaning else "does not fit"


# -- filling a practice's forms with the manager's words ---------------------------------------------
def fill(form: str, need_text: str, scenario: str) -> str:
    people, each = slot_people(scenario)
    number = number_of(need_text)
    return (form.replace("{people}", people).replace("{each}", each)
            .replace("{problem}", quote_short(need_text, tuning.SLOT_QUOTE_WORDS))
            .replace("{number}", f"the {number} you mention" if number else "one number"))


def _best_form(forms: tuple[str, ...], need_vec) -> str:
    if len(forms) <= 1:
        return forms[0] if forms else ""
    import numpy as np

    from ..embedding import embed

    V = embed.encode_cached(list(forms))
    return forms[int(np.argmax(V @ np.asarray(need_vec, dtype="float32")))]


def attach_added_advice(chosen: list[Chosen], practices: list[Practice], doc_order: list[str]) -> None:
    """An article the maintainers added speaks more concretely than the five general ones: where its advice
    (a derived practice of an article among the sources) is close to a need answered by a curated idea, that
    advice becomes the need's step, cited to its own passage, and the idea stays the curated one."""
    derived = [(i, p) for i, p in enumerate(practices) if p.derived and p.doc_id in doc_order]
    if not derived:
        return
    used: set[str] = {ch.practice.id for ch in chosen}
    for ch in chosen:
        if ch.practice.derived:
            continue
        near = need_scores(ch.need.vec, practices)
        best = max(((near[i], p) for i, p in derived if p.id not in used), key=lambda x: x[0], default=None)
        if best is not None and best[0] >= tuning.ADDED_STEP_MIN:
            ch.step_from = best[1]
            used.add(best[1].id)


def steps_for(chosen: list[Chosen], scenario: str) -> list[PlanStep]:
    out = []
    for ch in chosen:
        if ch.step_from is not None:
            out.append(PlanStep(need=ch.need.text, practice=ch.practice.id, source_id=ch.source_id,
                                idea=ch.practice.idea, label=ch.practice.label, quote=ch.quote,
                                text=ch.step_from.steps[0],
                                question=fill(ch.step_from.questions[0], ch.need.text, scenario)
                                if ch.step_from.questions else "", side=ch.practice.side,
                                step_source_id=ch.step_source_id, speaker=ch.practice.speaker))
            continue
        step = fill(_best_form(ch.practice.steps, ch.need.vec), ch.need.text, scenario) if ch.practice.steps else ""
        question = fill(_best_form(ch.practice.questions, ch.need.vec), ch.need.text, scenario) if ch.practice.questions else ""
        out.append(PlanStep(need=ch.need.text, practice=ch.practice.id, source_id=ch.source_id, idea=ch.practice.idea,
                            label=ch.practice.label, quote=ch.quote, text=step, question=question,
                            side=ch.practice.side, speaker=ch.practice.speaker))
    return out


__all__ = ["Chosen", "Scaffold", "match_needs", "classify_action", "action_sides", "verdict", "VERDICTS", "fill", "steps_for",
           "attach_added_advice"]
