"""A batch run as one self-contained HTML file a coach can open, print or send.

Why a single static file: the coach shares it with people who have no Python and may be offline,
and it may be opened from an e-mail attachment, so it fetches nothing (inline CSS, charts as inline
SVG, no script, no external link or font) and everything in it that came from a user or a model is
HTML-escaped. Cases that were held back for personal data show no text at all, only the reason.

The small builders below (``esc``, ``svg_bar_chart``, ``svg_columns``, ``svg_stacked_bar``,
``svg_balance_bars``, ``histogram``, ``markdown_html``, ``html_page``) are plain functions on plain
values so other reports (the eval command's) can reuse them.
"""
from __future__ import annotations

import hashlib
import html
import re
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from . import pii

STATUS_COLORS = {"ok": "#2e7d32", "error": "#c62828", "skipped": "#b26a00"}
LEAN_COLORS = {"management": "#3b6ea5", "leadership": "#8e44ad", "both": "#5f8f6f", "out of scope": "#9e9e9e"}
MANAGEMENT_COLOR = "#3b6ea5"
LEADERSHIP_COLOR = "#8e44ad"
BAR_COLOR = "#3b6ea5"
LENS_AXES_PER_CASE = 5
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


# ------------------------------------------------------------------------------------------------
# Small builders
# ------------------------------------------------------------------------------------------------
def esc(value: Any) -> str:
    """HTML-escape anything (None becomes '')."""
    return html.escape("" if value is None else str(value), quote=True)


def _fit(label: Any, width_px: float, char_px: float = 6.6) -> str:
    """A label cut with an ellipsis to fit ``width_px`` (SVG text does not wrap or clip by itself)."""
    text = str(label)
    most = max(4, int(width_px / char_px))
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def _num(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}"


def svg_bar_chart(items: Sequence[tuple[str, float]], *, title: str = "", width: int = 520,
                  colors: Sequence[str] | dict[str, str] | None = None, value_format=_num,
                  max_value: float | None = None) -> str:
    """Horizontal bars with a label on the left and the value at the bar's end."""
    if not items:
        return ""
    row, label_w, pad = 24, min(220, max(60, 8 * max(len(str(k)) for k, _ in items))), 6
    height = row * len(items) + pad * 2
    top = max([max_value or 0.0] + [float(v) for _, v in items]) or 1.0
    bar_w = width - label_w - 60
    parts = [f'<svg class="chart" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" aria-label="{esc(title)}"><title>{esc(title)}</title>']
    for i, (label, value) in enumerate(items):
        y = pad + i * row
        w = max(0.0, float(value)) / top * bar_w
        color = (colors.get(label, BAR_COLOR) if isinstance(colors, dict)
                 else colors[i % len(colors)] if colors else BAR_COLOR)
        parts.append(f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12">'
                     f'<title>{esc(label)}</title>{esc(_fit(label, label_w - 8))}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" rx="2" fill="{esc(color)}"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 16}" font-size="12">{esc(value_format(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_columns(items: Sequence[tuple[str, float]], *, title: str = "", width: int = 520, height: int = 170,
                color: str = BAR_COLOR) -> str:
    """Vertical columns (a histogram), labels under each column, counts above."""
    if not items:
        return ""
    base, top_pad, left = height - 22, 16, 6
    col = (width - 2 * left) / len(items)
    top = max(float(v) for _, v in items) or 1.0
    parts = [f'<svg class="chart" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" aria-label="{esc(title)}"><title>{esc(title)}</title>',
             f'<line x1="{left}" y1="{base}" x2="{width - left}" y2="{base}" stroke="#999"/>']
    for i, (label, value) in enumerate(items):
        h = float(value) / top * (base - top_pad)
        x = left + i * col
        parts.append(f'<rect x="{x + 2:.1f}" y="{base - h:.1f}" width="{col - 4:.1f}" height="{h:.1f}" fill="{esc(color)}"/>')
        if value:
            parts.append(f'<text x="{x + col / 2:.1f}" y="{base - h - 3:.1f}" text-anchor="middle" font-size="11">'
                         f'{esc(_num(value))}</text>')
        parts.append(f'<text x="{x + col / 2:.1f}" y="{height - 6}" text-anchor="middle" font-size="10">'
                     f'{esc(_fit(label, col, 5.6))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_stacked_bar(parts: Sequence[tuple[str, float, str]], *, title: str = "", width: int = 520) -> str:
    """One bar split into (label, value, color) parts, with a legend below."""
    total = sum(max(0.0, float(v)) for _, v, _ in parts)
    if not total:
        return ""
    height = 58
    out = [f'<svg class="chart" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" aria-label="{esc(title)}"><title>{esc(title)}</title>']
    x = 0.0
    for label, value, color in parts:
        w = max(0.0, float(value)) / total * width
        if w:
            out.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="24" fill="{esc(color)}"><title>'
                       f'{esc(label)}: {esc(_num(value))}</title></rect>')
        x += w
    lx = 0
    for label, value, color in parts:
        out.append(f'<rect x="{lx}" y="36" width="12" height="12" fill="{esc(color)}"/>')
        text = f"{label} {_num(value)}"
        out.append(f'<text x="{lx + 16}" y="46" font-size="12">{esc(text)}</text>')
        lx += 28 + 7 * len(text)
    out.append("</svg>")
    return "".join(out)


