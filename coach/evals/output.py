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


# -- the metrics in the order a maintainer reads them ----------------------------------------------
SPLITS = (("_test", "held out"), ("_dev", "tuned on"))


def _family(name: str) -> str:
    for suffix, _ in SPLITS:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def data_label(name: str, names: list[str]) -> str:
    """What a figure was measured on: "held out" (never tuned on), "tuned on", or "in-sample" for the plain
    figure of a family that has a held-out one (lens_agreement beside lens_agreement_test)."""
    for suffix, label in SPLITS:
        if name.endswith(suffix):
            return label
    return "in-sample" if f"{name}_test" in names else ""


def ordered_metrics(names: list[str]) -> list[str]:
    """``names`` in METRICS order, each family together with its held-out figure first (the headline), then
    the tuned-on one, then the in-sample one: lens_agreement_test, lens_agreement_dev, lens_agreement."""
    out: list[str] = []
    for name in names:
        fam = _family(name)
        if name in out:
            continue
        members = [m for m in (f"{fam}_test", f"{fam}_dev", fam) if m in names]
        out += members if len(members) > 1 else [name]
    return out


# -- the change since the previous run in the same --out folder ---------------------------------------
def previous_metrics(out_dir: Path | None) -> dict[str, dict[str, float | None]]:
    """The metrics per engine of the results.json an earlier run left in ``out_dir`` ({} when none, or when
    it cannot be read: a first run, or a file from another tool, shows no change rather than failing)."""
    import json

    if out_dir is None:
        return {}
    try:
        data = json.loads((Path(out_dir) / "results.json").read_text(encoding="utf-8"))
        if "models" in data:
            return {m: dict(v.get("metrics") or {}) for m, v in data["models"].items()}
        return {str(data["model"]): dict(data.get("metrics") or {})}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _change(value: float | None, before: float | None, metric: str) -> str:
    if value is None or before is None or not isinstance(before, (int, float)):
        return ""
    d = value - before
    if abs(d) < 0.0005:
        return " (=)"
    return f" ({d:+.3f}{'s' if metric == 'latency_p50_s' else ''})"


# -- the case-level misses, said as what they are ---------------------------------------------------
def _counted_by(failure: str, case) -> list[str]:
    """The metrics a case-level miss counts against (its gate is theirs, never the case's own)."""
    kind, split = failure.split(":", 1)[0], case.split
    if kind == "leaning":
        if case.kind == "coaching":
            return [f"coaching_lens_{split}"]
        return [f"lens_agreement_{split}"] if split else ["lens_agreement"]
    if kind == "retrieval":
        return [f"needed_passage_recall_{split}"] if "needed passage" in failure and split else ["retrieval_recall", "mrr"]
    if kind == "scope":
        return ["scope_accuracy"] + (["situation_scope"] if split and "expected in scope" in failure else [])
    return {"engagement": ["engagement", "facts_engaged"], "lifted fragment": ["lifted_fragments"],
            "citations": ["citation_validity"], "quotes": ["quote_fidelity"], "safety": ["safety"]}.get(kind, [])


