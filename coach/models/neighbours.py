"""Which passages a situation needs, from the labelled situations most like it (nearest neighbours).

The labelled needed passages are mostly the corpus's abstract framework passages ("Leadership is
about getting results through people"); a manager's words rarely resemble them, so similarity between
the situation and a passage finds few of them, and a ranker over such similarities found 0.66 of dev
situations' needed passages in grouped 5-fold CV. Situations that lack the same thing, though,
resemble *each other*: a new situation's needed passages are, most often, the ones its nearest
labelled situations needed (0.77 in the same CV with 7 sources fused with the ranker; 0.80 once the
training-only situations of ``evals/situations_train.yaml`` joined the table and the ranker). So the
table holds, for every training situation (the dev split of ``evals/situations.yaml``,
``evals/situations_train.yaml`` and the labelled cases of ``evals/cases.yaml``, never the test
split), its text's vector, the mean vector of
its needs (its going-wrong clauses and labelled need phrases) and the keys of its needed passages.
Written by ``python -m training.need_train --train``.
"""
from __future__ import annotations

import base64
import json
from functools import lru_cache
from pathlib import Path

TABLE_PATH = Path(__file__).with_name("need_neighbours.json")
NEIGHBOURS = 30      # labelled situations that vote for passages. Each writer group held out (485 situations),
                     # needed passage among the sources: 15 -> 0.877, 30 -> 0.895 (no group lower), 45 -> 0.886, 60 -> 0.894
TEMPERATURE = 10.0   # vote weight exp(T x (similarity - best similarity)): the closest count most
TEXT_WEIGHT = 0.5    # similarity = this x text-to-text + the rest x needs-to-needs
RANKER_WEIGHT = 0.5  # reciprocal-rank fusion with the general ranker (1/(10+rank)); CV: 0.5 best of 0..5
FUSION_K = 10        # the k of reciprocal-rank fusion, 1/(k + rank): the usual 10, not tuned
# weight of the per-passage direct models (need_passages.json "direct": does a situation whose text and
# needs read like this need this passage?) in the fusion. Each writer group held out (need_train
# --groups), the needed passage among the sources: 0.895 without them, 0.905 at 0.5, 0.912 at 1.0,
# 0.894 at 2.0 (C 0.1: 0.903 / 0.910 / 0.905)
PASSAGE_DIRECT_WEIGHT = 1.0
SAME_TEXT = 0.999    # cosine at which two texts are the same situation: never its own neighbour (not tuned)
LENS_NEIGHBOURS = 20   # labelled situations whose leanings vote (CV on dev: 15-40 within noise)
LENS_VOTE_WEIGHT = 0.7  # leaning = argmax((1 - this) x case model + this x vote); CV: 0.6-0.8 within noise


def unit(v):
    import numpy as np

    v = np.asarray(v, dtype="float32")
    n = float(np.linalg.norm(v))
    return v / n if n else v


def needs_vector(scenario_vec, vecs) -> object:
    """The mean direction of a situation's needs (its text's, when it has none embedded)."""
    import numpy as np

    vecs = [v for v in vecs if v is not None]
    return unit(np.mean(np.asarray(vecs, dtype="float32"), axis=0) if vecs else scenario_vec)


def _pack(a) -> str:
    import numpy as np

    return base64.b64encode(np.asarray(a, dtype="float16").tobytes()).decode("ascii")


def unpack(s: str, dim: int):
    import numpy as np

    return np.frombuffer(base64.b64decode(s), dtype="float16").astype("float32").reshape(-1, dim)


def write_table(text_vecs, need_vecs, wanted_keys: list[list[str]], ids: list[str], about: str,
                path: Path = TABLE_PATH, leanings: list[str] | None = None,
                phrases: list[list[str]] | None = None) -> None:
    """The ids are kept so a test can prove no test-split situation is in the table."""
    import numpy as np

    T = np.asarray(text_vecs, dtype="float32")
    path.write_text(json.dumps({
        "about": about, "dim": int(T.shape[1]), "n": len(wanted_keys), "ids": list(ids),
        "text": _pack(T), "needs": _pack(need_vecs), "wanted": wanted_keys, "leaning": list(leanings or []),
        "phrases": list(phrases or []),
    }) + "\n", encoding="utf-8")
    table.cache_clear()


