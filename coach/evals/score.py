"""Scoring: one case's answer against its labels, then the metrics over all cases and defects.

Pure functions over prepared cases and results (no model, no store), so the metrics can be tested
on hand-made results.
"""
from __future__ import annotations

import statistics
from typing import Any, Callable

from .index import norm
from .results import CaseResult, DefectResult
from .suite import Case, Suite


def _rank(hits, match: Callable[[Any], bool]) -> int | None:
    return next((n for n, h in enumerate(hits, 1) if match(h)), None)


def _leaks(case: Case, *texts: str) -> list[str]:
    hay = "\n".join(t for t in texts if t).lower()
    return [s for s in case.must_not_contain if s.lower() in hay]


def score_case(case: Case, prep, fb, model: str, error: str | None, k: int) -> CaseResult:
    """One case's result for one engine: what was retrieved, what was answered, what failed."""
    hits = list(prep.hits)[:k]
    wanted = [norm(s) for s in case.passage_contains]
    docs = set(case.docs)

    def has_passage(h) -> bool:
        t = norm(h.text)
        return any(w in t for w in wanted)

    r = CaseResult(id=case.id, kind=case.kind, model=model, scenario=case.scenario, expect=case.expect_dict())
    r.retrieved = [{"rank": n, "doc_id": h.doc_id, "passage_id": h.id, "score": round(float(h.score), 4)}
                   for n, h in enumerate(hits, 1)]
    if case.retrieval_labelled:
        r.hit_rank = _rank(hits, lambda h: h.doc_id in docs or (bool(wanted) and has_passage(h)))
        if wanted:
            r.passage_rank = _rank(hits, has_passage)
    r.error = error
    r.split = case.split
    if case.split and wanted:
        r.needed_rank = _rank(list(prep.sources), has_passage)
    if fb is not None:
        raw = fb.raw_answer or fb.answer_markdown
        if fb.in_scope:
            from ..common.fragments import lifted_fragments

            r.lifted = lifted_fragments(raw)
            low = " ".join(raw.lower().split())
            r.facts_found = [x for x in case.facts if " ".join(x.lower().split()) in low]
        r.in_scope = bool(fb.in_scope)
        r.leaning = fb.lens.leaning if fb.in_scope else None
        r.answer = fb.answer_markdown
        r.invalid_citations = list(fb.checks.invalid_citations)
        r.unverified_quotes = list(fb.checks.unverified_quotes)
        r.unsupported_sentences = len(fb.checks.unsupported_sentences)
        r.sentences = sum(1 for s in fb.checks.sentences if getattr(s, "checked", True))
        r.on_corpus = fb.checks.on_corpus if fb.in_scope else None
        r.quotes = len(fb.quotes)
        r.leaked = _leaks(case, fb.answer_markdown, fb.raw_answer)
        r.latency_s = round(float(fb.elapsed_s), 4)
        if case.kind == "coaching":
            from .coaching import score_coaching

            score_coaching(r, case, fb)
    else:
        r.in_scope = bool(prep.in_scope)
    f = r.failures
    if error:
        f.append(f"error: {error}")
    if case.in_scope is not None and r.in_scope != case.in_scope:
        f.append("scope: expected " + ("in scope, answered as out of scope" if case.in_scope else
                                       "out of scope, answered as in scope"))
    if case.leaning and r.leaning != case.leaning:
        f.append(f"leaning: expected {case.leaning}, got {r.leaning or 'none (out of scope)'}")
    if case.retrieval_labelled and r.hit_rank is None:
        f.append(f"retrieval: no expected article or passage in the top {k}")
    if r.invalid_citations:
        f.append("citations: no such source " + ", ".join(r.invalid_citations))
    if r.unverified_quotes:
        f.append(f"quotes: {len(r.unverified_quotes)} unverified — " + "; ".join(
            f"“{q.get('text', '')[:60]}” ({q.get('reason', '')})" for q in r.unverified_quotes[:2]))
    for s in r.leaked:
        f.append(f"safety: the answer contains {s!r}")
    if case.split and wanted and r.needed_rank is None:
        f.append("retrieval: no needed passage among the sources")
    if case.facts and r.in_scope and fb is not None and not engaged(r, case):
        f.append(f"engagement: mentions {len(r.facts_found)} of {len(case.facts)} facts")
    for x in r.lifted:
        f.append(f"lifted fragment: {x[:60]!r}")
    r.passed = not f
    return r


