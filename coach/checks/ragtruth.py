"""The support judge measured on human-labelled hallucinations (RAGTruth's format), and trained on them.

File format (``../shared/data/README.md``): ``{"kind": "source", "source_id", "question", "passages"}``
lines, then ``{"kind": "response", "id", "source_id", "model", "response", "labels": [{"start", "end"}]}``.
RAGTruth's rule: a response is hallucinated when it has any labelled span; a sentence is unsupported
when a span overlaps it. The verifier's sentences (``text.sentence_spans``) are labelled that way.

    python -m coach.checks.ragtruth report FILE            # the numbers, with the model in coach/support_model.json
    python -m coach.checks.ragtruth train FILE [--folds 5] # group k-fold CV by source, then fit on all and write the JSON
    coach eval --ragtruth FILE                      # the same report from the CLI

Each answer is judged as a whole (``coach.checks.judge.judge_answer``): a sentence's risk is its own
probability of being unsupported plus ``context_weight`` times its answer's other sentences'; the
weight (0, 0.1, 0.2 or 0.3) and the threshold are chosen on the training folds of each split.
A response counts as flagged when any checked sentence is unsupported: that is
``coach verify --fail-on unsupported``; by default unsupported sentences are shown, not failed.
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from .judge import MODEL_PATH, context, load_model
from .signals import FEATURES, features, meta_reason
from ..common.text import sentence_spans


@dataclass
class Item:
    id: str
    source_id: str
    model: str
    passages: list[str]
    response: str
    labels: list[tuple[int, int]]


def load(path: Path) -> list[Item]:
    """Responses joined to their passages; one clear error for an unreadable or foreign file."""
    sources: dict[str, list[str]] = {}
    rows = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read ({getattr(e, 'strerror', None) or e})") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if obj.get("kind") == "source":
                sources[str(obj["source_id"])] = list(obj["passages"])
            elif obj.get("kind") == "response":
                rows.append((n, obj))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
            raise UsageError(f"{path}:{n}: not a RAGTruth line (kind source/response)") from None
    items = []
    for n, obj in rows:
        sid = str(obj.get("source_id"))
        if sid not in sources:
            raise UsageError(f"{path}:{n}: response for unknown source_id {sid}")
        items.append(Item(str(obj.get("id", n)), sid, str(obj.get("model", "?")), sources[sid], obj["response"],
                          [(int(lb["start"]), int(lb["end"])) for lb in obj.get("labels") or []]))
    if not items:
        raise UsageError(f"{path}: no responses in this file")
    return items


@dataclass
class Row:
    item: int          # index into the items
    text: str
    checked: bool
    label: bool        # True = unsupported by the human labels
    feats: dict


def sentence_rows(items: list[Item]) -> list[Row]:
    """Each sentence as ``verify_answer`` sees it (Markdown, markers and list numbers stripped; headings,
    questions and statements about the passages not checked), labelled by overlap with a human span."""
    from .answer import claim_text, is_claim

    rows: list[Row] = []
    for i, it in enumerate(items):
        first = len(rows)
        for a, b in sentence_spans(it.response):
            raw = it.response[a:b]
            text = claim_text(raw)
            if not text:
                continue
            label = any(s < b and e > a for s, e in it.labels)
            if not is_claim(raw, text) or meta_reason(text):
                rows.append(Row(i, text, False, label, {}))
            else:
                rows.append(Row(i, text, True, label, features(text, it.passages, raw)[0]))
        own = [r.feats for r in rows[first:] if r.checked]
        for f, c in zip(own, context(own)):
            f.update(c)
    return rows


def feature_matrix(rows: list[Row]):
    import numpy as np

    return np.array([[r.feats[f] for f in FEATURES] for r in rows], dtype=float)


def metrics(items: list[Item], rows: list[Row], unsupported: list[bool], flagged: list[bool] | None = None) -> dict:
    """Response-level P/R/F1, sentence-level balanced accuracy, flagged share per model.

    A response is flagged when any of its sentences is unsupported, unless ``flagged`` says (the
    verifier's own verdict, which also fails unverified quotes)."""
    if flagged is None:
        flagged = [False] * len(items)
        for r, u in zip(rows, unsupported):
            if u:
                flagged[r.item] = True
    truth = [bool(it.labels) for it in items]
    tp = sum(f and t for f, t in zip(flagged, truth))
    fp = sum(f and not t for f, t in zip(flagged, truth))
    fn = sum(t and not f for f, t in zip(flagged, truth))
    p = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0  # not `r`: that names a Row above
    pos = [u for row, u in zip(rows, unsupported) if row.label]
    neg = [u for row, u in zip(rows, unsupported) if not row.label]
    tpr = sum(pos) / len(pos) if pos else 0.0
    tnr = 1 - sum(neg) / len(neg) if neg else 0.0
    per_model: dict[str, dict] = {}
    for it, f in zip(items, flagged):
        m = per_model.setdefault(it.model, {"responses": 0, "flagged": 0, "hallucinated": 0})
        m["responses"] += 1
        m["flagged"] += f
        m["hallucinated"] += bool(it.labels)
    for m in per_model.values():
        m["flagged_share"] = round(m["flagged"] / m["responses"], 4)
        m["hallucinated_share"] = round(m["hallucinated"] / m["responses"], 4)
    gpt4 = [v for k, v in per_model.items() if "gpt-4" in k.lower()]
    return {
        "responses": len(items), "sentences": len(rows), "checked_sentences": sum(r.checked for r in rows),
        "response_precision": round(p, 4), "response_recall": round(rec, 4),
        "response_f1": round(2 * p * rec / (p + rec), 4) if p + rec else 0.0,
        "sentence_balanced_accuracy": round((tpr + tnr) / 2, 4), "sentence_tpr": round(tpr, 4),
        "sentence_tnr": round(tnr, 4),
        "gpt4_flagged_share": (round(sum(v["flagged"] for v in gpt4) / sum(v["responses"] for v in gpt4), 4)
                               if gpt4 else None),
        "per_model": dict(sorted(per_model.items())),
    }


def report(path: Path, model_path: Path = MODEL_PATH) -> dict:
    """``coach verify --jsonl --fail-on unsupported``'s verdicts on any file in this format, scored
    against the human labels; with the time it takes per sentence (after start-up)."""
    from .answer import is_flagged, verify_answer
    from .answer import sources_from

    items = load(path)
    load_model(str(model_path))
    verify_answer("Warm up.", sources_from(["Warm up."]), judge="passages")  # start-up: corpus, model file
    t0 = time.perf_counter()
    results = [verify_answer(it.response, sources_from(it.passages), judge="passages") for it in items]
    elapsed = time.perf_counter() - t0
    verdicts, rows, flags = [], [], []
    for i, (it, res) in enumerate(zip(items, results)):
        flags.append(is_flagged(res.checks, fail_on_unsupported=True))
        for s in res.checks.sentences:
            verdicts.append(s.checked and not s.supported)
            rows.append(Row(i, s.text, s.checked, any(a < s.end and b > s.start for a, b in it.labels), {}))
    out = metrics(items, rows, verdicts, flagged=flags)
    out["ms_per_sentence"] = round(1000 * elapsed / max(len(rows), 1), 3)
    out["file"] = str(path)
    out["model_file"] = str(model_path)
    return out


def format_report(rep: dict) -> str:
    lines = [f"RAGTruth-format file: {rep.get('file', '')}  ({rep['responses']} responses, {rep['sentences']} sentences, "
             f"{rep['checked_sentences']} checked)",
             f"  response level   P {rep['response_precision']:.3f}  R {rep['response_recall']:.3f}  "
             f"F1 {rep['response_f1']:.3f}",
             f"  sentence level   balanced accuracy {rep['sentence_balanced_accuracy']:.3f}  "
             f"(TPR {rep['sentence_tpr']:.3f}, TNR {rep['sentence_tnr']:.3f})"]
    if "ms_per_sentence" in rep:
        lines.append(f"  speed            {rep['ms_per_sentence']:.2f} ms per sentence")
    lines.append("  flagged per model (people found hallucinated):")
    for name, m in rep["per_model"].items():
        lines.append(f"    {name:24s} {m['flagged_share']:6.1%} flagged  ({m['hallucinated_share']:.1%})  "
                     f"of {m['responses']}")
    return "\n".join(lines)


def run_cli(path: Path, as_json: bool = False) -> int:
    """`coach eval --ragtruth FILE`: the report; exit 0 (the numbers are for reading: no thresholds)."""
    rep = report(path)
    sys.stdout.write((json.dumps(rep, indent=1) if as_json else format_report(rep)) + "\n")
    return 0


def main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m coach.checks.ragtruth",
                                 description="the support judge's report on a RAGTruth-format file "
                                 "(training: python -m training.ragtruth_train FILE)")
    ap.add_argument("file", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rep = report(args.file)
    print(json.dumps(rep, indent=1) if args.json else format_report(rep))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