def svg_balance_bars(items: Sequence[tuple[str, float, float]], *, title: str = "", width: int = 520,
                     left_label: str = "management", right_label: str = "leadership",
                     left_color: str = MANAGEMENT_COLOR, right_color: str = LEADERSHIP_COLOR) -> str:
    """One 100% bar per (label, left share, right share): how far each row leans one way or the other."""
    if not items:
        return ""
    row, label_w = 22, min(230, max(80, 7 * max(len(str(k)) for k, _, _ in items)))
    bar_w = width - label_w - 10
    height = row * len(items) + 22
    out = [f'<svg class="chart" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" aria-label="{esc(title)}"><title>{esc(title)}</title>',
           f'<text x="{label_w}" y="12" font-size="11" fill="{esc(left_color)}">← {esc(left_label)}</text>',
           f'<text x="{width - 10}" y="12" font-size="11" text-anchor="end" fill="{esc(right_color)}">'
           f'{esc(right_label)} →</text>']
    for i, (label, left, right) in enumerate(items):
        y = 18 + i * row
        tot = (float(left) + float(right)) or 1.0
        lw = float(left) / tot * bar_w
        out.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">'
                   f'<title>{esc(label)}</title>{esc(_fit(label, label_w - 8))}</text>')
        out.append(f'<rect x="{label_w}" y="{y + 3}" width="{lw:.1f}" height="{row - 7}" fill="{esc(left_color)}"/>')
        out.append(f'<rect x="{label_w + lw:.1f}" y="{y + 3}" width="{bar_w - lw:.1f}" height="{row - 7}" '
                   f'fill="{esc(right_color)}"/>')
        out.append(f'<line x1="{label_w + bar_w / 2:.1f}" y1="{y + 1}" x2="{label_w + bar_w / 2:.1f}" y2="{y + row - 2}" '
                   f'stroke="#fff" stroke-dasharray="2,2"/>')
    out.append("</svg>")
    return "".join(out)


def histogram(values: Iterable[float], bins: int = 10, lo: float = 0.0, hi: float = 1.0,
              percent_labels: bool = True) -> list[tuple[str, int]]:
    """Counts of ``values`` in ``bins`` equal bins over [lo, hi] (the top bin includes hi)."""
    counts = [0] * bins
    width = (hi - lo) / bins
    for v in values:
        i = int((float(v) - lo) / width) if width else 0
        counts[min(bins - 1, max(0, i))] += 1
    labels = []
    for i in range(bins):
        a, b = lo + i * width, lo + (i + 1) * width
        labels.append(f"{a * 100:.0f}–{b * 100:.0f}%" if percent_labels else f"{a:g}–{b:g}")
    return list(zip(labels, counts))


_CITE = re.compile(r"\[(S\d+(?:\s*[,;]\s*S?\d+)*)\]")
_FLAG = re.compile(r"(⚠[^\n\[]*?)(?=(?:\s*\[|$|\n|\s*⚠|\s*✓))")
_OK = re.compile(r"(✓ \*?verified in the corpus\*?)")


