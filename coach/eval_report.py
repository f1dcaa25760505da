"""The eval's HTML report: one self-contained file a maintainer can open, attach to a PR or archive.

Self-contained on purpose: no script, no stylesheet or font from anywhere, charts as inline SVG, so
the file reads the same offline, in a CI artifact viewer or years later. Every piece of text that
came from a case, an answer or a model is HTML-escaped: the suite deliberately contains hostile
markup (``<script>``, ``onerror=``) and the report must show it, never run it.
"""
from __future__ import annotations

import re

from .evals import METRICS, EvalRun
from .report import esc, svg_bar_chart

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#1d232a;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dee4;padding-bottom:4px}
.meta{color:#57606a;margin:0 0 12px}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:600;color:#fff}
.badge.pass{background:#1a7f37}.badge.fail{background:#cf222e}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border-bottom:1px solid #eaeef2;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.bad{color:#cf222e;font-weight:600}td.good{color:#1a7f37}
.charts{display:flex;flex-wrap:wrap;gap:12px}.mchart{border:1px solid #eaeef2;border-radius:6px;padding:6px 8px}
.mchart h3{font-size:13px;margin:0 0 2px}.mchart p{font-size:11px;color:#57606a;margin:0 0 4px;max-width:420px}
details{margin:2px 0}summary{cursor:pointer}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:8px;border-radius:4px;margin:4px 0}
table.cases td:nth-child(2){width:26%}
ul.failures{margin:2px 0;padding-left:18px;color:#cf222e}
"""


_e = esc  # one escaper for every report


def _fmt(value: float | None, metric: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f} s" if metric == "latency_p50_s" else f"{value:.3f}"


def _meets(value: float, threshold: float | None, direction: str) -> bool:
    if threshold is None:
        return True
    return value >= threshold - 1e-9 if direction == "min" else value <= threshold + 1e-9


def bar_chart_svg(title: str, bars: list[tuple[str, float | None]], threshold: float | None = None,
                  direction: str = "min", scale_max: float = 1.0, unit: str = "") -> str:
    """The batch report's bar chart (``report.svg_bar_chart``), one bar per engine, plus a dashed
    threshold line. Bars that miss the threshold are red, the others green.

    The helper has no threshold line of its own, so the line's x is taken from the helper's own
    geometry in its output (the bars' left edge and the width it gave a known value), not from a
    copy of its layout constants.
    """
    labels = [label if value is not None else f"{label} (n/a)" for label, value in bars]
    values = [float(value) if value is not None else 0.0 for _, value in bars]
    top = max([scale_max] + values + ([threshold] if threshold is not None else [])) or 1.0
    colors = {lab: ("#9e9e9e" if v is None else "#2da44e" if _meets(v, threshold, direction) else "#cf222e")
              for lab, (_, v) in zip(labels, bars)}
    svg = svg_bar_chart(list(zip(labels, values)), title=title, width=440, colors=colors, max_value=top,
                        value_format=lambda v: f"{v:.3f}{unit}")
    if threshold is None:
        return svg
    rects = [(float(x), float(w)) for x, w in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)]
    left = rects[0][0] if rects else 0.0
    scale = next((w / v for (_, w), v in zip(rects, values) if v > 0 and w > 0), None)
    if scale is None:  # every bar is zero: the helper's bars span width - left - 60 (its value margin)
        scale = (440 - left - 60) / top
    x = left + threshold * scale
    height = re.search(r'height="([\d.]+)"', svg)
    h = float(height.group(1)) if height else 30.0
    op = "≥" if direction == "min" else "≤"
    line = (f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{h:.0f}" stroke="#1d232a" stroke-width="1.5" '
            f'stroke-dasharray="4 3"><title>threshold {op} {threshold:g}{_e(unit)}</title></line>')
    return svg.replace("</svg>", line + "</svg>", 1)


def _metrics_table(run: EvalRun) -> str:
    names = [m for m in METRICS if any(m in r.metrics for r in run.models)]
    head = "".join(f"<th>{_e(r.model)}</th>" for r in run.models)
    rows = []
    for name in names:
        t = run.thresholds.get(name)
        cells = []
        for r in run.models:
            verdict = r.verdicts.get(name)
            cls = "num bad" if verdict is False else ("num good" if verdict else "num")
            cells.append(f'<td class="{cls}">{_e(_fmt(r.metrics.get(name), name))}</td>')
        rows.append(f"<tr><td><b>{_e(name)}</b><br><small>{_e(METRICS[name][1])}</small></td>"
                    f'<td class="num">{_e(f"{t.op} {t.value:g}" if t else "–")}</td>{"".join(cells)}</tr>')
    return f"<table><tr><th>metric</th><th>threshold</th>{head}</tr>{''.join(rows)}</table>"


def _charts(run: EvalRun) -> str:
    out = []
    for name, (direction, what) in METRICS.items():
        if not any(name in r.metrics for r in run.models):
            continue
        t = run.thresholds.get(name)
        latency = name == "latency_p50_s"
        svg = bar_chart_svg(name, [(r.model, r.metrics.get(name)) for r in run.models],
                            t.value if t else None, t.direction if t else direction,
                            scale_max=0.0 if latency else 1.0, unit=" s" if latency else "")
        limit = f" Threshold: {t.op} {t.value:g}{' s' if latency else ''}." if t else " No threshold."
        out.append(f'<div class="mchart"><h3>{_e(name)}</h3><p>{_e(what + "." + limit)}</p>{svg}</div>')
    return f'<div class="charts">{"".join(out)}</div>'


def _case_rows(run: EvalRun) -> str:
    many = len(run.models) > 1
    rows = []
    for c in run.cases:  # failing first (run_eval sorts them)
        status = '<span class="badge pass">pass</span>' if c.passed else '<span class="badge fail">fail</span>'
        fails = "".join(f"<li>{_e(f)}</li>" for f in c.failures)
        retrieved = ", ".join(f"{r['doc_id']} ({r['score']:.2f})" for r in c.retrieved)
        scope = "in scope" if c.in_scope else "out of scope"
        detail = (
            f"<details><summary>scenario, answer, sources</summary>"
            f"<p><b>Scenario</b></p><pre>{_e(c.scenario)}</pre>"
            f"<p><b>Answer</b> ({_e(scope)}; leaning {_e(c.leaning or '–')}; on-corpus "
            f"{_e('n/a' if c.on_corpus is None else f'{c.on_corpus:.2f}')}; {c.latency_s:.3f} s)</p><pre>{_e(c.answer)}</pre>"
            f"<p><b>Retrieved</b>: {_e(retrieved or 'nothing')}</p>"
            + (f"<p><b>Judge</b>: {_e(c.judge)}</p>" if c.judge else "")
            + "</details>"
        )
        model_cell = f"<td>{_e(c.model)}</td>" if many else ""
        rows.append(f"<tr><td>{status}</td><td><b>{_e(c.id)}</b><br><small>{_e(c.kind)}</small></td>{model_cell}"
                    f"<td>{'<ul class=failures>' + fails + '</ul>' if fails else ''}{detail}</td></tr>")
    head = "<th>model</th>" if many else ""
    return f"<table class=cases><tr><th></th><th>case</th>{head}<th>what failed / details</th></tr>{''.join(rows)}</table>"


def _defect_rows(run: EvalRun) -> str:
    if not run.defects:
        return "<p>No seeded-defect file was run.</p>"
    rows = []
    for d in sorted(run.defects, key=lambda d: d.passed):
        status = '<span class="badge pass">ok</span>' if d.passed else '<span class="badge fail">miss</span>'
        expected = ", ".join(d.expected) or "clean control"
        flags = []
        if d.flags.get("invalid_citations"):
            flags.append("invalid citations: " + ", ".join(d.flags["invalid_citations"]))
        for q in d.flags.get("unverified_quotes", []):
            flags.append(f"unverified quote “{q.get('text', '')}”: {q.get('reason', '')}")
        for s in d.flags.get("unsupported_sentences", []):
            flags.append(f"unsupported: {s.get('text', '')} ({s.get('reason', '')})")
        note = ("missed: " + ", ".join(d.missed)) if d.missed else ("false alarm" if d.false_alarm else "")
        rows.append(f"<tr><td>{status}</td><td>{_e(d.id)}</td><td>{_e(expected)}</td><td class=bad>{_e(note)}</td>"
                    f"<td><small>{'<br>'.join(_e(f) for f in flags) or '–'}</small></td></tr>")
    return ("<table><tr><th></th><th>item</th><th>seeded</th><th>verdict</th><th>what the verifier flagged</th></tr>"
            + "".join(rows) + "</table>")


def render_html(run: EvalRun) -> str:
    verdict = '<span class="badge pass">PASSED</span>' if run.passed else '<span class="badge fail">FAILED</span>'
    failing = [f"{name} ({r.model})" if len(run.models) > 1 else name for r in run.models for name in r.failing]
    n_fail = sum(not c.passed for c in run.cases)
    meta = (f"{len(run.suite.cases)} cases, k={run.suite.k}, engines: {', '.join(r.model for r in run.models)}; "
            f"{len(run.defects)} seeded-defect answers; judge: {run.judge_model or 'none'}; {run.duration_s:.1f} s; "
            f"cases file: {run.suite.path}")
    return "".join([
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>coach eval: {'passed' if run.passed else 'failed'}</title><style>{_CSS}</style></head><body>",
        f"<h1>coach eval {verdict}</h1><p class=meta>{_e(meta)}</p>",
        (f"<p class=bad><b>Under threshold:</b> {_e(', '.join(failing))}</p>" if failing else ""),
        "<h2 id=metrics>Metrics</h2>", _metrics_table(run), _charts(run),
        f"<h2 id=cases>Cases ({n_fail} failing of {len(run.cases)}; failing first)</h2>", _case_rows(run),
        "<h2 id=defects>The verifier on seeded defects</h2>", _defect_rows(run),
        "</body></html>\n",
    ])
