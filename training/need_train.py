"""Training and cross-validation of the situation reader (``need_model.json``) and the source ranker
(``need_passages.json``), offline: ``python -m training.need_train --groups | --cv | --train``.

Only the dev split of ``evals/situations.yaml``, the training-only ``evals/situations_train.yaml`` and
the labelled situations of ``evals/cases.yaml`` are read; the test split never is. Choices are made on
held-out writers (``--groups``: each writer group scored by models trained on the others) and grouped
k-fold cross-validation on dev (``--cv``: a case's clauses, needs and passages stay in one fold; fixed
seeds), and the training cases' own features are
themselves out-of-fold (nested), so what the case model and the ranker learn from looks like what
they see on a new situation. Needs an ingested store (COACH_DATA_DIR) for the passages.
"""
from __future__ import annotations

import json
from pathlib import Path

from coach.models.neighbours import TABLE_PATH, write_table
from coach.reading.situation import MODEL_PATH, load_need_model, clauses
from coach.models.features import vocabulary_score
from coach.retrieval.sources import PASSAGE_MODEL_PATH, load_passage_model, passage_key, passage_sides
from training.data import training_cases
from training.need_fit import (
    C_CASE,
    C_CLAUSE,
    C_DIRECT,
    C_RANK,
    Item,
    as_reading,
    direct_of,
    fit_models,
    fit_sources,
    folds,
    reading_of,
    vote_for,
)
# the fold splits of --cv: three seeds, five folds (a case's clauses, needs and passages stay in one fold)
SEEDS = (0, 1, 2)
FOLDS = 5


def load_items(k: int = 5, agreed: bool = False):

    from coach.embedding import embed
    from coach.retrieval.hybrid import passage_index, retrieve_situations
    from coach.corpus.store import Store
    from coach.common.text import normalize

    cases = training_cases(agreed=agreed)  # --agreed: only what both readers agree on (issue 32; see training/data.py)
    store = Store()
    index = passage_index(store)
    per = [clauses(c["scenario"]) for c in cases]
    texts = [c["scenario"] for c in cases] + [x.text for cs in per for x in cs] + [n for c in cases for n in c["needs"]]
    V = embed.encode_array(texts)
    i = len(cases)
    for cs in per:
        for x in cs:
            x.vec = V[i]
            i += 1
    needs = [[x.text for x in cs if x.problem][:4] if len(cs) > 1 else [] for cs in per]
    rows = retrieve_situations([c["scenario"] for c in cases], k, store=store, vectors=V[:len(cases)], needs=needs)
    items = []
    for n, (c, cs, row) in enumerate(zip(cases, per, rows)):
        nv = V[i:i + len(c["needs"])]
        i += len(c["needs"])
        want = [normalize(x) for x in c["passages"]]
        wanted = {j for j, p in enumerate(index.passages) if want and any(w in normalize(p.text) for w in want)}
        items.append(Item(c, V[n], cs, list(nv), vocabulary_score(V[n]), wanted,
                          [index.pos[h.id] for h in row if h.id in index.pos]))
    return items, index


def found(it: Item, lean: str, index, keys, sides, n: int, rank_m, keep: int | None = None, neighbours=None) -> bool:
    """Is one of the item's needed passages among the ``n`` sources ``situation.rank_sources`` gives it?"""
    from coach.retrieval.sources import rank_sources

    src = rank_sources(it.svec, as_reading(it, lean), index.vecs, keys, it.hits, n, rank_m, sides, keep,
                       neighbours=neighbours)
    return bool(set(src) & it.wanted)


def lean_of(it: Item, m: dict, tab) -> tuple[str, list[float]]:
    """A labelled item's leaning as ``situation.read_many`` decides it (case model, neighbours' vote,
    direct model), and its needs' sides."""
    from coach.reading.situation import decide_case

    pp, pw = reading_of(it, m)
    return decide_case(pp, pw, it.vocab, m, vote=vote_for(it, tab), direct=direct_of(it, m.get("lexicon")))[0], pp