def _inline(text: str) -> str:
    """Escape a line, then apply bold, italics, code and citation styling to the escaped text."""
    t = esc(text)
    t = re.sub(r"`([^`]+)`", r"<code>\1</code>", t)
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    t = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", t)
    t = re.sub(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])", r"<em>\1</em>", t)
    t = _CITE.sub(r'<span class="cite">[\1]</span>', t)
    t = t.replace("⚠", '<span class="warn">⚠</span>').replace("✓", '<span class="okmark">✓</span>')
    return t


def markdown_html(md: str | None) -> str:
    """A small, safe Markdown subset (paragraphs, headings, lists, quotes, emphasis): everything escaped."""
    out: list[str] = []
    para: list[str] = []
    list_kind: str | None = None

    def flush_para() -> None:
        if para:
            out.append("<p>" + "<br>".join(_inline(x) for x in para) + "</p>")
            para.clear()

    def close_list() -> None:
        nonlocal list_kind
        if list_kind:
            out.append(f"</{list_kind}>")
            list_kind = None

    for raw in (md or "").splitlines():
        line = raw.rstrip()
        if not line.strip():
            flush_para()
            close_list()
            continue
        m_head = re.match(r"^\s{0,3}(#{1,6})\s+(.*)$", line)
        m_ul = re.match(r"^\s*[-*+]\s+(.*)$", line)
        m_ol = re.match(r"^\s*\d+[.)]\s+(.*)$", line)
        m_q = re.match(r"^\s*>\s?(.*)$", line)
        if m_head:
            flush_para()
            close_list()
            level = min(6, len(m_head.group(1)) + 3)  # answers' headings sit under the case heading
            out.append(f"<h{level}>{_inline(m_head.group(2))}</h{level}>")
        elif m_ul or m_ol:
            flush_para()
            kind = "ul" if m_ul else "ol"
            if list_kind != kind:
                close_list()
                out.append(f"<{kind}>")
                list_kind = kind
            out.append(f"<li>{_inline((m_ul or m_ol).group(1))}</li>")
        elif m_q:
            flush_para()
            close_list()
            out.append(f"<blockquote>{_inline(m_q.group(1))}</blockquote>")
        else:
            close_list()
            para.append(line.strip())
    flush_para()
    close_list()
    return "\n".join(out)