def engaged(r: CaseResult, case: Case) -> bool:
    """An answer engages its situation when it mentions at least half of the situation's facts."""
    return bool(case.facts) and 2 * len(r.facts_found) >= len(case.facts)


def _share(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def case_metrics(results: list[CaseResult], suite: Suite) -> tuple[dict[str, float | None], dict[str, int]]:
    by_id = {c.id: c for c in suite.cases}
    labelled = [r for r in results if by_id[r.id].retrieval_labelled]
    with_passage = [r for r in labelled if by_id[r.id].passage_contains]
    # answers the engine was asked for (predicted in scope): an engine error counts as a failed answer
    answered = [r for r in results if r.in_scope]
    metrics: dict[str, float | None] = {
        "retrieval_recall": _share([r.hit_rank is not None for r in labelled]),
        "mrr": round(sum(1 / r.hit_rank for r in labelled if r.hit_rank) / len(labelled), 4) if labelled else None,
        "passage_recall": _share([r.passage_rank is not None for r in with_passage]),
        "citation_validity": _share([r.error is None and not r.invalid_citations for r in answered]),
        "quote_fidelity": _share([r.error is None and not r.unverified_quotes for r in answered]),
        "on_corpus": (round(statistics.fmean((r.on_corpus if r.error is None and r.on_corpus is not None else 0.0)
                                             for r in answered), 4) if answered else None),
        "lens_agreement": _share([r.leaning == by_id[r.id].leaning for r in results
                                  if by_id[r.id].leaning and not by_id[r.id].split]),
        "scope_accuracy": _share([r.in_scope == by_id[r.id].in_scope for r in results
                                  if by_id[r.id].in_scope is not None]),
        "safety": _share([not r.leaked and r.error is None for r in results if by_id[r.id].must_not_contain]),
    }
    for part in ("test", "dev"):
        mine = [r for r in results if by_id[r.id].split == part and by_id[r.id].kind != "coaching"]
        metrics[f"lens_agreement_{part}"] = _share([r.leaning == by_id[r.id].leaning for r in mine if by_id[r.id].leaning])
        read_twice = [r for r in mine if by_id[r.id].leaning and by_id[r.id].second_leaning]
        metrics[f"readers_agree_{part}"] = _share([by_id[r.id].second_leaning == by_id[r.id].leaning for r in read_twice])
        metrics[f"lens_agreed_{part}"] = _share([r.leaning == by_id[r.id].leaning for r in read_twice
                                                 if by_id[r.id].second_leaning == by_id[r.id].leaning])
        metrics[f"needed_passage_recall_{part}"] = _share([r.needed_rank is not None for r in mine
                                                            if by_id[r.id].passage_contains and by_id[r.id].in_scope])
    with_facts = [r for r in results if by_id[r.id].facts and by_id[r.id].in_scope and r.in_scope and r.error is None]
    metrics["engagement"] = _share([engaged(r, by_id[r.id]) for r in with_facts])
    metrics["facts_engaged"] = (round(statistics.fmean(len(r.facts_found) / len(by_id[r.id].facts) for r in with_facts), 4)
                                if with_facts else None)
    metrics["lifted_fragments"] = float(sum(len(r.lifted) for r in answered)) if answered else None
    real = [r for r in results if by_id[r.id].split and by_id[r.id].in_scope]
    metrics["situation_scope"] = _share([bool(r.in_scope) for r in real])
    if any(c.kind == "coaching" for c in suite.cases):
        from .coaching import coaching_metrics

        metrics.update(coaching_metrics(results, by_id))
    lat = [r.latency_s for r in results if r.error is None]
    metrics["latency_p50_s"] = round(statistics.median(lat), 4) if lat else None
    counts = {"cases": len(results), "cases_passed": sum(r.passed for r in results),
              "answered": len(answered), "errors": sum(r.error is not None for r in results),
              "retrieval_labelled": len(labelled)}
    return metrics, counts


def defect_metrics(results: list[DefectResult]) -> tuple[dict[str, float | None], dict[str, int]]:
    seeded = [(r, d) for r in results for d in r.expected]
    controls = [r for r in results if not r.expected]
    metrics = {
        "defect_detection": _share([d in r.detected for r, d in seeded]),
        "false_alarm_rate": _share([bool(r.false_alarm) for r in controls]),
    }
    counts = {"defect_items": len(results), "seeded_defects": len(seeded),
              "defects_detected": sum(d in r.detected for r, d in seeded), "clean_controls": len(controls),
              "false_alarms": sum(bool(r.false_alarm) for r in controls)}
    return metrics, counts
