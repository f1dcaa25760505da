"""How well the plan reads and answers situations it was not written from: the numbers behind coach/plan/tuning.py.

    python -m training.plan_check                 # dev: evals/coaching.yaml w9a/w9b and evals/situations.yaml dev
    python -m training.plan_check --test          # held out: w9c/w9d and the situations' test split (report only)

Measured per situation:
- the manager's question and intended action found (a slice overlapping the writer's by >= 60% of its words);
- the verdict on the intended action against the writer's ``action_fits`` (yes = fits, no = does not fit);
- a practice whose passage holds a labelled needed passage (``passages`` of evals/situations.yaml), among
  the plan's steps;
- the share of needs left without a step.
Needs an ingested store (COACH_DATA_DIR).
"""
from __future__ import annotations

import argparse
import json
import sys

import yaml

from training.data import EVALS

VERDICT_OF = {"yes": "fits", "no": "does not fit", "partly": "partly"}


def _overlap(found: str | None, want: str | None) -> bool:
    if not found or not want:
        return False
    a, b = set(found.lower().split()), set(want.lower().split())
    return len(a & b) / max(len(b), 1) >= 0.6


def coaching_cases(test: bool) -> list[dict]:
    groups = ("w9c", "w9d") if test else ("w9a", "w9b")
    return [c for c in yaml.safe_load((EVALS / "coaching.yaml").read_text(encoding="utf-8"))["cases"]
            if c["writer"] in groups]


def situation_cases(test: bool) -> list[dict]:
    split = "test" if test else "dev"
    return [c for c in yaml.safe_load((EVALS / "situations.yaml").read_text(encoding="utf-8"))["cases"]
            if c.get("split") == split and c.get("in_scope", True) and c.get("passages")]


def check(test: bool = False) -> dict:
    from coach.common.text import normalize
    from coach.pipeline import prepare_many

    out: dict = {}
    cases = coaching_cases(test)
    preps = prepare_many([c["scenario"] for c in cases])
    q_hit = q_n = a_hit = a_n = v_hit = v_n = q_false = a_false = 0
    confusion: dict[str, int] = {}
    for c, p in zip(cases, preps):
        r, plan = p.reading, p.plan
        assert r is not None
        if c.get("question"):
            q_n += 1
            q_hit += _overlap(r.question, c["question"])
        elif r.question:
            q_false += 1
        if c.get("intended_action"):
            a_n += 1
            a_hit += _overlap(r.intended_action, c["intended_action"])
            if plan and plan.intended_action_verdict and c.get("action_fits"):
                v_n += 1
                want = VERDICT_OF.get(str(c["action_fits"]), "partly")
                v_hit += plan.intended_action_verdict == want
                key = f"{want} -> {plan.intended_action_verdict}"
                confusion[key] = confusion.get(key, 0) + 1
        elif r.intended_action:
            a_false += 1
    out["coaching"] = {"cases": len(cases), "question_found": f"{q_hit}/{q_n}", "question_false": q_false,
                       "action_found": f"{a_hit}/{a_n}", "action_false": a_false, "verdict_agrees": f"{v_hit}/{v_n}",
                       "verdicts": dict(sorted(confusion.items()))}
    sits = situation_cases(test)
    preps = prepare_many([c["scenario"] for c in sits])
    hit = n = unanswered = needs = 0
    for c, p in zip(sits, preps):
        if not p.in_scope or p.plan is None or p.reading is None:
            continue
        n += 1
        wanted = [normalize(x) for x in c["passages"]]
        texts = {s.id: normalize(s.text) for s in p.sources}
        hit += any(any(w in texts.get(st.source_id or "", "") for w in wanted) for st in p.plan.steps)
        needs += len([cl for cl in p.reading.to_engage(5) if cl.quotable])
        unanswered += max(0, min(3, len(p.reading.needs())) - len(p.plan.steps))
    out["situations"] = {"cases": n, "needed_passage_in_steps": round(hit / max(n, 1), 3),
                         "needs_without_step": unanswered}
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.plan_check")
    ap.add_argument("--test", action="store_true", help="the held-out writers and split (report only: never tune on it)")
    args = ap.parse_args(argv)
    print(json.dumps(check(args.test), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
