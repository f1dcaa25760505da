"""The eval's HTML report: one self-contained file a maintainer can open, attach to a PR or archive.

Self-contained on purpose: no script, no stylesheet or font from anywhere, charts as inline SVG, so
the file reads the same offline, in a CI artifact viewer or years later. The markup is a template
(``templates/eval.html.j2``) with autoescape: the suite deliberately contains hostile markup
(``<script>``, ``onerror=``) and the report must show it, never run it.

Why ``metrics`` is passed in and the run is a ``Protocol``: ``coach.evals`` owns the metric table and
the run's types and imports this module to write the report, so this module takes both as data and
imports nothing from ``coach.evals``, not even for the type checker (no circle, at any time).
"""
from __future__ import annotations

from typing import Any, Mapping, Protocol, Sequence

from . import charts
from .templating import chart_svg, render


# Read-only views (properties, so a dataclass's plain attributes of narrower types satisfy them).
class _Threshold(Protocol):
    @property
    def value(self) -> float: ...
    @property
    def direction(self) -> str: ...
    @property
    def op(self) -> str: ...


class _Suite(Protocol):
    @property
    def k(self) -> int: ...
    @property
    def cases(self) -> Sequence[Any]: ...
    @property
    def path(self) -> Any: ...


class _Model(Protocol):
    @property
    def model(self) -> str: ...
    @property
    def metrics(self) -> Mapping[str, float | None]: ...
    @property
    def verdicts(self) -> Mapping[str, bool | None]: ...
    @property
    def failing(self) -> list[str]: ...


class EvalRun(Protocol):
    """What the report reads of ``coach.evals.EvalRun`` (structural: any object with these fields)."""

    @property
    def suite(self) -> _Suite: ...
    @property
    def models(self) -> Sequence[_Model]: ...
    @property
    def cases(self) -> Sequence[Any]: ...
    @property
    def defects(self) -> Sequence[Any]: ...
    @property
    def judge_model(self) -> str | None: ...
    @property
    def duration_s(self) -> float: ...
    @property
    def passed(self) -> bool: ...
    @property
    def thresholds(self) -> Mapping[str, _Threshold]: ...

Metrics = Mapping[str, tuple[str, str]]  # name -> (direction "min"/"max", what it measures)
PASS_COLOR, FAIL_COLOR, NA_COLOR = "#2da44e", "#cf222e", "#9e9e9e"


def _fmt(value: float | None, metric: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f} s" if metric == "latency_p50_s" else f"{value:.3f}"


def _meets(value: float, threshold: float | None, direction: str) -> bool:
    if threshold is None:
        return True
    return value >= threshold - 1e-9 if direction == "min" else value <= threshold + 1e-9


def bar_chart(title: str, bars: list[tuple[str, float | None]], threshold: float | None = None,
              direction: str = "min", scale_max: float = 1.0, unit: str = "") -> charts.Chart | None:
    """One bar per engine; bars that miss the threshold are red, the others green (grey: no value),
    and the threshold is a dashed line on the bars' own scale."""
    labels = [label if value is not None else f"{label} (n/a)" for label, value in bars]
    values = [float(value) if value is not None else 0.0 for _, value in bars]
    top = max([scale_max] + values + ([threshold] if threshold is not None else [])) or 1.0
    colors = {lab: (NA_COLOR if v is None else PASS_COLOR if _meets(v, threshold, direction) else FAIL_COLOR)
              for lab, (_, v) in zip(labels, bars)}
    tip = f"threshold {'≥' if direction == 'min' else '≤'} {threshold:g}{unit}" if threshold is not None else ""
    return charts.bar_chart(list(zip(labels, values)), title=title, width=440, colors=colors, max_value=top,
                            value_format=lambda v: f"{v:.3f}{unit}", threshold=threshold, threshold_tip=tip)


def bar_chart_svg(title: str, bars: list[tuple[str, float | None]], threshold: float | None = None,
                  direction: str = "min", scale_max: float = 1.0, unit: str = "") -> str:
    """``bar_chart`` as inline SVG markup."""
    return str(chart_svg(bar_chart(title, bars, threshold, direction, scale_max, unit)))


