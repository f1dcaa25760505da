"""Fitting the situation reader's and the source ranker's models (training.need_train runs them).

The clause side model, the case (leaning) model, the direct models over the text's words and vectors,
the source ranker and the per-passage direct models, each a logistic regression (scikit-learn, only
here). Each C below was chosen by the check its comment names (python -m training.need_train --cv:
grouped 5-fold CV on dev; --groups: each writer group held out)."""
from __future__ import annotations

from dataclasses import dataclass, field

from collections import Counter
from typing import Any

from coach.common.text import normalize
from coach.models.features import LEANINGS, direct_features
from coach.common.seams import Reading
from coach.reading.situation import case_features, vote_of
from coach.retrieval.sources import pair_features, passage_key


@dataclass
class Item:
    case: dict
    svec: object
    clauses: list
    need_vecs: list
    vocab: float
    wanted: set = field(default_factory=set)     # passage positions holding a labelled needed passage
    hits: list = field(default_factory=list)     # retrieval's merged top k (positions)



C_CLAUSE = 1.0     # chosen in CV among 0.1, 0.3, 1, 3
C_CASE = 0.1       # chosen in CV among 0.1, 1
C_RANK = 1.0       # CV: 0.1 and 1 equal
C_DIRECT = 1.0     # held-out writer groups: 0.3 / 1 / 3 within 0.01


def clause_examples(items):
    X, y = [], []
    for it in items:
        if it.case["leaning"] == "both":
            continue
        lab = int(it.case["leaning"] == "leadership")
        for x in it.clauses:
            if x.problem:
                X.append(x.vec), y.append(lab)
        for v in it.need_vecs:
            X.append(v), y.append(lab)
    return X, y


def fit_clause(items, C=C_CLAUSE) -> dict:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    X, y = clause_examples(items)
    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(np.asarray(X), y)
    return {"coef": clf.coef_[0].astype("float32"), "intercept": float(clf.intercept_[0])}


def reading_of(it: Item, m: dict) -> tuple[list[float], list[float]]:
    from coach.reading.situation import p_leadership

    ps = p_leadership([x.vec for x in it.clauses], m) if it.clauses else []
    for x, p in zip(it.clauses, ps):
        x.p_leadership = p
    return [x.p_leadership for x in it.clauses if x.problem], [x.p_leadership for x in it.clauses if not x.problem]


def folds(n: int, k: int, seed: int) -> list[set]:
    import numpy as np

    idx = np.random.RandomState(seed).permutation(n)
    return [set(int(j) for j in idx[f::k]) for f in range(k)]


def oof_features(items, seed: int, C=C_CLAUSE):
    """Case features of ``items`` from clause models that never saw them (4 inner folds)."""
    F: list[tuple[Any, list[float], list[float]] | None] = [None] * len(items)  # (features, problems, works)
    for te in folds(len(items), 4, seed + 100):
        m = fit_clause([it for j, it in enumerate(items) if j not in te], C)
        for j in te:
            pp, pw = reading_of(items[j], m)
            F[j] = (case_features(pp, pw, items[j].vocab), pp, pw)
    return F


def fit_case(items, F, C=C_CASE):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(
        np.asarray([f[0] for f in F]), [it.case["leaning"] for it in items])
    return (list(clf.classes_), clf.coef_.astype("float64"), clf.intercept_.astype("float64"))


def as_reading(it: Item, leaning: str) -> Reading:
    return Reading(it.clauses, leaning, 0.0, text=it.case["scenario"])


def rank_rows(it: Item, reading: Reading, index, sides, prior, side_prior):
    import numpy as np

    in_hits = np.zeros(len(index.passages))
    in_hits[it.hits] = 1.0
    return pair_features(it.svec, reading, index.vecs, sides, in_hits, prior, side_prior[reading.leaning])


def priors(items, leanings, keys):
    import numpy as np

    cnt = Counter(j for it in items for j in it.wanted)
    side = {L: Counter(j for it, l in zip(items, leanings) if l == L for j in it.wanted) for L in LEANINGS}
    prior = np.log1p(np.asarray([cnt[j] for j in range(len(keys))], dtype="float64"))
    side_prior = {L: np.log1p(np.asarray([side[L][j] for j in range(len(keys))], dtype="float64")) for L in LEANINGS}
    return prior, side_prior, cnt, side


def neighbour_table(items, keys) -> dict:
    """The nearest-neighbour table (``coach.models.neighbours``) of the training cases with needed passages:
    text vector, needs vector (going-wrong clauses and labelled need phrases), needed passage keys."""
    import numpy as np

    from coach.models.neighbours import needs_vector

    rows = [it for it in items if it.wanted]
    return {"text": np.asarray([it.svec for it in rows], dtype="float32"),
            "needs": np.asarray([needs_vector(it.svec, [x.vec for x in it.clauses if x.problem] + list(it.need_vecs))
                                 for it in rows], dtype="float32"),
            "wanted": [sorted(keys[j] for j in it.wanted) for it in rows], "ids": [it.case["id"] for it in rows],
            "leaning": [it.case["leaning"] for it in rows],
            "phrases": [[normalize(x) for x in it.case.get("passages") or []] for it in rows]}


