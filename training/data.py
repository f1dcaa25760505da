"""The labelled situations the trainers may learn from, read from the repository's evals/ folder.

Paths are the repository's own (``ROOT/evals``), never the working directory: a trainer gives the same
result wherever it is run from. Never the ``split: test`` situations: those measure.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVALS = ROOT / "evals"



def training_cases(situations: str | Path = EVALS / "situations.yaml", cases: str | Path = EVALS / "cases.yaml",
                   train: str | Path = EVALS / "situations_train.yaml", agreed: bool = False) -> list[dict]:
    """Labelled situations allowed for tuning: ``split: dev`` of the new set, the training-only set
    (``split: train``, never scored) and the old labelled ones. Never ``split: test``. ``agreed``: leave out a
    situation a second, blind reader labelled otherwise (27 of 1,105: 7 dev, 20 train, all "both" against one
    side), so the leaning models learn what two readers agree on (issue 32, item 3); the scope model, which
    does not learn the leaning, keeps them all."""
    import yaml

    out = []
    for path, split in ((situations, "dev"), (train, "train")):
        if not Path(path).exists():
            continue
        for c in yaml.safe_load(open(path, encoding="utf-8"))["cases"]:
            if c.get("split") == split and c.get("leaning") and c.get("in_scope", True) and not (
                    agreed and c.get("leaning_second_reader", c["leaning"]) != c["leaning"]):
                out.append({"id": c["id"], "src": split, "scenario": c["scenario"], "leaning": c["leaning"],
                            "needs": c.get("needs") or [], "passages": list(c.get("passages") or [])})
    for c in yaml.safe_load(open(cases, encoding="utf-8"))["cases"]:
        e = c.get("expect") or {}
        if e.get("leaning"):
            pc = e.get("passage_contains") or []
            out.append({"id": c["id"], "src": "old", "scenario": c["scenario"], "leaning": e["leaning"], "needs": [],
                        "passages": [pc] if isinstance(pc, str) else list(pc)})
    return out