@lru_cache(maxsize=1)
def table() -> dict | None:
    if not TABLE_PATH.exists():
        return None
    data = json.loads(TABLE_PATH.read_text(encoding="utf-8"))
    return {"text": unpack(data["text"], data["dim"]), "needs": unpack(data["needs"], data["dim"]),
            "wanted": [list(w) for w in data["wanted"]], "ids": list(data.get("ids") or []),
            "leaning": list(data.get("leaning") or []), "phrases": [list(p) for p in data.get("phrases") or []]}


def _similarity(scenario_vec, needs_vec, tab: dict):
    """Similarity of a situation to every row: its text's and its needs'; a row with the same text
    (float16 vectors: cosine 0.999+) is -inf, since a labelled situation is not its own evidence
    (else `coach eval`'s dev numbers would read what the table remembers, not what a new one gets)."""
    import numpy as np

    text = tab["text"] @ unit(scenario_vec)
    sim = TEXT_WEIGHT * text + (1 - TEXT_WEIGHT) * (tab["needs"] @ unit(needs_vec))
    sim[text >= SAME_TEXT] = -np.inf
    return sim


def _nearest(sim, k: int):
    """The ``k`` nearest rows and their vote weights exp(T x (similarity - best)), summing to 1."""
    import numpy as np

    idx = [int(i) for i in np.argsort(-sim, kind="stable")[:k] if np.isfinite(sim[i])]
    if not idx:
        return [], []
    w = np.exp(TEMPERATURE * (sim[idx] - sim[idx].max()))
    return idx, list(w / w.sum())


def leaning_vote(scenario_vec, needs_vec, tab: dict | None = None) -> dict[str, float] | None:
    """The leanings of the ``LENS_NEIGHBOURS`` labelled situations most like this one, as shares.

    Why: the case model reads the needs' side from MiniLM clause vectors and tops out near 0.65 (CV on
    dev); situations lacking the same thing resemble each other, so their labels carry what the
    clause reading misses. Grouped 5-fold CV on dev (3 seeds), the lens: case model 0.648, this vote
    alone 0.70, the two fused (``LENS_VOTE_WEIGHT``) 0.736; on five other seeds 0.642 / 0.732 / 0.723
    (round 4's final models, the clause model also learning from the training-only set: 0.670 → 0.726)."""
    tab = tab if tab is not None else table()
    if not tab or not tab.get("leaning"):
        return None
    idx, weights = _nearest(_similarity(scenario_vec, needs_vec, tab), LENS_NEIGHBOURS)
    out: dict[str, float] = {}
    for i, w in zip(idx, weights):
        out[tab["leaning"][i]] = out.get(tab["leaning"][i], 0.0) + float(w)
    return out or None


def vote(scenario_vec, needs_vec, keys: list[str], tab: dict | None = None):
    """A score per passage (in ``keys`` order): the needed passages of the nearest labelled situations,
    each situation's vote split over its passages, plus a trace of how often each passage was needed
    (which orders the passages no neighbour named). None without a table."""
    import numpy as np

    tab = tab if tab is not None else table()
    if not tab or not len(tab["wanted"]):
        return None
    sim = _similarity(scenario_vec, needs_vec, tab)
    pos = {k: n for n, k in enumerate(keys)}
    score = np.zeros(len(keys))
    pop = np.zeros(len(keys))
    for w in tab["wanted"]:
        for k in w:
            if k in pos:
                pop[pos[k]] += 1
    idx, weights = _nearest(sim, NEIGHBOURS)
    for i, wt in zip(idx, weights):
        got = [pos[k] for k in tab["wanted"][i] if k in pos]
        for p in got:
            score[p] += wt / len(got)
    return score + 1e-3 * pop / max(1, len(tab["wanted"]))


def _ranks(scores):
    import numpy as np

    r = np.empty(len(scores))
    r[np.argsort(-np.asarray(scores, dtype="float64"), kind="stable")] = np.arange(len(scores))
    return r


def fuse(vote_scores, ranker_order: list[int], direct_scores=None) -> list[int]:
    """Passage positions by reciprocal-rank fusion of the neighbours' vote, the general ranker and,
    when given, the per-passage direct models (``PASSAGE_DIRECT_WEIGHT``)."""
    import numpy as np

    n = len(vote_scores)
    rr = np.full(n, float(n))
    rr[list(ranker_order)] = np.arange(len(ranker_order))
    fused = 1.0 / (FUSION_K + _ranks(vote_scores)) + RANKER_WEIGHT / (FUSION_K + rr)
    if direct_scores is not None:
        fused = fused + PASSAGE_DIRECT_WEIGHT / (FUSION_K + _ranks(direct_scores))
    return [int(i) for i in np.argsort(-fused, kind="stable")]