def cross_validate(items, index, k: int = 5, extra: int | None = None, C_clause=C_CLAUSE, C_case=C_CASE, C_rank=C_RANK,
                   seeds=SEEDS, keep: int | None = None) -> dict:
    """Grouped k-fold: lens agreement and needed-passage recall (k + extra sources; extra: the pipeline's
    LENS_SOURCES) on held-out cases."""
    import numpy as np

    from coach.retrieval.sources import LENS_SOURCES

    extra = LENS_SOURCES if extra is None else extra

    from coach.reading.situation import decide, decide_case

    sides = passage_sides(index.vecs)
    keys = [passage_key(p.text) for p in index.passages]
    res: dict[str, list[bool]] = {"lens": [], "lens_case_only": [], "lens_hand_margins": [], "recall": [],
                                  "recall_ranker_only": [],
                                  "recall_hits_only": []}
    scored, more = split_training(items)
    for seed in seeds:
        for te in folds(len(scored), FOLDS, seed):
            tr = [it for j, it in enumerate(scored) if j not in te]
            m, F = fit_models(tr, more, seed, C_clause, C_case)
            rank_m, tab = fit_sources(tr + more, F, index, sides, keys, C_case, C_rank)
            for j in te:
                it = scored[j]
                lean, pp = lean_of(it, m, tab)
                pw = [x.p_leadership for x in it.clauses if not x.problem]
                dev = it.case["src"] == "dev"
                if dev:
                    res["lens"].append(lean == it.case["leaning"])
                    res["lens_case_only"].append(decide_case(pp, pw, it.vocab, m)[0] == it.case["leaning"])
                    res["lens_hand_margins"].append(decide(pp)[0] == it.case["leaning"])
                if dev and it.wanted:
                    res["recall"].append(found(it, lean, index, keys, sides, k + extra, rank_m, keep, tab))
                    res["recall_ranker_only"].append(found(it, lean, index, keys, sides, k + extra, rank_m, keep, False))
                    res["recall_hits_only"].append(bool(set(it.hits[:k]) & it.wanted))
    return {name: round(float(np.mean(v)), 4) for name, v in res.items()} | {"n_dev": len(res["lens"]) // len(seeds)}


def in_sample(items, index, k: int = 5, extra: int | None = None) -> dict:
    from coach.retrieval.sources import LENS_SOURCES

    extra = LENS_SOURCES if extra is None else extra

    load_need_model.cache_clear()
    load_passage_model.cache_clear()
    m, rank_m = load_need_model(), load_passage_model()
    keys = [passage_key(p.text) for p in index.passages]
    sides = passage_sides(index.vecs)
    lens, rec = [], []
    for it in items:
        if it.case["src"] != "dev":
            continue
        lean = lean_of(it, m, None)[0]
        lens.append(lean == it.case["leaning"])
        if it.wanted:
            rec.append(found(it, lean, index, keys, sides, k + extra, rank_m))
    return {"lens": round(sum(lens) / len(lens), 4), "recall": round(sum(rec) / len(rec), 4)}


def split_training(items) -> tuple[list, list]:
    """(items CV scores, training-only items that are always in training).

    evals/situations_train.yaml (``src`` "train", written by other hands from the same rules) teaches
    every part, the 3-class case model included. Held out one writer group at a time
    (``leave_group_out``), the lens of five of six groups rose when every model learned from all the
    other groups instead of the case model from dev and the old cases only (mean 0.68 -> 0.78; the
    needed passage 0.84 -> 0.88); the old 34 fell by 3 situations. Grouped CV inside dev moved the
    other way (lens 0.742 -> 0.717): it rewards dev's own writers' reading of ``both``, and a new
    manager's situation is read by someone else."""
    return [it for it in items if it.case["src"] != "train"], [it for it in items if it.case["src"] == "train"]


def writer_group(case: dict) -> str:
    """Who wrote a labelled situation: the dev split, the old cases, or a training-only group (its id's
    first part: tra, trb, ...; each was written by different people who never saw the others)."""
    return case["id"].split("-", 1)[0] if case["src"] == "train" else case["src"]


def leave_group_out(items, index, k: int = 5, extra: int | None = None, every: int = 1) -> dict:
    """Lens and needed-passage recall on each writer group, trained on all the others: how the models
    do on situations written and labelled by people they never learned from, as a new manager's are.
    ``every``: only every n-th group in sorted order (each group is one training: the test suite runs a
    quarter of them, ``--groups`` all)."""
    import numpy as np

    from coach.retrieval.sources import LENS_SOURCES

    extra = LENS_SOURCES if extra is None else extra
    sides = passage_sides(index.vecs)
    keys = [passage_key(p.text) for p in index.passages]
    out: dict[str, dict] = {}
    for g in sorted({writer_group(it.case) for it in items} - {"old"})[::every]:
        train = [it for it in items if writer_group(it.case) != g]
        m, F = fit_models(train, [], 0)
        rank_m, tab = fit_sources(train, F, index, sides, keys)
        lens, rec = [], []
        for it in items:
            if writer_group(it.case) != g:
                continue
            lean = lean_of(it, m, tab)[0]
            lens.append(lean == it.case["leaning"])
            if it.wanted:
                rec.append(found(it, lean, index, keys, sides, k + extra, rank_m, neighbours=tab))
        out[g] = {"n": len(lens), "lens": round(float(np.mean(lens)), 3), "recall": round(float(np.mean(rec)), 3)}
    out["mean"] = {m: round(float(np.mean([v[m] for v in out.values()])), 3) for m in ("lens", "recall")}
    return out


def train(items, index, out: Path | None = None) -> dict:
    """Fit on every allowed situation and write the three fitted files: into their packages (where the
    product loads them), or into ``out`` (a test retrains there and compares with the shipped files)."""
    model_path = out / MODEL_PATH.name if out else MODEL_PATH
    passage_path = out / PASSAGE_MODEL_PATH.name if out else PASSAGE_MODEL_PATH
    table_path = out / TABLE_PATH.name if out else TABLE_PATH
    sides = passage_sides(index.vecs)
    keys = [passage_key(p.text) for p in index.passages]
    items, more = split_training(items)
    m, F = fit_models(items, more, 0)
    rank_m, tab = fit_sources(items + more, F, index, sides, keys)
    classes, W, b = m["case"]
    model_path.write_text(json.dumps({
        "about": "P(leadership need) of a problem clause: logistic regression on all-MiniLM-L6-v2 embeddings of going-wrong "
                 "clauses and labelled need phrases; 'case': 3-class logistic regression of the leaning over "
                 "situation.case_features; 'direct': the same over situation.direct_features. `python -m training.need_train --train`; both from "
                 "evals/situations.yaml split=dev, evals/situations_train.yaml and evals/cases.yaml (never the test split)",
        "n_cases": len(items) + len(more), "C": C_CLAUSE, "C_case": C_CASE,
        "coef": [round(float(x), 6) for x in m["coef"]], "intercept": round(m["intercept"], 6),
        "case": {"classes": classes, "coef": [[round(float(x), 6) for x in r] for r in W],
                 "intercept": [round(float(x), 6) for x in b]},
        "direct": {"classes": m["direct"][0], "coef": [[round(float(x), 5) for x in r] for r in m["direct"][1]],
                   "intercept": [round(float(x), 6) for x in m["direct"][2]], "C": C_DIRECT,
                   "lexicon": m["lexicon"].to_json()},
    }) + "\n", encoding="utf-8")
    passage_path.write_text(json.dumps({
        "about": "Source ranker over (situation, passage) pairs: logistic regression on situation.pair_features; prior = "
                 "times a passage answered a labelled situation (overall, per predicted leaning). `python -m "
                 "training.need_train --train`; evals/situations.yaml split=dev, evals/situations_train.yaml and evals/cases.yaml "
                 "(never the test split)",
        "C": C_RANK} | rank_m | {"direct": rank_m["direct"] | {"lexicon": rank_m["direct"]["lexicon"].to_json()}})
        + "\n", encoding="utf-8")
    write_table(tab["text"], tab["needs"], tab["wanted"], tab["ids"], leanings=tab["leaning"], phrases=tab["phrases"],
                path=table_path, about=
                "Nearest-neighbour table of coach.models.neighbours: per training situation (evals/situations.yaml split=dev, "
                "evals/situations_train.yaml and evals/cases.yaml, never the test split) its id, all-MiniLM-L6-v2 text "
                "vector, needs vector, needed passage keys (float16, base64) and leaning. "
                "`python -m training.need_train --train`")
    load_need_model.cache_clear()
    load_passage_model.cache_clear()
    return {"cases": len(items), "all_cases": len(items) + len(more), "neighbours": len(tab["wanted"])}


if __name__ == "__main__":
    import sys

    # --agreed (issue 32, round 11): learn only the situations both blind readers label alike (27 of 1,139 left
    # out, all "both" against one side). Measured on dev and not adopted: the coaching dev lens fell 51 -> 50
    # of 60 and the in-sample needed-passage recall 0.981 -> 0.943; the shipped files keep every label.
    items, index = load_items(agreed="--agreed" in sys.argv)
    if "--cv" in sys.argv:
        print(json.dumps(cross_validate(items, index)))
    if "--groups" in sys.argv:
        print(json.dumps(leave_group_out(items, index)))
    if "--train" in sys.argv:
        print(train(items, index))
        print("in-sample (dev)", json.dumps(in_sample(items, index)))
