"""The claims checker on the labelled coaching answers: the numbers behind coach/checks/tuning.py.

    python -m training.claims_check            # dev (w9a, w9b): what the cuts were chosen on
    python -m training.claims_check --test     # held out (w9c, w9d): report only, never tuned on
    python -m training.claims_check --examples # also print the warned faithful sentences and the missed mistakes
"""
from __future__ import annotations

import argparse
import json
import sys

from coach.evals.claims import load, measure
from training.data import EVALS


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.claims_check")
    ap.add_argument("--test", action="store_true")
    ap.add_argument("--examples", type=int, default=0)
    args = ap.parse_args(argv)
    rep = measure(load(EVALS / "coaching_answers.jsonl"), "test" if args.test else "dev")
    print(json.dumps(rep.summary(), indent=1))
    for e in rep.warned_examples[:args.examples]:
        print("WARNED", e)
    for e in rep.missed_examples[:args.examples]:
        print("MISSED", e)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