CSS = f"""
:root {{ color-scheme: light; }}
body {{ font-family: {FONT}; color: #1d1d1f; max-width: 980px; margin: 24px auto; padding: 0 20px;
       line-height: 1.5; font-size: 15px; overflow-wrap: break-word; }}
h1 {{ font-size: 26px; margin-bottom: 4px; }} h2 {{ font-size: 20px; border-bottom: 1px solid #ddd;
       padding-bottom: 4px; margin-top: 36px; }} h3 {{ font-size: 17px; margin: 0 0 6px; }}
h4 {{ font-size: 14px; margin: 14px 0 4px; text-transform: uppercase; letter-spacing: .04em; color: #555; }}
.sub {{ color: #666; margin-top: 0; }}
.cards {{ display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }}
.card {{ border: 1px solid #ddd; border-radius: 8px; padding: 8px 14px; min-width: 110px; }}
.card b {{ display: block; font-size: 22px; }} .card span {{ color: #666; font-size: 12px; }}
.charts {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(min(440px, 100%), 1fr)); gap: 18px; }}
.charts figure {{ margin: 0; }} figcaption {{ font-weight: 600; font-size: 13px; margin-bottom: 4px; }}
svg.chart {{ max-width: 100%; height: auto; font-family: {FONT}; }} svg.chart text {{ fill: #333; }}
table {{ border-collapse: collapse; width: 100%; font-size: 13px; }}
th, td {{ text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; vertical-align: top; }}
th {{ background: #f6f6f6; }}
.badge {{ display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px;
         font-weight: 600; vertical-align: middle; }}
.badge.ok {{ background: {STATUS_COLORS['ok']}; }} .badge.error {{ background: {STATUS_COLORS['error']}; }}
.badge.skipped {{ background: {STATUS_COLORS['skipped']}; }}
.case {{ border: 1px solid #ddd; border-radius: 10px; padding: 14px 18px; margin: 18px 0;
        break-inside: avoid-page; }}
.meta {{ color: #555; font-size: 13px; }}
.scenario {{ white-space: pre-wrap; background: #f7f7f9; border-left: 4px solid #bbb; margin: 0;
            padding: 8px 12px; }}
.answer {{ background: #fff; }} .answer blockquote {{ border-left: 3px solid #ccc; margin: 4px 0; padding-left: 10px; }}
.flags {{ margin: 8px 0; padding: 0; list-style: none; }}
.flags li {{ background: #fff4e5; border: 1px solid #f0c48a; border-radius: 6px; padding: 3px 8px; margin: 3px 0;
            font-size: 13px; }}
.flags li.good {{ background: #edf7ee; border-color: #a5d6a7; }}
.reason {{ background: #fdecea; border: 1px solid #f5b7b1; border-radius: 6px; padding: 6px 10px; }}
.cite {{ color: #3b6ea5; font-size: 12px; font-weight: 600; }} .warn {{ color: #c62828; }} .okmark {{ color: #2e7d32; }}
.sources li {{ margin-bottom: 6px; }} .src-text {{ color: #444; font-size: 13px; }}
.fields {{ font-size: 12px; color: #555; }} code {{ background: #f1f1f1; padding: 0 3px; border-radius: 3px; }}
.passage {{ border-top: 1px solid #eee; padding: 8px 0; font-size: 13px; }}
.passage p {{ white-space: pre-wrap; margin: 4px 0; }}
a {{ color: #3b6ea5; }}
td.case-id, code, .scenario, .src-text, .passage p {{ overflow-wrap: anywhere; }} .badge {{ white-space: nowrap; }}
/* a phone (390 px): nothing may be wider than the screen, so nothing scrolls sideways */
@media (max-width: 640px) {{
  body {{ margin: 12px auto; padding: 0 10px; font-size: 14px; }}
  h1 {{ font-size: 21px; }} h2 {{ font-size: 18px; }}
  .case {{ padding: 10px 10px; }} .card {{ min-width: 80px; padding: 6px 10px; }}
  table {{ font-size: 12px; }} th, td {{ padding: 3px 4px; }}
  .index-time {{ display: none; }}
}}
@media print {{ body {{ max-width: none; margin: 0; font-size: 11pt; }} a {{ color: inherit; text-decoration: none; }}
               .case {{ page-break-inside: avoid; }} h2 {{ page-break-after: avoid; }} }}
"""


def html_page(title: str, body: str, css: str = CSS) -> str:
    """A complete HTML document with inline CSS and nothing fetched from anywhere."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"referrer\" content=\"no-referrer\">\n"
            f"<title>{esc(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


# ------------------------------------------------------------------------------------------------
# The batch report
# ------------------------------------------------------------------------------------------------
def _pct(v: float | None) -> str:
    return "—" if v is None else f"{float(v) * 100:.0f}%"


def _slug(n: int) -> str:
    return f"case-{n}"


def _copied(fb: dict, rec: dict | None = None) -> bool:
    """Built by the built-in engine from the articles' own sentences: its on-corpus share is 100% by
    construction, so it is shown as "copied", never as a score next to a model's tested answers."""
    from .render import copies_the_corpus

    return copies_the_corpus(fb.get("model") or (rec or {}).get("model"))


def _on_corpus_text(fb: dict) -> str:
    if not fb or not fb.get("in_scope", True):
        return "—"
    if _copied(fb):
        return "copied"  # the summary explains: the built-in engine's sentences come from the articles
    return _pct((fb.get("checks") or {}).get("on_corpus"))


def _leaning(fb: dict) -> str:
    if not fb.get("in_scope", True):
        return "out of scope"
    return (fb.get("lens") or {}).get("leaning") or "both"


def case_flags(rec: dict, allow_pii: bool = False) -> list[str]:
    """Plain-language flags for one result: what a coach should look at before sharing it."""
    flags: list[str] = []
    fb = rec.get("feedback") or {}
    checks = fb.get("checks") or {}
    if fb and not fb.get("in_scope", True):
        flags.append("out of scope: the coach declined to answer")
    bad = checks.get("invalid_citations") or []
    if bad:
        flags.append(f"{len(bad)} citation(s) to sources that were not given: {', '.join(map(str, bad))}")
    uq = checks.get("unverified_quotes") or []
    if uq:
        flags.append(f"{len(uq)} quote(s) not found in the corpus as attributed")
    us = checks.get("unsupported_sentences") or []
    if us:
        flags.append(f"{len(us)} sentence(s) not supported by the cited passages")
    info = rec.get("pii") or {}
    if info.get("found"):
        what = pii.describe(info["found"])
        action = info.get("action")
        here = ("shown as written in this report (--allow-pii)" if allow_pii
                else "shown as placeholders such as [EMAIL] in this report")
        flags.append({"redacted": f"personal data replaced with placeholders before processing: {what}",
                      "allowed": f"personal data sent as it was (--allow-pii): {what}; {here}",
                      "local": f"personal data found: {what}; the engine ran on this machine; {here}",
                      "held": f"personal data found, case not sent: {what}"}.get(action, f"personal data: {what}; {here}"))
    return flags


