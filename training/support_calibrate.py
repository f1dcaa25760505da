"""Calibrating ``EMBED_WEIGHT`` and ``SUPPORT_THRESHOLD`` (``coach.checks.support``) on labelled pairs.

    python -m training.support_calibrate [evals/support.yaml]
"""
from __future__ import annotations

import sys
from typing import Any

from coach.checks.support import (
    EMBED_WEIGHT,
    SUPPORT_THRESHOLD,
    contradiction,
    hard_fail,
    lexical_support,
    semantic_support,
)
from training.data import EVALS

from coach.checks.quotes import verify_corpus


# -- calibration ---------------------------------------------------------------------------------
def calibrate(pairs: list[dict]) -> dict:
    """Pick EMBED_WEIGHT and SUPPORT_THRESHOLD on labelled (passage, sentence, supported) pairs.

    Returns the best weight, threshold and balanced accuracy; ties go to the lower threshold's
    midpoint between the scores on either side, so the cut sits between the classes.
    """
    corpus_text = " ".join(p.text for p in verify_corpus().passages)
    feats = []
    for p in pairs:
        sem = semantic_support(p["sentence"], [p["passage"]])
        lex = lexical_support(p["sentence"], [p["passage"]])
        fail = (hard_fail(p["sentence"], [p["passage"]], corpus_text) or contradiction(p["sentence"], [p["passage"]])) is not None
        feats.append((sem, lex, fail, bool(p["supported"])))
    best: dict[str, Any] | None = None
    for w in [i / 20 for i in range(0, 21)]:
        scored = sorted(((0.0 if f else w * s + (1 - w) * l), y) for s, l, f, y in feats)
        pos = sum(y for _, y in scored)
        neg = len(scored) - pos
        for i in range(len(scored) + 1):
            lo = scored[i - 1][0] if i > 0 else 0.0
            hi = scored[i][0] if i < len(scored) else 1.0
            thr = (lo + hi) / 2
            tp = sum(1 for sc, y in scored if y and sc >= thr)
            tn = sum(1 for sc, y in scored if not y and sc < thr)
            bacc = (tp / pos + tn / neg) / 2 if pos and neg else 0.0
            if best is None or bacc > best["balanced_accuracy"] + 1e-9:
                best = {"weight": w, "threshold": round(thr, 4), "balanced_accuracy": round(bacc, 4),
                        "tpr": round(tp / pos, 4) if pos else 0.0, "tnr": round(tn / neg, 4) if neg else 0.0}
    assert best is not None  # the grid is never empty
    best["pairs"] = len(pairs)
    return best


def evaluate_threshold(pairs: list[dict], weight: float | None = None, threshold: float | None = None) -> dict:
    """Balanced accuracy of the recorded constants on labelled pairs (used by the tests)."""
    weight = EMBED_WEIGHT if weight is None else weight
    threshold = SUPPORT_THRESHOLD if threshold is None else threshold
    corpus_text = " ".join(p.text for p in verify_corpus().passages)
    tp = tn = pos = neg = 0
    for p in pairs:
        fail = (hard_fail(p["sentence"], [p["passage"]], corpus_text) or contradiction(p["sentence"], [p["passage"]])) is not None
        sc = 0.0 if fail else weight * semantic_support(p["sentence"], [p["passage"]]) + (1 - weight) * lexical_support(p["sentence"], [p["passage"]])
        if p["supported"]:
            pos += 1
            tp += sc >= threshold
        else:
            neg += 1
            tn += sc < threshold
    return {"balanced_accuracy": (tp / pos + tn / neg) / 2, "tpr": tp / pos, "tnr": tn / neg}


if __name__ == "__main__":
    import yaml

    path = sys.argv[1] if len(sys.argv) > 1 else str(EVALS / "support.yaml")
    print(calibrate(yaml.safe_load(open(path, encoding="utf-8"))["pairs"]))
