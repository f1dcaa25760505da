"""The claims checker on the labelled coaching answers: the numbers behind coach/checks/tuning.py.

    python -m training.claims_check            # dev (w9a, w9b): what the cuts were chosen on
    python -m training.claims_check --test     # held out (w9c, w9d): report only, never tuned on
    python -m training.claims_check --examples # also print the warned faithful sentences and the missed mistakes
    python -m training.claims_check --more     # fresh mistakes by a second writer in the dev answers: the tune half
                                               # (w9a's answers) and the check half (w9b's), each reported

    python -m training.claims_check --fresh    # 106 more faithful answers (other situations) and 212 mistakes in them

``evals/claims_fresh.jsonl`` (stops 35 and 37): a stand-in capable model answered the coach's recorded prompts for
106 dev situations of ``evals/situations.yaml`` (every sentence written to be faithful), and a second writer injected
an invented fact and a reversal into each. Four parts: ``tune`` (writers r13-a, r13-b, 40 answers: the verdict, lead-in,
proposing-clause and reversal rules were chosen on them) and ``check`` (r13-c, r13-d, 24 answers written after:
their mistakes were measured once, never tuned on; their 8 faithful warnings then taught the indefinite-antecedent,
indirect-question and "would" readings, so their faithful figure is tuned too) and ``check2`` (r13-e, r13-f, 24
answers to 24 more situations, written after everything else: measured once at the end, never tuned on; at stop 37
its missed reversals taught the hand-over readings, so it is tuned too) and ``check3`` (stop 37: r15-a and r15-b
answered the recorded prompts of the last 18 dev situations with a source, r15-c injected the mistakes; measured
once, after every rule of that stop, never tuned on).

``evals/coaching_mistakes_more.jsonl``: 120 more single-sentence mistakes (an invented fact and a reversal in
each of the 60 dev answers), written by a writer who never read the checker; the asides rule
(``coach.checks.asides``) was chosen on the tune half and the check half measured after it.
"""
from __future__ import annotations

import argparse
import json
import sys

from coach.evals.claims import load, measure
from training.data import EVALS

MORE = EVALS / "coaching_mistakes_more.jsonl"
FRESH = EVALS / "claims_fresh.jsonl"


def more_items(half: str) -> list[dict]:
    """The dev answers carrying the fresh mistakes of one half (``tune`` or ``check``) instead of their own."""
    rows = [r for r in load(MORE) if r["half"] == half]
    out = []
    for item in load(EVALS / "coaching_answers.jsonl"):
        mine = [r for r in rows if r["id"] == item["id"]]
        if not mine:
            continue
        for r in mine:
            if r["original"] not in item["answer"]:
                raise SystemExit(f"{MORE.name}: {r['id']} sentence {r['n']}: its original is not in the answer")
        out.append(dict(item, mistakes=[dict(r, answer=item["answer"].replace(r["original"], r["changed"], 1))
                                        for r in mine]))
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.claims_check")
    ap.add_argument("--test", action="store_true")
    ap.add_argument("--examples", type=int, default=0)
    ap.add_argument("--more", action="store_true", help="the fresh mistakes of evals/coaching_mistakes_more.jsonl")
    ap.add_argument("--fresh", action="store_true", help="the faithful answers and mistakes of evals/claims_fresh.jsonl")
    args = ap.parse_args(argv)
    if args.fresh:
        for part, writers in (("tune", ("r13-a", "r13-b")), ("check", ("r13-c", "r13-d")), ("check2", ("r13-e", "r13-f")),
                              ("check3", ("r15-a", "r15-b"))):
            rep = measure([r for r in load(FRESH) if r["writer"] in writers], "fresh")
            print(part, json.dumps({k: rep.summary()[k] for k in ("faithful_warned", "answers_warned", "caught_by_kind",
                                                                  "mistakes_caught")}))
            for e in rep.warned_examples[:args.examples]:
                print("WARNED", e)
            for e in rep.missed_examples[:args.examples]:
                print("MISSED", e)
        return 0
    if args.more:
        for half in ("tune", "check"):
            rep = measure(more_items(half), "dev")
            print(half, json.dumps({k: rep.summary()[k] for k in ("caught_by_kind", "mistakes_caught")}))
            for e in rep.missed_examples[:args.examples]:
                print("MISSED", e)
        return 0
    rep = measure(load(EVALS / "coaching_answers.jsonl"), "test" if args.test else "dev")
    print(json.dumps(rep.summary(), indent=1))
    for e in rep.warned_examples[:args.examples]:
        print("WARNED", e)
    for e in rep.missed_examples[:args.examples]:
        print("MISSED", e)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