def _summary(records: Sequence[dict]) -> dict:
    status = Counter(r.get("status") for r in records)
    oks = [r.get("feedback") or {} for r in records if r.get("status") == "ok" and r.get("feedback")]
    in_scope = [fb for fb in oks if fb.get("in_scope", True)]
    # only answers a model wrote were really tested; the built-in engine's are copies (100% by construction)
    written = [fb for fb in in_scope if not _copied(fb)]
    on_corpus = [float((fb.get("checks") or {}).get("on_corpus", 0.0)) for fb in written]
    lean = Counter(_leaning(fb) for fb in oks)
    dims: dict[str, list[tuple[float, float]]] = {}
    for fb in in_scope:
        for d in (fb.get("lens") or {}).get("dimensions") or []:
            dims.setdefault(str(d.get("name")), []).append((float(d.get("management") or 0), float(d.get("leadership") or 0)))
    tokens = {"prompt": 0, "completion": 0, "total": 0}
    cost, cost_known, elapsed = 0.0, False, 0.0
    for r in records:
        u = r.get("usage") or ((r.get("feedback") or {}).get("usage") or {})
        tokens["prompt"] += int(u.get("prompt_tokens") or 0)
        tokens["completion"] += int(u.get("completion_tokens") or 0)
        tokens["total"] += int(u.get("total_tokens") or (int(u.get("prompt_tokens") or 0) + int(u.get("completion_tokens") or 0)))
        if u.get("cost_usd") is not None:
            cost += float(u["cost_usd"])
            cost_known = True
        elapsed += float(r.get("elapsed_s") or 0)
    flagged = sum(1 for r in records if r.get("status") == "ok" and (r.get("feedback") or {}).get("in_scope", True)
                  and case_flags(r))
    return {"status": status, "oks": oks, "on_corpus": on_corpus, "lean": lean, "dims": dims, "tokens": tokens,
            "cost": cost if cost_known else None, "elapsed": elapsed, "flagged": flagged,
            "answered": len(in_scope), "out_of_scope": len(oks) - len(in_scope),
            "copied": len(in_scope) - len(written)}


