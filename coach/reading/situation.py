"""Reading a situation for what it lacks, not for the words it uses.

A manager who writes "every process is documented, our ticket metrics are green, yet two of my best
people feel like cogs" uses management's vocabulary and needs leadership: what already works is not a
need. So the text is cut into clauses (``coach.reading.clauses``: sentences, then at contrast markers: but,
yet, however, although...), each clause is read as *working* or *going wrong* (after a contrast, negations,
"nobody", "never", "keeps", loss and complaint words), and only the going-wrong clauses are placed on
the corpus's axes. Each problem clause gets a side from a small logistic model over its MiniLM
embedding; a second, 3-class model decides the leaning (``both`` included) from what those sides add
up to, the side of what already works and the text's vocabulary. Both live in ``need_model.json``,
trained and cross-validated by ``python -m training.need_train`` on the dev split of
``evals/situations.yaml`` and the labelled situations of ``evals/cases.yaml``, never on the test split
(grouped 5-fold CV on dev: 0.645; held out: 0.61; round 1's hand margins: 0.62 in CV).

The problem clauses are also the *needs*: retrieval searches with each of them, the source ranker
(``need_passages.json``) scores passages against them, and the built-in engine mirrors them back to
the manager in their own words.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .clauses import Clause, clauses  # the cutting lives there; both stay importable from here
from ..common.text import split_sentences

if TYPE_CHECKING:  # numpy is imported where it is used
    import numpy as np

    from .lexicon import Lexicon

MODEL_PATH = Path(__file__).with_name("need_model.json")
# a leaning needs this much probability mass behind it; "both" when problem clauses pull both ways
BOTH_MARGIN = 0.02      # fallback only (no case model): |mean(p_leadership) - 0.5| below this: both
SPLIT_STRONG = 0.80     # a clause this sure of each side: both
MAX_NEEDS = 4
# The direct model (3-class logistic regression on ``direct_features``) is averaged half and half with
# the case model fused with the neighbours' vote. Each writer group held out in turn (need_train
# --groups), the lens: 0.778 without it, the direct model alone 0.793, the two averaged 0.816
# (weights 0.2 / 0.33 / 0.5 and C 0.3 / 1 / 3 all gave 0.79-0.82: C = 1, weight 0.5 kept).
DIRECT_WEIGHT = 0.5


@dataclass
class Reading:
    """What the manager says works, what is going wrong, and where the unmet needs sit."""

    clauses: list[Clause]
    leaning: str
    score: float                                   # mean p(leadership) of the needs, minus 0.5
    sentences: list[str] = field(default_factory=list)
    text: str = ""                                 # the situation as written (the lexicon reads it)

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


# ------------------------------------------------------------------------------------------------
# the side of a need (a logistic model over MiniLM embeddings of one clause), then the leaning of the
# situation (a 3-class logistic model over what the needs' sides add up to); both in need_model.json,
# trained by ``python -m training.need_train --train`` (dev split + evals/cases.yaml, never the test split)
# ------------------------------------------------------------------------------------------------
LEANINGS = ("both", "leadership", "management")


@lru_cache(maxsize=1)
def _model() -> dict:
    import numpy as np

    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    out = {"coef": np.asarray(data["coef"], dtype="float32"), "intercept": float(data["intercept"])}
    for part in ("case", "direct"):
        if data.get(part):
            out[part] = (list(data[part]["classes"]), np.asarray(data[part]["coef"], dtype="float64"),
                         np.asarray(data[part]["intercept"], dtype="float64"))
    if (data.get("direct") or {}).get("lexicon"):
        from .lexicon import Lexicon

        out["lexicon"] = Lexicon.from_json(data["direct"]["lexicon"])
    return out


def p_leadership(vecs, model: dict | None = None) -> list[float]:
    """P(the need is a leadership need) for each embedded clause."""
    import numpy as np

    m = model or _model()
    z = np.asarray(vecs, dtype="float32") @ m["coef"] + m["intercept"]
    return [float(x) for x in 1 / (1 + np.exp(-z))]


def decide(ps: list[float], margin: float = BOTH_MARGIN, strong: float = SPLIT_STRONG) -> tuple[str, float]:
    """The leaning from the needs' probabilities alone, by hand-set margins (the fallback when the
    model file holds no case-level model; 5-fold CV on dev: 0.62)."""
    if not ps:
        return "both", 0.0
    score = sum(ps) / len(ps) - 0.5
    lead = any(p >= strong for p in ps)
    mgmt = any(p <= 1 - strong for p in ps)
    if (lead and mgmt) or abs(score) < margin:
        return "both", round(score, 4)
    return ("leadership" if score > 0 else "management"), round(score, 4)


def vocabulary_score(scenario_vec) -> float:
    """Whose words the whole text uses: mean over the lens's axes of cos(leadership pole) minus
    cos(management pole), x10. The case model learns how much the *opposite* of this matters."""
    import numpy as np

    from .lens import pole_vectors

    v = np.asarray(scenario_vec, dtype="float32")
    poles, _ = pole_vectors()
    return float(np.mean([float(v @ l - v @ m) for m, l in poles]) * 10)


def logit(ps) -> np.ndarray:
    import numpy as np

    p = np.clip(np.asarray(ps, dtype="float64"), 1e-3, 1 - 1e-3)
    return np.log(p / (1 - p))


def case_features(problem_ps: list[float], works_ps: list[float], vocab: float):
    """What the leaning is decided from: the needs' sides (mean, strongest each way, spread), the
    side of what already works, and the text's vocabulary."""
    import numpy as np

    L = logit(problem_ps or [0.5])
    W = logit(works_ps or [0.5])
    return np.array([L.mean(), L.max(), L.min(), np.abs(L).mean(), W.mean(), vocab, len(problem_ps), L.std()])


