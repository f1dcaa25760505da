"""Does the answer coach? The mechanical measures of issue 29 on ``evals/coaching.yaml`` (120 situations by four
writers who never saw the code: w9a/w9b tuned on, w9c/w9d held out), scored on the Feedback every engine returns.

They are proxies a machine can count; the real measure is a reader who plays the manager (the closing notes of
issue 29 give those ratings). Each is defined so that it can fail:

- question answered: the plan found the manager's question (>= 60% of the writer's words) and the answer's
  first paragraph carries the plan's answer, or, for a model's own words, half of the question's content words;
- plan weighed: the plan found the intended action, gave it a verdict, and the answer says so (the verdict's
  reason, or half of the action's content words);
- verdict agreement: that verdict equals the writer's (reported, with a floor under what was measured);
- engage points: a writer's "what a good answer must address" counts as addressed when a step of the plan
  was made for it (its need overlaps the point by half the point's content words) and the answer carries
  that step, or the answer mentions half of the point's content words outside the manager's quoted words;
- repeated sentence: the largest share of answers that quote the same article sentence (a stock paragraph
  in every answer is a collage, not coaching);
- quoted back: the share of answer words that are the manager's own words in quotation marks.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .results import CaseResult
    from .suite import Case

_STOP = frozenset("""a an the and or but if of to in on at for with by from as is are was were be been am i we you he she
they it my our your their his her its this that these those do does did not no so just very really what how
should would could can will me us them there here than then about into over""".split())
_QUOTED = re.compile(r"[“\"]([^”\"]{3,})[”\"]")


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9']+", (text or "").lower()) if w not in _STOP and len(w) > 2}


def overlaps(found: str | None, want: str | None, share: float = 0.6) -> bool:
    """``found`` holds at least ``share`` of ``want``'s words (the same cut as ``training.plan_check``)."""
    if not found or not want:
        return False
    a, b = set(found.lower().split()), set(want.lower().split())
    return len(a & b) / max(len(b), 1) >= share


def _mentions(text: str, point: str, share: float = 0.5) -> bool:
    want = content_words(point)
    return bool(want) and len(want & content_words(text)) >= share * len(want)


def _first_paragraph(raw: str) -> str:
    return next((p for p in re.split(r"\n\s*\n", raw.strip()) if p.strip()), "")


def article_sentences(fb) -> set[str]:
    """The article sentences an answer quotes: each verified quote from a source, as the source sentence
    that holds it (two quotes of one sentence count once)."""
    from ..common.text import normalize, sentence_spans

    by_id = {s.id: s.text for s in fb.sources}
    out: set[str] = set()
    for q in fb.quotes:
        if not (q.verified and q.source_id and q.source_id in by_id):
            continue
        text = by_id[q.source_id]
        want = normalize(q.text)
        for a, b in sentence_spans(text):
            if want[:40] in normalize(text[a:b]):
                out.add(normalize(text[a:b]))
                break
        else:
            out.add(want)
    return out


def score_coaching(r: "CaseResult", case: "Case", fb) -> None:
    """Fill ``r.coaching`` for one coaching case's answer (nothing when out of scope or failed)."""
    if fb is None or not fb.in_scope:
        return
    raw = fb.raw_answer or fb.answer_markdown
    plan = fb.plan
    words = len(raw.split())
    manager_words = sum(len(q.text.split()) for q in fb.quotes if q.verified and not q.source_id)
    outside_quotes = _QUOTED.sub(" ", raw)
    c: dict = {"words": words, "quoted_back_words": manager_words,
               "article_sentences": sorted(article_sentences(fb))}
    if case.question:
        first = _first_paragraph(raw)
        found = plan is not None and overlaps(plan.question, case.question)
        said = plan is not None and bool(plan.question_answer) and (
            plan.question_answer[:60] in first or _mentions(first, case.question))
        c["question_answered"] = bool(found and said)
    if case.intended_action:
        found = plan is not None and overlaps(plan.intended_action, case.intended_action)
        said = plan is not None and bool(plan.intended_action_verdict) and (
            (plan.intended_action_reason or "")[:60] in raw or _mentions(raw, case.intended_action))
        c["plan_weighed"] = bool(found and said)
        c["verdict"] = plan.intended_action_verdict if plan is not None else None
    if case.engage:
        steps = list(plan.steps) if plan is not None else []
        addressed = []
        for point in case.engage:
            stepped = any(_mentions(s.need, point) and (s.text[1:40].lower() in raw.lower()) for s in steps if s.text)
            addressed.append(stepped or _mentions(outside_quotes, point))
        c["engage_addressed"] = sum(addressed)
    r.coaching = c


VERDICT_OF = {"yes": "fits", "no": "does not fit", "partly": "partly"}


def _share(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def coaching_metrics(results: list["CaseResult"], by_id: dict[str, "Case"]) -> dict[str, float | None]:
    """The issue-29 measures per split: held out (test) and tuned on (dev)."""
    out: dict[str, float | None] = {}
    for part in ("test", "dev"):
        mine = [r for r in results if by_id[r.id].kind == "coaching" and by_id[r.id].split == part]
        done = [r for r in mine if r.coaching]
        asked = [r for r in mine if by_id[r.id].question]
        acting = [r for r in mine if by_id[r.id].intended_action]
        out[f"question_answered_{part}"] = _share([bool(r.coaching.get("question_answered")) for r in asked])
        out[f"plan_weighed_{part}"] = _share([bool(r.coaching.get("plan_weighed")) for r in acting])
        out[f"verdict_agreement_{part}"] = _share([
            r.coaching.get("verdict") == VERDICT_OF.get(str(by_id[r.id].action_fits), "partly")
            for r in acting if by_id[r.id].action_fits])
        points = sum(len(by_id[r.id].engage) for r in mine)
        out[f"engage_points_{part}"] = (round(sum(r.coaching.get("engage_addressed", 0) for r in mine) / points, 4)
                                        if points else None)
        counts: dict[str, int] = {}
        for r in done:
            for s in r.coaching["article_sentences"]:
                counts[s] = counts.get(s, 0) + 1
        out[f"repeated_sentence_{part}"] = round(max(counts.values()) / len(done), 4) if counts and done else (
            0.0 if done else None)
        words = sum(r.coaching["words"] for r in done)
        out[f"quoted_back_{part}"] = round(sum(r.coaching["quoted_back_words"] for r in done) / words, 4) if words else None
        out[f"coaching_lens_{part}"] = _share([r.leaning == by_id[r.id].leaning for r in mine if by_id[r.id].leaning])
    return out


def most_repeated(results: list["CaseResult"], n: int = 3) -> list[tuple[str, int]]:
    """The article sentences quoted in the most coaching answers (for the report)."""
    counts: dict[str, int] = {}
    for r in results:
        for s in (r.coaching or {}).get("article_sentences", []):
            counts[s] = counts.get(s, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])[:n]


__all__ = ["score_coaching", "coaching_metrics", "most_repeated", "overlaps", "content_words", "VERDICT_OF"]
