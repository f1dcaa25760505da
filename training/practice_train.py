"""The problems each curated practice answers, learned from labelled situations: ``coach/plan/practice_examples.json``.

    python -m training.practice_train

A practice's own ``needs`` (corpus/practices.yaml) are a few phrases in one writer's words; the labelled
situations of ``evals/situations_train.yaml`` (999 situations by nineteen writers, training only) name the
needs of each situation and the passages that answer them. Each labelled passage is a slice of one corpus
passage; the practice of that passage whose words it shares most takes the situation's need phrases as
examples. The plan matches a manager's need against a practice's own phrases and these examples
(``coach.plan.build``). Only the training split: the dev split of evals/situations.yaml chooses the plan's
weights (``python -m training.plan_check``) and the test split measures.
"""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import yaml

from training.data import EVALS

OUT = Path(__file__).resolve().parent.parent / "coach" / "plan" / "practice_examples.json"


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower().replace("’", "'")))


def _words(text: str) -> set[str]:
    return set(_norm(text).split())


def examples(cases: list[dict]) -> dict[str, list[str]]:
    """practice id -> the need phrases of the labelled situations whose needed passage is that practice's."""
    from coach.corpus.practices import corpus_passages, corpus_practices

    practices = [p for p in corpus_practices() if not p.derived]
    passages = corpus_passages()
    by_passage: dict[str, list] = {}
    for p in practices:
        by_passage.setdefault(p.passage_id, []).append(p)
    out: dict[str, list[str]] = {p.id: [] for p in practices}
    for c in cases:
        needs = [n for n in (c.get("needs") or []) if n and n.strip()]
        for sub in c.get("passages") or []:
            key = _norm(sub)
            home = next((ps for ps in passages if key and key in _norm(ps.text)), None)
            if home is None or home.id not in by_passage:
                continue
            cands = by_passage[home.id]
            # the practice whose own quotes share most of the slice (two practices may hold one sentence)
            best = max(cands, key=lambda p: (len(_words(sub) & _words(" ".join(p.quotes))),
                                             len(_words(sub) & _words(p.sentence))))
            for n in needs:
                if n not in out[best.id]:
                    out[best.id].append(n)
    return out


def train() -> dict:
    import numpy as np

    from coach.embedding import embed

    cases = [c for c in yaml.safe_load((EVALS / "situations_train.yaml").read_text(encoding="utf-8"))["cases"]
             if c.get("split") == "train" and c.get("in_scope", True)]
    ex = examples(cases)
    texts = sorted({t for ts in ex.values() for t in ts})
    V = np.asarray(embed.encode_array(texts), dtype="float16") if texts else np.zeros((0, 384), "float16")
    OUT.write_text(json.dumps({
        "about": "Need phrases of the labelled training situations (evals/situations_train.yaml), each given to the "
                 "curated practice whose passage answered it; all-MiniLM-L6-v2 vectors of the phrases as float16, "
                 "base64. `python -m training.practice_train`",
        "cases": len(cases), "texts": texts, "vectors": base64.b64encode(V.tobytes()).decode("ascii"),
        "practices": {k: [texts.index(t) for t in v] for k, v in sorted(ex.items())},
    }) + "\n", encoding="utf-8")
    return {"cases": len(cases), "phrases": len(texts), "per_practice": {k: len(v) for k, v in sorted(ex.items())}}


if __name__ == "__main__":
    print(json.dumps(train(), indent=1))