def _metric_rows(run: EvalRun, metrics: Metrics) -> list[dict]:
    rows = []
    for name, (_, what) in metrics.items():
        if not any(name in r.metrics for r in run.models):
            continue
        t = run.thresholds.get(name)
        cells = []
        for r in run.models:
            verdict = r.verdicts.get(name)
            cells.append(("num bad" if verdict is False else "num good" if verdict else "num",
                          _fmt(r.metrics.get(name), name)))
        rows.append({"name": name, "what": what, "threshold": f"{t.op} {t.value:g}" if t else "–", "cells": cells})
    return rows


def _chart_blocks(run: EvalRun, metrics: Metrics) -> list[dict]:
    out = []
    for name, (direction, what) in metrics.items():
        if not any(name in r.metrics for r in run.models):
            continue
        t = run.thresholds.get(name)
        latency = name == "latency_p50_s"
        chart = bar_chart(name, [(r.model, r.metrics.get(name)) for r in run.models],
                          t.value if t else None, t.direction if t else direction,
                          scale_max=0.0 if latency else 1.0, unit=" s" if latency else "")
        limit = f" Threshold: {t.op} {t.value:g}{' s' if latency else ''}." if t else " No threshold."
        out.append({"name": name, "text": what + "." + limit, "svg": chart_svg(chart)})
    return out


def _case_rows(run: EvalRun) -> list[dict]:
    return [{"passed": c.passed, "id": c.id, "kind": c.kind, "model": c.model, "failures": list(c.failures),
             "scenario": c.scenario, "answer": c.answer, "judge": c.judge,
             "about": (f"{'in scope' if c.in_scope else 'out of scope'}; leaning {c.leaning or '–'}; on-corpus "
                       f"{'n/a' if c.on_corpus is None else f'{c.on_corpus:.2f}'}; {c.latency_s:.3f} s"),
             "retrieved": ", ".join(f"{r['doc_id']} ({r['score']:.2f})" for r in c.retrieved) or "nothing"}
            for c in run.cases]  # failing first (run_eval sorts them)


def _defect_rows(run: EvalRun) -> list[dict]:
    rows = []
    for d in sorted(run.defects, key=lambda d: d.passed):
        flags = []
        if d.flags.get("invalid_citations"):
            flags.append("invalid citations: " + ", ".join(d.flags["invalid_citations"]))
        for q in d.flags.get("unverified_quotes", []):
            flags.append(f"unverified quote “{q.get('text', '')}”: {q.get('reason', '')}")
        for s in d.flags.get("unsupported_sentences", []):
            flags.append(f"unsupported: {s.get('text', '')} ({s.get('reason', '')})")
        note = ("missed: " + ", ".join(d.missed)) if d.missed else ("false alarm" if d.false_alarm else "")
        rows.append({"passed": d.passed, "id": d.id, "expected": ", ".join(d.expected) or "clean control",
                     "note": note, "flags": flags})
    return rows


def render_html(run: EvalRun, metrics: Metrics) -> str:
    """The report for ``run``; ``metrics`` is ``coach.evals.METRICS`` (in the order the tables show)."""
    many = len(run.models) > 1
    failing = [f"{name} ({r.model})" if many else name for r in run.models for name in r.failing]
    meta = (f"{len(run.suite.cases)} cases, k={run.suite.k}, engines: {', '.join(r.model for r in run.models)}; "
            f"{len(run.defects)} seeded-defect answers; judge: {run.judge_model or 'none'}; {run.duration_s:.1f} s; "
            f"cases file: {run.suite.path}")
    context: dict[str, Any] = {
        "passed": run.passed, "meta": meta, "failing": ", ".join(failing), "many": many,
        "models": [r.model for r in run.models], "metric_rows": _metric_rows(run, metrics),
        "charts": _chart_blocks(run, metrics), "cases": _case_rows(run),
        "n_fail": sum(not c.passed for c in run.cases), "has_defects": bool(run.defects),
        "defects": _defect_rows(run)}
    return render("eval.html.j2", **context)


__all__ = ["render_html", "bar_chart", "bar_chart_svg"]