def fit_ranker(items, F, case_m, index, sides, C=C_RANK):
    """The source ranker, from the training cases' out-of-fold readings (their predicted leaning)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from coach.reading.situation import decide_case

    # the leanings the shipped ranker was fitted on: before issue 32's "both" discount. Refitted on the
    # discounted leanings, held-out needed-passage recall went 0.94 -> 0.93 and dev 0.981 -> 0.972, so the
    # ranker keeps these (its side prior is looked up by the discounted leaning at run time)
    leanings = []
    for it, (_, pp, pw) in zip(items, F):
        leanings.append(decide_case(pp, pw, it.vocab, {"case": case_m}, both_discount=0.0)[0])
    keys = [passage_key(p.text) for p in index.passages]
    prior, side_prior, cnt, side = priors(items, leanings, keys)
    X, y = [], []
    for it, L in zip(items, leanings):  # clause sides are still the out-of-fold ones oof_features set
        if not it.wanted:
            continue
        X.append(rank_rows(it, as_reading(it, L), index, sides, prior, side_prior))
        y += [j in it.wanted for j in range(len(keys))]
    clf = LogisticRegression(C=C, max_iter=3000).fit(np.vstack(X), y)
    return {"coef": [float(x) for x in clf.coef_[0]], "intercept": float(clf.intercept_[0]),
            "prior": {keys[j]: n for j, n in cnt.items()},
            "side_prior": {L: {keys[j]: n for j, n in side[L].items()} for L in LEANINGS}}


def vote_for(it: Item, tab):
    """The neighbours' leaning vote for a labelled item, as ``situation.read_many`` computes it."""
    return vote_of(it.svec, [c for c in it.clauses if c.problem], tab)


def direct_of(it: Item, lexicon=None):
    return direct_features(it.svec, [c for c in it.clauses if c.problem], it.case["scenario"], lexicon)


def direct_matrix(items, lexicon):
    """The direct features of many items as one sparse matrix. Why sparse: the lexicon holds about 9,500 terms
    and a situation uses a hundred of them, so the solver's products over the dense matrix were most of a
    training (the per-passage models: 4.9 -> 1.8 s for twelve of them, weights equal within 2e-5)."""
    import numpy as np
    from scipy import sparse

    return sparse.csr_matrix(np.asarray([direct_of(it, lexicon) for it in items]))


def fit_models(scored, more, seed: int, C_clause=C_CLAUSE, C_case=C_CASE):
    """The clause model and the case model, from every labelled item (``scored`` then ``more``), the
    case model on case features read by clause models that never saw the item. Returns the model and
    those features."""
    everything = list(scored) + list(more)
    F = oof_features(everything, seed, C_clause)
    m = fit_clause(everything, C_clause)
    m["case"] = fit_case(everything, F, C_case)
    m["direct"], m["lexicon"] = fit_direct(everything)
    assert m["direct"][0] == m["case"][0]  # decide_case adds their probabilities class by class
    return m, F


def fit_direct(items, C=C_DIRECT):
    """The direct leaning model and its lexicon (``coach.models.lexicon``, learned from the same texts): 3-class
    logistic regression on ``situation.direct_features``. With 485 labelled situations and no lexicon
    it read a held-out writer group as well as the clause-and-case route (0.793 against 0.778), and
    the two disagree usefully (averaged: 0.816)."""
    from sklearn.linear_model import LogisticRegression

    from coach.models.lexicon import Lexicon

    lexicon = Lexicon.fit([it.case["scenario"] for it in items])
    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(
        direct_matrix(items, lexicon), [it.case["leaning"] for it in items])
    return (list(clf.classes_), clf.coef_.astype("float64"), clf.intercept_.astype("float64")), lexicon


def fit_sources(items, F, index, sides, keys, C_case=C_CASE, C_rank=C_RANK):
    """The source ranker and the neighbour table, from every labelled item (training-only ones too);
    ``F``: their out-of-fold case features (``fit_models``)."""
    case_m = fit_case(items, F, C_case)
    rank_m = fit_ranker(items, F, case_m, index, sides, C_rank)
    rank_m["direct"] = fit_passage_direct(items, keys)
    return rank_m, neighbour_table(items, keys)


MIN_ANSWERED = 3   # a passage gets its own direct model once it answered this many labelled situations
# The per-passage models read the situation's words too (``coach.models.lexicon``), at a smaller scale than the
# lens's: writer groups held out, the needed passage 0.922 without, 0.932 / 0.939 / 0.935 / 0.936 at
# 1 / 2 / 3 / 4 (the lens's 6: 0.935).
PASSAGE_LEXICON_WEIGHT = 2.0


def fit_passage_direct(items, keys, C=C_DIRECT) -> dict:
    """Per passage, does a situation whose text and needs read like this one need it (logistic
    regression on ``situation.direct_features`` with a lexicon of their own, one per passage answered
    at least ``MIN_ANSWERED`` times)? The neighbours' vote copies the nearest situations' passages;
    these models generalise over all the situations that needed each passage."""
    from sklearn.linear_model import LogisticRegression

    from coach.models.lexicon import Lexicon

    lexicon = Lexicon.fit([it.case["scenario"] for it in items], weight=PASSAGE_LEXICON_WEIGHT)
    rows = [it for it in items if it.wanted]
    X = direct_matrix(rows, lexicon)
    out: dict = {"keys": [], "coef": [], "intercept": [], "lexicon": lexicon}
    for j, key in enumerate(keys):
        y = [j in it.wanted for it in rows]
        if MIN_ANSWERED <= sum(y) < len(y):
            clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(X, y)
            out["keys"].append(key)
            out["coef"].append([round(float(x), 4) for x in clf.coef_[0]])
            out["intercept"].append(round(float(clf.intercept_[0]), 4))
    return out