def _summary_html(records: Sequence[dict], s: dict, not_run: Sequence[str]) -> str:
    st = s["status"]
    total = len(records) + len(not_run)
    mean = sum(s["on_corpus"]) / len(s["on_corpus"]) if s["on_corpus"] else None
    cost = "not known" if s["cost"] is None else f"${s['cost']:.4f}"
    # "ok" in results.jsonl covers declined cases too; a coach reads it as "answered", so they are apart here
    cards = [("cases", total), ("answered", s["answered"])]
    if s["out_of_scope"]:
        cards.append(("out of scope (declined)", s["out_of_scope"]))
    cards += [("error", st.get("error", 0)), ("skipped", st.get("skipped", 0))]
    if not_run:
        cards.append(("not run yet", len(not_run)))
    if s["on_corpus"]:
        cards.append(("mean on-corpus (model answers)", _pct(mean)))
    cards.append(("answers with flags", s["flagged"]))
    used_tokens = s["tokens"]["total"] > 0 or s["cost"] is not None
    if used_tokens:  # the built-in and local engines use no paid tokens: no tiles that would read as 0 cost
        cards += [("tokens", f"{s['tokens']['total']:,}"), ("cost", cost)]
    out = ['<section id="summary"><h2>Summary</h2><div class="cards">']
    for label, value in cards:
        out.append(f'<div class="card"><b>{esc(value)}</b><span>{esc(label)}</span></div>')
    out.append("</div>")
    if s["out_of_scope"]:
        out.append(f'<p class="meta">{s["out_of_scope"]} case(s) were not about managing or leading people: the '
                   'coach declined them and they are not in the answer statistics.</p>')
    if s["copied"]:
        out.append(f'<p class="meta">{s["copied"]} answer(s) came from the built-in engine, which picks sentences '
                   'from the articles: they match their passages by construction, so they have no on-corpus score. '
                   'That shows where each point comes from, not that the advice fits the situation.</p>')
    if used_tokens:
        out.append(f'<p class="meta">Tokens: {s["tokens"]["prompt"]:,} prompt, {s["tokens"]["completion"]:,} completion. '
                   f'Cost: {esc(cost)} (as reported by the engine; unknown for local engines and unlisted models).</p>')
    else:
        out.append('<p class="meta">No tokens or cost: no paid model was used (the built-in engine and local '
                   'models run on this machine).</p>')
    charts = []
    status_parts = [("answered", s["answered"], STATUS_COLORS["ok"])]
    if s["out_of_scope"]:
        status_parts.append(("out of scope", s["out_of_scope"], LEAN_COLORS["out of scope"]))
    status_parts += [(k, st.get(k, 0), STATUS_COLORS[k]) for k in ("error", "skipped")]
    if not_run:
        status_parts.append(("not run", len(not_run), "#bdbdbd"))
    charts.append(("Cases by status", svg_stacked_bar(status_parts, title="Cases by status")))
    if s["on_corpus"]:
        charts.append(("On-corpus score of the model-written answers (share of their sentences supported by the passages)",
                       svg_columns(histogram(s["on_corpus"]), title="On-corpus distribution")))
    if s["lean"]:
        order = ["management", "leadership", "both", "out of scope"]
        items = [(k, s["lean"].get(k, 0)) for k in order if s["lean"].get(k)]
        charts.append(("Which role the situations call for (lens leaning)",
                       svg_bar_chart(items, title="Lens leaning", colors=LEAN_COLORS)))
    if s["dims"]:
        items = [(name, sum(m for m, _ in v) / len(v), sum(l for _, l in v) / len(v))
                 for name, v in sorted(s["dims"].items())]
        charts.append(("Lens axes, averaged over the answers", svg_balance_bars(items, title="Lens axes")))
    out.append('<div class="charts">')
    for caption, svg in charts:
        if svg:
            out.append(f"<figure><figcaption>{esc(caption)}</figcaption>{svg}</figure>")
    out.append("</div></section>")
    return "".join(out)


def _index_html(records: Sequence[dict]) -> str:
    out = ['<section id="index"><h2>Cases</h2><table><thead><tr><th>#</th><th>id</th><th>status</th>'
           '<th>on-corpus</th><th>leaning</th><th>flags</th><th class="index-time">time</th></tr></thead><tbody>']
    for n, r in enumerate(records, 1):
        fb = r.get("feedback") or {}
        status = r.get("status") or "error"
        oc = _on_corpus_text(fb)
        lean = _leaning(fb) if fb else "—"
        flags = len(case_flags(r)) if status == "ok" else "—"
        out.append(f'<tr><td><a href="#{_slug(n)}">{n}</a></td><td class="case-id"><a href="#{_slug(n)}">{esc(r.get("id"))}</a></td>'
                   f'<td><span class="badge {esc(status)}">{esc(status)}</span></td><td>{esc(oc)}</td>'
                   f'<td>{esc(lean)}</td><td>{esc(flags)}</td>'
                   f'<td class="index-time">{float(r.get("elapsed_s") or 0):.1f} s</td></tr>')
    out.append("</tbody></table></section>")
    return "".join(out)


def _fields_html(fields: dict) -> str:
    if not fields:
        return ""
    items = []
    for k, v in fields.items():
        text = v if isinstance(v, str) else repr(v)
        items.append(f"<code>{esc(pii.redact(str(k)).text)}</code>: {esc(pii.redact(text).text)}")
    return f'<p class="fields">{"; ".join(items)}</p>'


def _passage_anchor(src: dict, passages: dict[str, tuple[str, dict]]) -> str:
    key = src.get("passage_id") or f"{src.get('doc_id')}#{hashlib.sha1(str(src.get('text')).encode()).hexdigest()}"
    if key not in passages:
        passages[key] = (f"p-{len(passages) + 1}", src)
    return passages[key][0]


