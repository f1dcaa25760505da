"""Is a sentence supported by the passages it was written from? A judge for answers of any RAG system.

Measured on human-labelled LLM answers (RAGTruth QA, ``../shared/data/ragtruth-qa-dev.jsonl``), the
old verifier's false alarms were mostly sentences that talk *about* the passages ("Unable to answer
based on the given passages", "Passage 2 says ...") and surface mismatches ("41 percent" vs "41%",
"sprinkled" vs "sprinkle"), while contradictions slipped through. So the judge:

1. strips the framing ("Based on the given passages,", "According to passage 2,", "(Passage 3)") and
   sets aside what is left only when it states what the passages lack, refuses, or is a chat
   pleasantry ("I hope this helps!"): that is no claim about the world (``meta_reason``);
2. compares words by stem (``text.stem``) and quantities by value (``text.number_values``);
3. looks for the passage window that best matches the sentence and asks whether the names and
   numbers the sentence puts together are together there, in the same order, with the same polarity
   (role swaps, negations, changed quantities);
4. measures the alignment itself: recall weighted by each word's rarity in these passages, the one
   passage sentence that covers most of the claim, the longest run of words copied in order
   (``_alignment``; each kept because group cross-validation by source said so, see docs/verification.md);
5. looks at the rest of the answer (``context``, ``risks``): an answer that invents in one place
   tends to invent in others, so how weakly its other sentences are supported is both a signal of
   the model and, weighted by ``context_weight``, added to each sentence's risk; an answer is
   judged as a whole (``judge_answer``), a lone sentence with ``judge``;
6. turns these signals into a probability of "unsupported" with a logistic regression whose
   coefficients live in ``coach/support_model.json`` (plain numbers, no pickle), trained by
   ``python -m training.ragtruth_train ../shared/data/ragtruth-qa-dev.jsonl`` with group k-fold
   cross-validation by source (see ``coach/ragtruth.py``; the threshold and the context weight are
   chosen on the training folds).

Everything here is lexical and cached per passage: under a millisecond per sentence, no model
to load. The coach's own answers are judged by ``coach.checks.answer`` against its curated corpus, which adds
embedding similarity calibrated on ``evals/support.yaml``; this judge's contradiction signals are
added there as hard failures.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


from .signals import FEATURES, features, meta_reason

MODEL_PATH = Path(__file__).with_name("support_model.json")


@dataclass
class Verdict:
    checked: bool
    supported: bool
    score: float   # probability that the sentence is supported, 0..1
    reason: str


@lru_cache(maxsize=2)
def load_model(path: str = str(MODEL_PATH)) -> dict:
    with open(path, encoding="utf-8") as f:
        model = json.load(f)
    if list(model["features"]) != list(FEATURES):
        raise ValueError(f"{path}: trained on other features; retrain with python -m coach.checks.ragtruth train")
    return model


def context(own: list[dict[str, float]]) -> list[dict[str, float]]:
    """For each checked sentence of one answer, how the answer's other checked sentences are supported.

    On the dev file an answer that invents in one place tends to invent in others, and a sentence of
    such an answer is more often unsupported than its own words say: how many others are weakly
    aligned (IDF-weighted recall under 0.6), their mean alignment, their new numbers and names, and
    how many there are (``ctx_*``; group cross-validation in docs/verification.md)."""
    out = []
    for i in range(len(own)):
        oth = [f for j, f in enumerate(own) if j != i]
        out.append({
            "ctx_low": math.log1p(sum(f["idf_recall"] < 0.6 for f in oth)),
            "ctx_mean": sum(f["idf_recall"] for f in oth) / len(oth) if oth else 1.0,
            "ctx_novel": math.log1p(sum(f["num_novel"] + f["name_novel"] for f in oth)),
            "ctx_n": math.log1p(len(oth)),
        })
    return out


def probability_unsupported(feats: dict[str, float], model: dict) -> float:
    z = model["intercept"]
    for name, coef, mean, scale in zip(model["features"], model["coef"], model["mean"], model["scale"]):
        z += coef * (feats[name] - mean) / (scale or 1.0)
    return 1.0 / (1.0 + math.exp(-z))


def hard_rule(feats: dict[str, float], model: dict) -> bool:
    """Contradictions fail whatever the score: a name moved onto another's claim, a quantity changed
    in a sentence that otherwise matches, a negation added or dropped. Which of them apply is part of
    the trained model file (``rules``), chosen by cross-validation."""
    return any(feats.get(r, 0.0) >= 1.0 for r in model.get("rules", []))


def risks(probs: list[float], weight: float) -> list[float]:
    """Each sentence's risk: its own probability of being unsupported plus ``weight`` times the sum of
    its answer's other sentences' (``context_weight`` in the model file, chosen on the training folds).
    A doubtful sentence among doubtful ones is flagged sooner than the same sentence among
    well-supported ones; the answer is still flagged only through a sentence that is."""
    total = sum(probs)
    return [p + weight * (total - p) for p in probs]


def judge_answer(sentences: list[tuple[str, list[str], str | None]], model: dict | None = None) -> list[Verdict]:
    """All sentences of one answer, each ``(sentence, passages, raw)``: not checked (no claim),
    supported, or unsupported and why. Judged together because the rest of the answer is evidence."""
    model = model or load_model()
    out: list[Verdict | None] = [None] * len(sentences)
    idx, feats, problems = [], [], []
    for i, (sentence, passages, raw) in enumerate(sentences):
        why = meta_reason(sentence)
        if why:
            out[i] = Verdict(False, True, 1.0, why)
            continue
        f, prob = features(sentence, passages, raw)
        idx.append(i)
        feats.append(f)
        problems.append(prob)
    for f, c in zip(feats, context(feats)):
        f.update(c)
    hard = [hard_rule(f, model) for f in feats]
    probs = [1.0 if h else probability_unsupported(f, model) for f, h in zip(feats, hard)]
    weight = float(model.get("context_weight", 0.0))
    for i, h, p, r, prob in zip(idx, hard, probs, risks(probs, weight), problems):
        ok = r < model["threshold"] and not h
        if ok:
            reason = ""
        elif prob:
            reason = "; ".join(prob)
        elif r - p >= 0.05:
            reason = f"weak support ({1 - p:.2f}) in the passages, in an answer with other weakly supported sentences"
        else:
            reason = f"weak support ({1 - p:.2f}) in the passages"
        out[i] = Verdict(True, ok, round(1 - p, 4), reason)
    return [v for v in out if v is not None]


def judge(sentence: str, passages: list[str], model: dict | None = None, raw: str | None = None) -> Verdict:
    """One sentence alone against its passages (no other sentence of its answer to weigh)."""
    return judge_answer([(sentence, passages, raw)], model)[0]
