"""Scope on a coach's cases: labelled texts as written (first person) and told about someone else.

A coach writes a batch in the third person ("Client F asks which index fund to buy for her retirement
savings."). Nothing is trained here: each labelled text is turned into such a case (I/my -> she/her,
"Client X says ..." in front) and the shipped scope decision (``coach.reading.scope.assess_scope``: the
word lists, the purpose and the scope model) is measured on both forms. Issue 31, item 7.

    python -m training.scope_cases evals/scope.yaml --split test
    python -m training.scope_cases evals/situations.yaml

Measured (this round): evals/scope.yaml test split, 150 real / 60 private: as written 150/150 taken in and
22/60 turned away; as "Client X says ..." cases 150/150 and 23/60 (before the case rule: 150/150 and 0/60,
"client" being a work word). evals/situations.yaml, 206 real / 10 off-topic: as written 206/206 and 9/10;
as cases 206/206 and 9/10 (before: 206/206 and 0/10).
"""
from __future__ import annotations

import re

import yaml

_THIRD = [(r"\bI'm\b", "she's"), (r"\bI am\b", "she is"), (r"\bI've\b", "she has"), (r"\bI'd\b", "she would"),
          (r"\bI'll\b", "she will"), (r"\b[Ii]\b", "she"), (r"\bim\b", "she's"), (r"\bmy\b", "her"), (r"\bMy\b", "Her"),
          (r"\bme\b", "her"), (r"\bmine\b", "hers"), (r"\bmyself\b", "herself")]


def as_case(text: str, n: int) -> str:
    """A first-person text told by a coach about client ``n``: "Client C says she ..."."""
    for a, b in _THIRD:
        text = re.sub(a, b, text)
    return f"Client {chr(65 + n % 26)} says {text[:1].lower()}{text[1:]}"


def labelled(path: str, split: str | None = None) -> tuple[list[str], list[bool]]:
    data = yaml.safe_load(open(path, encoding="utf-8"))
    rows = data.get("items") or data.get("cases") or []
    rows = [r for r in rows if split is None or r.get("split") == split]
    return [r.get("text") or r["scenario"] for r in rows], [bool(r.get("in_scope", True)) for r in rows]


def measure(path: str, split: str | None = None) -> dict:
    from coach.embedding import embed
    from coach.reading.scope import assess_scope

    texts, labels = labelled(path, split)
    out: dict = {}
    for name, form in (("as written", texts), ("as a case", [as_case(t, n) for n, t in enumerate(texts)])):
        vecs = embed.encode_array(form)
        took = [assess_scope(t, v).in_scope for t, v in zip(form, vecs)]
        real = sum(labels)
        out[name] = {"real": f"{sum(t for t, y in zip(took, labels) if y)}/{real}",
                     "off-topic turned away": f"{sum(not t for t, y in zip(took, labels) if not y)}/{len(labels) - real}",
                     "missed": [f for f, t, y in zip(form, took, labels) if t != y]}
    return out


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--split", default=None)
    a = ap.parse_args()
    print(json.dumps(measure(a.path, a.split), indent=1))