def _case_html(n: int, r: dict, passages: dict[str, tuple[str, dict]], allow_pii: bool = False) -> str:
    status = r.get("status") or "error"
    fb = r.get("feedback") or {}
    out = [f'<section class="case" id="{_slug(n)}"><h3>{n}. {esc(r.get("id"))} '
           f'<span class="badge {esc(status)}">{esc(status)}</span></h3>']
    meta = []
    if fb:
        if fb.get("in_scope", True):
            meta.append("sentences copied from the articles (built-in engine)" if _copied(fb)
                        else f"on-corpus {_pct((fb.get('checks') or {}).get('on_corpus'))} (sentences tested)")
        meta.append(f"leaning: {_leaning(fb)}")
    meta.append(f"{float(r.get('elapsed_s') or 0):.1f} s")
    usage = r.get("usage") or fb.get("usage") or {}
    if usage.get("total_tokens") or usage.get("prompt_tokens"):
        meta.append(f"{int(usage.get('total_tokens') or 0):,} tokens")
    if usage.get("cost_usd") is not None:
        meta.append(f"${float(usage['cost_usd']):.4f}")
    if fb.get("model") or r.get("model"):
        meta.append(f"engine: {fb.get('model') or r.get('model')}")
    out.append(f'<p class="meta">{esc(" · ".join(meta))}</p>')
    out.append(_fields_html(r.get("fields") or {}))
    flags = case_flags(r, allow_pii)
    if status != "ok":
        out.append(f'<p class="reason"><b>{"Not sent" if status == "skipped" else "Failed"}:</b> '
                   f'{esc(r.get("error") or "no reason recorded")}</p>')
        if flags and status != "skipped":
            out.append('<ul class="flags">' + "".join(f"<li>{esc(f)}</li>" for f in flags) + "</ul>")
        out.append("</section>")
        return "".join(out)
    notices = [str(x) for x in fb.get("notices") or []]
    if flags or notices:
        out.append('<ul class="flags">' + "".join(f"<li>{esc(f)}</li>" for f in flags)
                   + "".join(f'<li class="good">{esc(x)}</li>' for x in notices) + "</ul>")
    out.append(f'<h4>Situation</h4><blockquote class="scenario">{esc(fb.get("scenario"))}</blockquote>')
    out.append(f'<h4>Feedback</h4><div class="answer">{markdown_html(fb.get("answer_markdown"))}</div>')
    quotes = fb.get("quotes") or []
    if quotes:
        out.append("<h4>Quotes</h4><ul>")
        for q in quotes:
            mark = '<span class="okmark">✓ verified</span>' if q.get("verified") else \
                f'<span class="warn">⚠ unverified</span> {esc(q.get("reason"))}'
            who = f" — {esc(q.get('speaker'))}" if q.get("speaker") else ""
            src = f' <span class="cite">[{esc(q.get("source_id"))}]</span>' if q.get("source_id") else ""
            out.append(f"<li>“{esc(q.get('text'))}”{who}{src} {mark}</li>")
        out.append("</ul>")
    dims = (fb.get("lens") or {}).get("dimensions") or []
    if dims and fb.get("in_scope", True):
        items = [(str(d.get("name")), float(d.get("management") or 0), float(d.get("leadership") or 0)) for d in dims]
        items.sort(key=lambda x: -abs(x[1] - x[2]))  # the axes this situation leans on most
        shown = items[:LENS_AXES_PER_CASE]
        more = f" ({len(items) - len(shown)} more balanced axes not shown)" if len(items) > len(shown) else ""
        out.append(f'<h4>Lens</h4><p class="meta">Leaning: {esc(_leaning(fb))}; the strongest axes{esc(more)}</p>'
                   + svg_balance_bars(shown, title="Lens for this case", width=480))
    sources = fb.get("sources") or []
    if sources:
        out.append('<h4>Sources</h4><ol class="sources">')
        for s in sources:
            anchor = _passage_anchor(s, passages)
            who = f" — {esc(s.get('author'))}" if s.get("author") else ""
            text = " ".join(str(s.get("text") or "").split())
            short = text if len(text) <= 320 else text[:317].rsplit(" ", 1)[0] + "…"
            out.append(f'<li><span class="cite">[{esc(s.get("id"))}]</span> <b>{esc(s.get("title"))}</b>{who} '
                       f'<span class="meta">(score {float(s.get("score") or 0):.2f}, '
                       f'<a href="#{anchor}">full passage</a>)</span><div class="src-text">{esc(short)}</div></li>')
        out.append("</ol>")
    out.append("</section>")
    return "".join(out)