def _case_misses(run: EvalRun) -> list[str]:
    """The cases below their own expectation, grouped by the metric that counts them, with that metric's value
    against its threshold: within it, such misses are what the threshold allows for (a held-out lens at 0.80
    means one situation in five leans otherwise); under it, they are why the gate failed."""
    missed = [c for c in run.cases if not c.passed]
    if not missed:
        return []
    many = len(run.models) > 1
    by_model = {r.model: r for r in run.models}
    groups: dict[tuple[str, str], list[str]] = {}
    loose: list[str] = []
    for c in missed:
        tag = f" [{c.model}]" if many else ""
        for f in c.failures:
            if f.startswith("error:"):
                continue  # an engine that could not answer is said above, once
            metrics = [m for m in _counted_by(f, c) if m in by_model[c.model].metrics] or [""]
            line = f"    {c.id}{tag}: {f}"
            (groups.setdefault((metrics[0], c.model), []) if metrics[0] else loose).append(line)
    out = ["", f"cases below their own expectation ({len(missed)} of {len(run.cases)}; they gate only through "
               "the metric that counts them):"]
    names = ordered_metrics(list(dict.fromkeys(m for m, _ in groups)))
    for name in names:
        for model in [r.model for r in run.models]:
            lines = groups.get((name, model))
            if not lines:
                continue
            value, t = by_model[model].metrics.get(name), run.thresholds.get(name)
            label = data_label(name, list(by_model[model].metrics))
            about = f"{name}{f' ({label})' if label else ''} {_fmt(value, name)}" + (f" [{model}]" if many else "")
            if t is None:
                verdict = "no threshold"
            elif t.ok(value):
                verdict = (f"meets {t.op} {t.value:g}: expected, the threshold allows for "
                           f"{'misses like these' if t.direction == 'min' else 'these'}")
            else:
                verdict = f"FAILS {t.op} {t.value:g}: these are why"
            out.append(f"  {about} ({verdict}), {len(lines)}:")
            out += lines
    if loose:
        out.append(f"  counted by no metric, {len(loose)}:")
        out += loose
    return out


def format_table(run: EvalRun, previous: dict[str, dict[str, float | None]] | None = None) -> str:
    """Plain aligned columns: metric, what it was measured on, threshold, then one column per engine (failures
    marked; with ``previous``, an earlier run's metrics per engine, the change since then in brackets)."""
    present = [m for m in METRICS if any(m in r.metrics for r in run.models)]
    names = ordered_metrics(present)
    previous = previous or {}
    header = ["metric", "data", "threshold"] + [r.model for r in run.models]
    rows = [header]
    for name in names:
        t = run.thresholds.get(name)
        row = [name, data_label(name, present), f"{t.op} {t.value:g}" if t else "-"]
        for r in run.models:
            v = r.metrics.get(name)
            cell = _fmt(v, name)
            if r.model in previous:
                cell += _change(v, previous[r.model].get(name), name) or (" (new)" if v is not None else "")
            if r.verdicts.get(name) is False:
                cell += " FAIL"
            row.append(cell)
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    n_def = len(run.defects)
    out = [f"coach eval: {len(run.suite.cases)} cases (k={run.suite.k}), {n_def} seeded-defect answers, "
           f"{run.duration_s:.1f}s  [{run.suite.path}]", ""]
    if any(r.model in previous for r in run.models):
        out += ["(+x): change since the last run (its results.json in the --out folder); (=) unchanged", ""]
    out += lines
    for r in run.models:  # an engine that could not answer is said first, in one line, not only case by case
        errors = [c.error for c in run.cases if c.model == r.model and c.error]
        if errors:
            out += ["", f"ENGINE FAILED: {r.model} could not answer {len(errors)} of "
                        f"{sum(c.model == r.model for c in run.cases)} cases: {errors[0]}"]
    out += _case_misses(run)
    missed = [d for d in run.defects if not d.passed]
    if missed:
        out += ["", "verifier misses:"]
        for d in missed:
            what = f"missed {', '.join(d.missed)}" if d.missed else "false alarm on a clean answer"
            out.append(f"  {d.id}: {what}")
    out.append("")
    below = sum(not c.passed for c in run.cases)
    within = f" ({below} cases below their own expectation, within those thresholds: listed above)" if below else ""
    if not run.thresholds:
        out.append(f"PASSED: but {run.suite.path} sets no thresholds, so nothing was gated")
    elif run.passed:
        out.append("PASSED: every metric meets its threshold" + within)
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
        # the report's table in the terminal's order: each family's held-out figure first
        report.write_text(render_html(run, {m: METRICS[m] for m in ordered_metrics(list(METRICS))}), encoding="utf-8")
    except OSError as e:
        raise UsageError(f"{out_dir}: cannot write the results ({e.strerror})") from None
    return results, report
