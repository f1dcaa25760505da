"""The claims checker measured on coaching answers written as capable models write them (issue 28).

``evals/coaching_answers.jsonl``: for each of the 120 situations of ``evals/coaching.yaml``, the answer a
stand-in strong model wrote from the coach's real prompt (recorded from a real run), labelled sentence by
sentence by a reader who did not write it, and two copies with one sentence changed into a typical model
mistake (an invented fact about the situation, a wrong or misattributed quote, an invented statistic, a
reversal of the cited passage, a claim the cited passage does not make). Writers w9a/w9b are dev (the
checker's cuts were chosen on them: ``coach.checks.tuning``), w9c/w9d are held out.

Measured: the share of faithful sentences warned, the faithful answers with any warning, the injected
mistakes caught (a failure on the changed sentence) by kind, and the faithful sentences warned around them.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("invented_fact", "wrong_quote", "statistic", "reversal", "unsupported_claim")


@dataclass
class ClaimsReport:
    split: str
    answers: int = 0
    faithful_sentences: int = 0
    faithful_warned: int = 0
    answers_warned: int = 0
    mistakes: Counter = field(default_factory=Counter)
    caught: Counter = field(default_factory=Counter)
    neighbours_warned: int = 0
    neighbours: int = 0
    sentences_timed: int = 0
    seconds: float = 0.0
    warned_examples: list = field(default_factory=list)
    missed_examples: list = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "split": self.split, "answers": self.answers,
            "faithful_warned_share": round(self.faithful_warned / max(self.faithful_sentences, 1), 4),
            "faithful_warned": f"{self.faithful_warned}/{self.faithful_sentences}",
            "answers_warned": f"{self.answers_warned}/{self.answers}",
            "mistakes_caught_share": round(sum(self.caught.values()) / max(sum(self.mistakes.values()), 1), 4),
            "mistakes_caught": f"{sum(self.caught.values())}/{sum(self.mistakes.values())}",
            "caught_by_kind": {k: f"{self.caught[k]}/{self.mistakes[k]}" for k in KINDS},
            "min_kind_share": round(min((self.caught[k] / self.mistakes[k] for k in KINDS if self.mistakes[k]),
                                        default=1.0), 4),
            "neighbours_warned": f"{self.neighbours_warned}/{self.neighbours}",
            "ms_per_sentence": round(1000 * self.seconds / max(self.sentences_timed, 1), 2),
        }


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _failed_spans(res) -> list[tuple[int, int]]:
    """Where the checker marked something: failed sentences, unverified quotes, citations to nothing."""
    spans = [(s.start, s.end) for s in res.checks.sentences if s.checked and not s.supported]
    return spans


def _check(answer: str, item: dict):
    from ..checks.answer import verify_answer
    from ..checks.support import Situation
    from ..feedback import Source

    sources = [Source(id=s["id"], doc_id="given", title=s.get("title", ""), author=None, text=s["text"], score=1.0,
                      passage_id=s["id"]) for s in item["sources"]]
    return verify_answer(answer, sources, situation=Situation.from_text(item["scenario"]))


def _marked(res, answer: str, start: int, end: int) -> bool:
    """Is anything in [start, end) marked: the sentence failed, a quote in it unverified, a citation to nothing?"""
    if any(s.checked and not s.supported and s.start < end and s.end > start for s in res.checks.sentences):
        return True
    for q in res.checks.unverified_quotes:
        pos = answer.find(q["text"])
        if pos >= 0 and pos < end and pos + len(q["text"]) > start:
            return True
    body = answer[start:end]
    return any(f"S{c[1:]}" in body for c in res.checks.invalid_citations)


def warm_items(items: list[dict]) -> int:
    """Embed in one sorted batch what the checker will ask for answer by answer: each situation's thoughts and
    whole text, each sentence and part of the answers and of their mistakes, the given passages' units.

    Why: one encode call per answer costs about three times a single batch on 2 cores (the checker's own
    warm is per answer; measured here: 60 answers 92 s before, see ``training.claims_check``). Results are the
    same either way."""
    from ..checks.answer import claim_text
    from ..checks.claims import split_parts
    from ..checks.support import Situation, passage_units
    from ..common.text import sentence_spans
    from ..embedding.cache import warm

    texts: list[str] = []
    for item in items:
        sit = Situation.from_text(item["scenario"])
        texts += list(sit.thoughts) + [" ".join(sit.text.split())]
        texts += [u for g in passage_units([s["text"] for s in item["sources"]]) for u in g]
        for answer in [item["answer"]] + [m["answer"] for m in item.get("mistakes") or []]:
            for a, b in sentence_spans(answer):
                texts.append(claim_text(answer[a:b]))
                texts += [claim_text(p) for p in split_parts(answer[a:b])]
    texts = [t for t in dict.fromkeys(texts) if t.strip()]
    warm(texts)
    return len(texts)


def _labelled(answer: str, sentences: list[dict], spans: list[tuple[int, int]]) -> list[tuple[dict, int, int]]:
    """Each sentence span with its label: the labels were given to the sentences as the checker cut them when the
    answers were labelled, so they are placed by their text, and a span is faithful only if every labelled sentence
    it overlaps is (a heading now cut from the sentence under it keeps that sentence's label)."""
    ranges, at = [], 0
    for lab in sentences:
        start = answer.find(lab["text"], at)
        if start < 0:
            start = answer.find(lab["text"])
        ranges.append((lab, start, start + len(lab["text"])))
        at = max(at, start + len(lab["text"])) if start >= 0 else at
    out = []
    for a, b in spans:
        over = [lab for lab, x, y in ranges if x >= 0 and x < b and y > a]
        bad = next((lab for lab in over if lab["label"] != "ok"), None)
        out.append(((bad or (over[0] if over else {"n": -1, "label": "unknown"})), a, b))
    return out


def measure(items: list[dict], split: str) -> ClaimsReport:
    from ..common.text import sentence_spans

    rep = ClaimsReport(split)
    warm_items([i for i in items if split in ("all", i["split"])])
    for item in (i for i in items if split in ("all", i["split"])):
        rep.answers += 1
        answer = item["answer"]
        spans = sentence_spans(answer)
        t0 = time.perf_counter()
        res = _check(answer, item)
        rep.seconds += time.perf_counter() - t0
        rep.sentences_timed += len(spans)
        any_mark = bool(res.checks.unverified_quotes or res.checks.invalid_citations)
        labelled = _labelled(answer, item["sentences"], spans)
        for lab, a, b in labelled:
            if lab["label"] != "ok":
                continue
            rep.faithful_sentences += 1
            if _marked(res, answer, a, b):
                rep.faithful_warned += 1
                any_mark = True
                why = [f"{p.kind} -> {p.label}: {p.reason[:90]} | {p.text[:80]}" for s in res.checks.sentences
                       if s.start < b and s.end > a for p in s.parts if not p.ok]
                rep.warned_examples.append((item["id"], answer[a:b][:100], why))
        rep.answers_warned += any_mark
        for m in item.get("mistakes") or []:
            rep.mistakes[m["kind"]] += 1
            bad = m["answer"]
            start = bad.find(m["changed"])
            end = start + len(m["changed"])
            res2 = _check(bad, item)
            if start >= 0 and _marked(res2, bad, start, end):
                rep.caught[m["kind"]] += 1
            else:
                rep.missed_examples.append((item["id"], m["kind"], m["changed"][:200]))
            for lab, a, b in labelled:
                if lab["label"] != "ok" or lab["n"] == m["n"] or (a < start + len(m["original"]) and b > start):
                    continue
                shift = len(m["changed"]) - len(m["original"]) if a > start else 0
                rep.neighbours += 1
                rep.neighbours_warned += _marked(res2, bad, a + shift, b + shift)
    return rep


__all__ = ["ClaimsReport", "KINDS", "load", "measure"]