def _passages_html(passages: dict[str, tuple[str, dict]]) -> str:
    if not passages:
        return ""
    out = ['<section id="passages"><h2>Passages cited</h2>'
           '<p class="sub">Each corpus passage that was given to the engine, once.</p>']
    for anchor, s in passages.values():
        who = f" — {esc(s.get('author'))}" if s.get("author") else ""
        origin = f'<div class="meta">origin: {esc(s.get("origin"))}</div>' if s.get("origin") else ""
        out.append(f'<div class="passage" id="{anchor}"><b>{esc(s.get("title"))}</b>{who} '
                   f'<span class="meta">{esc(s.get("passage_id") or s.get("doc_id"))}</span>{origin}'
                   f'<p>{esc(str(s.get("text") or "").strip())}</p></div>')
    out.append("</section>")
    return "".join(out)


def _privacy_note(found: dict[str, int], allow_pii: bool) -> str:
    if allow_pii:
        return ("<p class=\"sub privacy\">Made with <code>--allow-pii</code>: personal data in the cases is shown "
                "as written. Check the report before you share it.</p>")
    what = f" ({esc(pii.describe(found))} in this run)" if found else ""
    return ("<p class=\"sub privacy\">Personal data the coach recognises (e-mail addresses, phone numbers, bank, "
            f"card and id numbers, profile links){what} is shown as placeholders such as [EMAIL]; "
            "<code>results.jsonl</code> keeps the cases as they were written. Names are not recognised: "
            "anonymize them yourself.</p>")


def render_report(records: Sequence[dict], *, title: str = "Reflection Coach: batch report", input_name: str = "",
                  model: str = "", not_run: Sequence[str] = (), generated_at: str | None = None,
                  allow_pii: bool = False) -> str:
    """The whole report for result ``records`` (the newest line per case, in input order).

    The report is made to be shared, so unless ``allow_pii`` (the user's ``--allow-pii``) every text
    in it that came from a user or a model has what ``coach.pii`` finds replaced by placeholders."""
    when = generated_at or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    found: dict[str, int] = {}
    if not allow_pii:
        records = [pii.redact_deep(r, found) for r in records]
        not_run = [pii.redact_deep(str(x), found) for x in not_run]
        input_name = pii.redact_deep(input_name, found)
    s = _summary(records)
    head = (f"<h1>{esc(title)}</h1><p class=\"sub\">{len(records) + len(not_run)} case(s)"
            + (f" from <code>{esc(input_name)}</code>" if input_name else "")
            + (f" · engine <code>{esc(model)}</code>" if model else "") + f" · generated {esc(when)}</p>"
            "<p class=\"sub\">Every answer was checked against the corpus: citations must name a given source, "
            "quotes must appear in the corpus as attributed, and each claim must be supported by its passages. "
            "A model's answer is really tested by that last check; the built-in engine copies its sentences from "
            "the articles, so for it the check only shows where each point comes from, not that the advice is good. "
            "Flags show where an answer fell short. Cases held back for personal data show no text.</p>"
            + _privacy_note(found, allow_pii))
    passages: dict[str, tuple[str, dict]] = {}
    cases = "".join(_case_html(n, r, passages, allow_pii) for n, r in enumerate(records, 1))
    body = [head, _summary_html(records, s, not_run), _index_html(records)]
    if not_run:
        body.append(f'<p class="meta">Not run yet (the run was stopped before them): '
                    f'{esc(", ".join(map(str, not_run[:50])))}{" …" if len(not_run) > 50 else ""}</p>')
    body += [f'<section id="cases"><h2>Feedback, case by case</h2>{cases}</section>', _passages_html(passages)]
    return html_page(title, "\n".join(body))


__all__ = ["esc", "svg_bar_chart", "svg_columns", "svg_stacked_bar", "svg_balance_bars", "histogram",
           "markdown_html", "html_page", "render_report", "case_flags", "CSS"]
