"""The eval's terminal table and its files (``results.json``, ``report.html``).

The HTML is drawn by ``coach.reports.evals``, which is handed the run and the metric table and
imports nothing from this package: the report sits above the eval, never beside it in a circle.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import UsageError
from .results import EvalRun
from .suite import METRICS


def _fmt(value: float | None, metric: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if metric != "latency_p50_s" else f"{value:.3f}s"


def format_table(run: EvalRun) -> str:
    """Plain aligned columns: metric, threshold, then one column per engine (failures marked)."""
    names = [m for m in METRICS if any(m in r.metrics for r in run.models)]
    header = ["metric", "threshold"] + [r.model for r in run.models]
    rows = [header]
    for name in names:
        t = run.thresholds.get(name)
        row = [name, f"{t.op} {t.value:g}" if t else "-"]
        for r in run.models:
            v = r.metrics.get(name)
            cell = _fmt(v, name)
            if r.verdicts.get(name) is False:
                cell += " FAIL"
            row.append(cell)
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    n_def = len(run.defects)
    out = [f"coach eval: {len(run.suite.cases)} cases (k={run.suite.k}), {n_def} seeded-defect answers, "
           f"{run.duration_s:.1f}s  [{run.suite.path}]", ""] + lines
    for r in run.models:  # an engine that could not answer is said first, in one line, not only case by case
        errors = [c.error for c in run.cases if c.model == r.model and c.error]
        if errors:
            out += ["", f"ENGINE FAILED: {r.model} could not answer {len(errors)} of "
                        f"{sum(c.model == r.model for c in run.cases)} cases: {errors[0]}"]
    failing = [c for c in run.cases if not c.passed]
    if failing:
        out += ["", f"failing cases ({len(failing)} of {len(run.cases)}):"]
        for c in failing:
            tag = f" [{c.model}]" if len(run.models) > 1 else ""
            out.append(f"  {c.id}{tag}: " + "; ".join(c.failures))
    missed = [d for d in run.defects if not d.passed]
    if missed:
        out += ["", "verifier misses:"]
        for d in missed:
            what = f"missed {', '.join(d.missed)}" if d.missed else "false alarm on a clean answer"
            out.append(f"  {d.id}: {what}")
    out.append("")
    if not run.thresholds:
        out.append(f"PASSED: but {run.suite.path} sets no thresholds, so nothing was gated")
    elif run.passed:
        out.append("PASSED: every metric meets its threshold")
    else:
        bad = []
        for r in run.models:
            for name in r.failing:
                t = run.thresholds[name]
                bad.append(f"{name} {_fmt(r.metrics.get(name), name)} {'<' if t.direction == 'min' else '>'} "
                           f"{t.value:g}" + (f" ({r.model})" if len(run.models) > 1 else ""))
        out.append("FAILED: " + "; ".join(bad))
    return "\n".join(out)


def write_outputs(run: EvalRun, out_dir: Path) -> tuple[Path, Path]:
    """``results.json`` and a self-contained ``report.html`` in ``out_dir``."""
    from ..reports.evals import render_html

    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        results = out_dir / "results.json"
        results.write_text(run.to_json() + "\n", encoding="utf-8")
        report = out_dir / "report.html"
        report.write_text(render_html(run, METRICS), encoding="utf-8")
    except OSError as e:
        raise UsageError(f"{out_dir}: cannot write the results ({e.strerror})") from None
    return results, report