def _softmax(model: tuple, x) -> np.ndarray:
    import numpy as np

    _, W, b = model
    z = W @ x + b
    p = np.exp(z - z.max())
    return p / p.sum()


def direct_features(scenario_vec, problems: list, text: str = "", lexicon: "Lexicon | None" = None) -> np.ndarray:
    """What the direct leaning model reads: the text's vector and the mean direction of its going-wrong
    clauses, side by side (the whole situation, and what it lacks), then, when the model has a
    ``lexicon``, the text's words and word pairs (``coach.reading.lexicon``)."""
    import numpy as np

    from .neighbours import needs_vector

    v = np.asarray(scenario_vec, dtype="float32")
    parts = [v, np.asarray(needs_vector(v, [c.vec for c in problems]), dtype="float32")]
    if lexicon is not None:
        parts.append(lexicon.vector(text))
    return np.concatenate(parts)


def decide_case(problem_ps: list[float], works_ps: list[float], vocab: float, model: dict | None = None,
                vote: dict[str, float] | None = None, direct=None) -> tuple[str, float]:
    """The leaning of a situation: the case model's most probable class (``decide`` without one),
    fused with the leanings of the most similar labelled situations (``vote``, see
    ``neighbours.leaning_vote``) when there are any, then with the direct model's reading of
    ``direct`` (``direct_features``) when the model file holds one (``DIRECT_WEIGHT``)."""
    import numpy as np

    from .neighbours import LENS_VOTE_WEIGHT

    m = model or _model()
    score = round(sum(problem_ps) / len(problem_ps) - 0.5, 4) if problem_ps else 0.0
    if "case" not in m:
        return decide(problem_ps)[0], score
    classes = m["case"][0]
    p = _softmax(m["case"], case_features(problem_ps, works_ps, vocab))
    if vote:
        p = (1 - LENS_VOTE_WEIGHT) * p + LENS_VOTE_WEIGHT * np.array([vote.get(c, 0.0) for c in classes])
    if direct is not None and "direct" in m:
        p = (1 - DIRECT_WEIGHT) * p + DIRECT_WEIGHT * _softmax(m["direct"], direct)
    return classes[int(np.argmax(p))], score


def vote_of(scenario_vec, problems: list, tab: dict | None = None) -> dict[str, float] | None:
    """The labelled neighbours' leaning vote for a situation with these going-wrong clauses (``tab``:
    a neighbour table, the packaged one by default)."""
    from .neighbours import leaning_vote, needs_vector

    return leaning_vote(scenario_vec, needs_vector(scenario_vec, [c.vec for c in problems]), tab)


def read_many(texts: list[str], vectors=None) -> list[Reading]:
    """Read every situation, embedding all their clauses (and the texts, unless given) in one pass."""
    import numpy as np

    from ..embedding import embed

    per = [clauses(t) for t in texts]
    flat = [c.text for cs in per for c in cs]
    if vectors is None:
        allv = embed.encode_array(list(texts) + flat)
        svecs, vecs = allv[:len(texts)], allv[len(texts):]
    else:
        svecs, vecs = np.asarray(vectors, dtype="float32"), (embed.encode_array(flat) if flat else [])
    ps = p_leadership(vecs) if flat else []
    out, i = [], 0
    for text, cs, sv in zip(texts, per, svecs):
        for c in cs:
            c.p_leadership = ps[i]
            c.vec = vecs[i]
            i += 1
        problems = [c for c in cs if c.problem]
        leaning, score = decide_case([c.p_leadership for c in problems],
                                     [c.p_leadership for c in cs if not c.problem], vocabulary_score(sv),
                                     vote=vote_of(sv, problems),
                                     direct=direct_features(sv, problems, text, _model().get("lexicon")))
        out.append(Reading(cs, leaning, score, [s for s in split_sentences(text)], text))
    return out


@lru_cache(maxsize=64)
def read(text: str) -> Reading:
    """One situation's reading (cached: the pipeline and the built-in engine both ask for it)."""
    return read_many([text])[0]
