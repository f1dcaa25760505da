"""Labelled restatements and invented facts, built from a situations file, and the calibration of
``support_check.PARAPHRASE_MIN`` on them: ``python -m training.restatements [FILE]``.

Why built, not written: a situations file already holds, for each situation, the facts the manager
wrote (exact phrases) and the needs a labeller read into it (paraphrases and interpretations), and
the facts and needs of *other* situations are exactly what an answer invents when it tells a
manager something they never wrote. So each situation gets its own facts and needs as restatements
and two other situations' first fact and first need as inventions, each put in a sentence the way
answers say them ("You wrote that …"). A few interpretations that name no fact at all ("Your team
seems to lack direction.") are restatements too: an answer may interpret without inventing.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.data import EVALS

TEMPLATES = ("You wrote that {}.", "You mentioned that {}.", "In your situation, {}.", "Your team: {}.")
INTERPRETATIONS = (
    "Your situation leans toward leadership.", "It sounds like your team needs clear expectations.",
    "Your team seems to lack direction.", "You are facing a management question.",
    "Your people need to know what is expected of them.", "Your situation calls for both roles.",
    "You describe a team that needs a leader's direction and a manager's structure.",
    "Your team may need more structure.", "It seems your people want to be heard.",
    "You wrote about your team and what is going wrong.",
)
KINDS = ("fact", "need", "interpretation", "other_fact", "other_need")


@dataclass(frozen=True)
class Pair:
    scenario: str
    sentence: str
    restates: bool
    kind: str  # one of KINDS


def build_pairs(path: str | Path, seed: int = 5) -> list[Pair]:
    """The labelled pairs of one situations file (in-scope situations with facts), reproducibly."""
    import yaml

    cases = [c for c in yaml.safe_load(Path(path).read_text(encoding="utf-8"))["cases"]
             if c.get("in_scope", True) and c.get("facts")]
    rng = random.Random(seed)
    out: list[Pair] = []
    for c in cases:
        scn = c["scenario"]
        others = rng.sample([o for o in cases if o is not c], 2)
        items = [(f, True, "fact") for f in c["facts"]] + [(n, True, "need") for n in c.get("needs") or []]
        items += [(o["facts"][0], False, "other_fact") for o in others if o["facts"][0].lower() not in scn.lower()]
        items += [(o["needs"][0], False, "other_need") for o in others if o.get("needs")]
        for text, restates, kind in items:
            out.append(Pair(scn, rng.choice(TEMPLATES).format(text), restates, kind))
        for text in rng.sample(INTERPRETATIONS, 2):
            out.append(Pair(scn, text, True, "interpretation"))
    return out


def features(pairs: list[Pair], chunk: int = 100) -> list[dict[str, Any]]:
    """What ``support_check.situation_check`` weighs, per pair (the given passages left out: the
    corpus's words stand for them). The texts of ``chunk`` situations at a time are embedded in one batched
    pass first (one pass per pair took 32 ms a pair: 350 s for the 10,920 pairs of situations_train.yaml)."""
    from coach.checks.signals import features as judge_features
    from coach.checks.support import Situation, similarity_texts, situation_similarity, situation_words
    from coach.embedding import cache

    situations: dict[str, Situation] = {}
    for p in pairs:
        if p.scenario not in situations:
            situations[p.scenario] = Situation.from_text(p.scenario)
    order = list(situations)
    rows = []
    for start in range(0, len(order), chunk):
        mine = set(order[start:start + chunk])
        part = [p for p in pairs if p.scenario in mine]
        cache.clear()   # the cache empties itself past MAX_ENTRIES: start each chunk below it
        cache.warm(t for p in part for t in similarity_texts(p.sentence, situations[p.scenario]))
        for p in part:
            feats, _ = judge_features(p.sentence, [p.scenario])
            from_scn, unknown = situation_words(p.sentence, p.scenario, [])
            rows.append({"kind": p.kind, "restates": p.restates, "hard": bool(feats["num_novel"] or feats["name_novel"]),
                         "from_scn": from_scn, "unknown": len(unknown),
                         "sim": situation_similarity(p.sentence, situations[p.scenario])})
    return rows


def flagged(row: dict[str, Any], cut: float) -> bool:
    """``situation_check``'s decision at threshold ``cut``, from a row of ``features``."""
    return row["hard"] or (row["from_scn"] < 0.5 and row["unknown"] > 0 and row["sim"] < cut)


def balanced_accuracy(rows: list[dict[str, Any]], cut: float) -> dict[str, float]:
    """Paraphrases (needs and interpretations: the exact facts pass at any cut) against inventions;
    with the flagged share of every kind."""
    by_kind = {k: [r for r in rows if r["kind"] == k] for k in KINDS}
    share = {k: round(sum(flagged(r, cut) for r in rs) / len(rs), 4) for k, rs in by_kind.items() if rs}
    para = by_kind["need"] + by_kind["interpretation"]
    inv = by_kind["other_fact"] + by_kind["other_need"]
    tnr = 1 - sum(flagged(r, cut) for r in para) / max(1, len(para))
    tpr = sum(flagged(r, cut) for r in inv) / max(1, len(inv))
    return {"cut": cut, "balanced_accuracy": round((tnr + tpr) / 2, 4), **{f"flagged_{k}": v for k, v in share.items()}}


GRID = tuple(i / 40 for i in range(6, 25))  # 0.15 ... 0.60


def calibrate(rows: list[dict[str, Any]], grid: tuple[float, ...] = GRID, tie: float = 0.005) -> dict[str, Any]:
    """The best cut on the grid by balanced accuracy; cuts within ``tie`` of the best go to the lowest
    (fewer faithful restatements flagged)."""
    scored = [balanced_accuracy(rows, c) for c in grid]
    top = max(s["balanced_accuracy"] for s in scored)
    chosen = min((s for s in scored if s["balanced_accuracy"] >= top - tie), key=lambda s: s["cut"])
    return {**chosen, "best_balanced_accuracy": top, "pairs": len(rows)}


if __name__ == "__main__":
    import json
    import sys

    from coach.checks.support import PARAPHRASE_MIN

    path = sys.argv[1] if len(sys.argv) > 1 else str(EVALS / "situations_train.yaml")
    got = features(build_pairs(path))
    print(json.dumps({"calibrated": calibrate(got), "at_recorded": balanced_accuracy(got, PARAPHRASE_MIN)}))
