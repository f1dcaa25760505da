"""A batch run as one self-contained HTML file a coach can open, print or send.

Why a single static file: the coach shares it with people who have no Python and may be offline,
and it may be opened from an e-mail attachment, so it fetches nothing (inline CSS, charts as inline
SVG, no script, no external link or font) and everything in it that came from a user or a model is
escaped by the template (``templates/batch.html.j2``, autoescape). Cases that were held back for
personal data show no text at all, only the reason. This module only shapes the records into what
the template shows; the markup lives in the template.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Sequence

from ..common import pii
from ..common.text import plural
from . import charts
from .markdown import markdown_html
from .templating import chart_svg, render

STATUS_COLORS = {"ok": "#2e7d32", "error": "#c62828", "skipped": "#b26a00"}
LEAN_COLORS = {"management": "#3b6ea5", "leadership": "#8e44ad", "both": "#5f8f6f", "out of scope": "#9e9e9e"}
# axes shown per case in the shared report (the most relevant first): the rest add length, not insight
# cases listed by id when not run: past 50 the report says how many more
LENS_AXES_PER_CASE = 5
NOT_RUN_SHOWN = 50


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{float(v) * 100:.0f}%"


def _on_corpus_text(fb: dict) -> str:
    """The share of the answer's checked sentences that passed their kind's check (any engine: issue 28)."""
    if not fb or not fb.get("in_scope", True):
        return "—"
    return _pct((fb.get("checks") or {}).get("on_corpus"))


def _leaning(fb: dict) -> str:
    if not fb.get("in_scope", True):
        return "out of scope"
    return (fb.get("lens") or {}).get("leaning") or "both"


def case_flags(rec: dict, allow_pii: bool = False) -> list[str]:
    """What the checks found wrong in one answer: the only things counted as its "flags".

    A declined case or a personal-data notice is not a failed check (``case_notes`` says those), so an
    answer whose checks are all clean never shows a flag count (issue 31, item 4)."""
    flags: list[str] = []
    checks = (rec.get("feedback") or {}).get("checks") or {}
    bad = checks.get("invalid_citations") or []
    if bad:
        flags.append(f"{plural(len(bad), 'citation')} to sources that were not given: {', '.join(map(str, bad))}")
    uq = checks.get("unverified_quotes") or []
    if uq:
        flags.append(f"{plural(len(uq), 'quote')} not found in the corpus as attributed")
    us = checks.get("unsupported_sentences") or []
    if us:
        flags.append(f"{plural(len(us), 'sentence')} ⚠ not in the articles (not supported by the cited passages)")
    inv = checks.get("invented_facts") or []
    if inv:
        flags.append(f"{plural(len(inv), 'statement')} ⚠ not in your situation (the case does not contain it)")
    out = checks.get("outside_facts") or []
    if out:
        flags.append(f"{plural(len(out), 'statement')} ⚠ an outside fact (a number, study or authority from nowhere)")
    return flags


def case_notes(rec: dict, allow_pii: bool = False) -> list[str]:
    """What a coach should know about one case besides its checks: declined, personal data found."""
    notes: list[str] = []
    fb = rec.get("feedback") or {}
    if fb and not fb.get("in_scope", True):
        notes.append("out of scope: the coach declined to answer")
    info = rec.get("pii") or {}
    if info.get("found"):
        what = pii.describe(info["found"])
        action = info.get("action") or ""  # a record without one gets the generic line
        here = ("shown as written in this report (--allow-pii)" if allow_pii
                else "shown as placeholders such as [EMAIL] in this report")
        notes.append({"redacted": f"personal data replaced with placeholders before processing: {what}",
                      "allowed": f"personal data sent as it was (--allow-pii): {what}; {here}",
                      "local": f"personal data found: {what}; the engine ran on this machine; {here}",
                      "held": f"personal data found, case not sent: {what}"}.get(action, f"personal data: {what}; {here}"))
    return notes


def _summary(records: Sequence[dict]) -> dict:
    status = Counter(r.get("status") for r in records)
    oks = [r.get("feedback") or {} for r in records if r.get("status") == "ok" and r.get("feedback")]
    in_scope = [fb for fb in oks if fb.get("in_scope", True)]
    # every engine's answer is checked by kind (your words, the articles, suggestions): one share for all
    on_corpus = [float((fb.get("checks") or {}).get("on_corpus", 0.0)) for fb in in_scope]
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
            "answered": len(in_scope), "out_of_scope": len(oks) - len(in_scope)}


def _summary_view(records: Sequence[dict], s: dict, not_run: Sequence[str]) -> dict:
    st = s["status"]
    mean = sum(s["on_corpus"]) / len(s["on_corpus"]) if s["on_corpus"] else None
    # "ok" in results.jsonl covers declined cases too; a coach reads it as "answered", so they are apart here
    cards: list[tuple[str, Any]] = [("cases", len(records) + len(not_run)), ("answered", s["answered"])]
    if s["out_of_scope"]:
        cards.append(("out of scope (declined)", s["out_of_scope"]))
    cards += [("error", st.get("error", 0)), ("skipped", st.get("skipped", 0))]
    if not_run:
        cards.append(("not run yet", len(not_run)))
    if s["on_corpus"]:
        cards.append(("sentences passing their checks (mean)", _pct(mean)))
    cards.append(("answers with flags", s["flagged"]))
    cost = "not known" if s["cost"] is None else f"${s['cost']:.4f}"
    used_tokens = s["tokens"]["total"] > 0 or s["cost"] is not None
    if used_tokens:  # the built-in and local engines use no paid tokens: no tiles that would read as 0 cost
        cards += [("tokens", f"{s['tokens']['total']:,}"), ("cost", cost)]
    status_parts = [("answered", s["answered"], STATUS_COLORS["ok"])]
    if s["out_of_scope"]:
        status_parts.append(("out of scope", s["out_of_scope"], LEAN_COLORS["out of scope"]))
    status_parts += [(k, st.get(k, 0), STATUS_COLORS[k]) for k in ("error", "skipped")]
    if not_run:
        status_parts.append(("not run", len(not_run), "#bdbdbd"))
    figures = [("Cases by status", charts.stacked_bar(status_parts, title="Cases by status"))]
    if s["on_corpus"]:
        figures.append(("Share of each answer's sentences that passed their checks (your words against the case, "
                        "the articles' claims against their passages, suggestions for their idea)",
                        charts.columns(charts.histogram(s["on_corpus"]), title="Checks passed")))
    if s["lean"]:
        order = ["management", "leadership", "both", "out of scope"]
        items = [(k, s["lean"].get(k, 0)) for k in order if s["lean"].get(k)]
        figures.append(("Which role the situations call for (lens leaning)",
                        charts.bar_chart(items, title="Lens leaning", colors=LEAN_COLORS)))
    if s["dims"]:
        dims = [(name, sum(m for m, _ in v) / len(v), sum(lead for _, lead in v) / len(v))
                for name, v in sorted(s["dims"].items())]
        figures.append(("Lens axes, averaged over the answers", charts.balance_bars(dims, title="Lens axes")))
    return {"cards": cards, "out_of_scope": s["out_of_scope"], "used_tokens": used_tokens,
            "tokens": {k: f"{v:,}" for k, v in s["tokens"].items()}, "cost": cost,
            "charts": [(caption, chart_svg(c)) for caption, c in figures if c is not None]}


def _index_row(n: int, r: dict) -> dict:
    fb = r.get("feedback") or {}
    status = r.get("status") or "error"
    return {"n": n, "id": r.get("id"), "status": status, "on_corpus": _on_corpus_text(fb),
            "leaning": _leaning(fb) if fb else "—", "flags": len(case_flags(r)) if status == "ok" else "—",
            "time": f"{float(r.get('elapsed_s') or 0):.1f} s"}


def _passage_anchor(src: dict, passages: dict[str, tuple[str, dict]]) -> str:
    key = src.get("passage_id") or f"{src.get('doc_id')}#{hashlib.sha1(str(src.get('text')).encode()).hexdigest()}"
    if key not in passages:
        passages[key] = (f"p-{len(passages) + 1}", src)
    return passages[key][0]


def _checked_line(fb: dict) -> str:
    """What was checked in one answer, in the words the CLI and the page use (``coach.checks.labels``)."""
    from ..checks.labels import summary_line
    from ..feedback import Feedback

    try:
        return "checked: " + summary_line(Feedback.from_dict(fb)).rstrip(".")
    except (KeyError, TypeError, ValueError):   # a results file from an older version: its share alone
        return f"{_pct((fb.get('checks') or {}).get('on_corpus'))} of sentences passed their checks"


def _meta(r: dict, fb: dict) -> str:
    meta = []
    if fb:
        if fb.get("in_scope", True):
            meta.append(_checked_line(fb))
        meta.append(f"leaning: {_leaning(fb)}")
    meta.append(f"{float(r.get('elapsed_s') or 0):.1f} s")
    usage = r.get("usage") or fb.get("usage") or {}
    if usage.get("total_tokens") or usage.get("prompt_tokens"):
        meta.append(f"{int(usage.get('total_tokens') or 0):,} tokens")
    if usage.get("cost_usd") is not None:
        meta.append(f"${float(usage['cost_usd']):.4f}")
    if fb.get("model") or r.get("model"):
        meta.append(f"engine: {fb.get('model') or r.get('model')}")
    return " · ".join(meta)


def _case_view(r: dict, allow_pii: bool) -> dict:
    """One case's section without its number and passage anchors (``_place``): the costly part
    (markdown, the lens chart), which depends on nothing but the record, so it can be drawn early."""
    status = r.get("status") or "error"
    fb = r.get("feedback") or {}
    fields = [(pii.redact(str(k)).text, pii.redact(v if isinstance(v, str) else repr(v)).text)
              for k, v in (r.get("fields") or {}).items()]
    view: dict[str, Any] = {"id": r.get("id"), "status": status, "meta": _meta(r, fb), "fields": fields,
                            "flags": case_flags(r, allow_pii), "notes": case_notes(r, allow_pii),
                            "error": r.get("error") or "no reason recorded"}
    if status != "ok":
        return view
    dims = (fb.get("lens") or {}).get("dimensions") or []
    lens = None
    if dims and fb.get("in_scope", True):
        items = [(str(d.get("name")), float(d.get("management") or 0), float(d.get("leadership") or 0)) for d in dims]
        items.sort(key=lambda x: -abs(x[1] - x[2]))  # the axes this situation leans on most
        shown = items[:LENS_AXES_PER_CASE]
        more = f" ({len(items) - len(shown)} more balanced axes not shown)" if len(items) > len(shown) else ""
        lens = {"leaning": _leaning(fb), "more": more,
                "chart": chart_svg(charts.balance_bars(shown, title="Lens for this case", width=480))}
    sources = []
    for s in fb.get("sources") or []:
        text = " ".join(str(s.get("text") or "").split())
        sources.append({"id": s.get("id"), "title": s.get("title"), "author": s.get("author"),
                        "score": f"{float(s.get('score') or 0):.2f}", "src": s,
                        "short": text if len(text) <= 320 else text[:317].rsplit(" ", 1)[0] + "…"})
    view.update(notices=[str(x) for x in fb.get("notices") or []], scenario=fb.get("scenario"),
                answer=markdown_html(fb.get("answer_markdown")), quotes=fb.get("quotes") or [], lens=lens,
                sources=sources)
    return view


def _place(n: int, view: dict, passages: dict[str, tuple[str, dict]]) -> dict:
    """``view`` numbered ``n`` in the report, its sources anchored in order of first appearance."""
    out = dict(view, n=n)
    if "sources" in view:
        out["sources"] = [dict(s, anchor=_passage_anchor(s["src"], passages)) for s in view["sources"]]
    return out


@dataclass(frozen=True)
class CaseSection:
    """One result record as the report shows it: redacted (unless allowed) and drawn."""

    record: dict                 # what the report reads: the redacted copy unless allow_pii
    found: dict[str, int]        # what the redaction replaced, by kind
    view: dict


def case_section(rec: dict, allow_pii: bool) -> CaseSection:
    found: dict[str, int] = {}
    shown = rec if allow_pii else pii.redact_deep(rec, found)
    return CaseSection(shown, found, _case_view(shown, allow_pii))


class Sections:
    """Case sections drawn as the cases finish, so that the report at the end only assembles them.

    Why: ``coach batch`` writes its report after the last answer; drawing 64 sections then costs a
    quarter of a second that the run can spend while requests wait on the model instead. A section
    is used only for the very record object it was drawn from (the newest result of its case)."""

    def __init__(self, allow_pii: bool = False):
        self.allow_pii = allow_pii
        self._by_id: dict[int, tuple[dict, CaseSection]] = {}

    def add(self, rec: dict) -> None:
        self._by_id[id(rec)] = (rec, case_section(rec, self.allow_pii))

    def of(self, rec: dict) -> CaseSection:
        hit = self._by_id.get(id(rec))
        return hit[1] if hit is not None and hit[0] is rec else case_section(rec, self.allow_pii)


def render_report(records: Sequence[dict], *, title: str = "Reflection Coach: batch report", input_name: str = "",
                  model: str = "", not_run: Sequence[str] = (), generated_at: str | None = None,
                  allow_pii: bool = False, sections: Sections | None = None) -> str:
    """The whole report for result ``records`` (the newest line per case, in input order).

    The report is made to be shared, so unless ``allow_pii`` (the user's ``--allow-pii``) every text
    in it that came from a user or a model has what ``coach.common.pii`` finds replaced by placeholders.
    ``sections`` holds cases already drawn (``Sections``); the rest are drawn here."""
    when = generated_at or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if sections is None or sections.allow_pii != allow_pii:
        sections = Sections(allow_pii)
    drawn = [sections.of(r) for r in records]
    records = [d.record for d in drawn]
    found: dict[str, int] = {}
    for d in drawn:
        for k, v in d.found.items():
            found[k] = found.get(k, 0) + v
    if not allow_pii:
        not_run = [pii.redact_deep(str(x), found) for x in not_run]
        input_name = pii.redact_deep(input_name, found)
    passages: dict[str, tuple[str, dict]] = {}
    cases = [_place(n, d.view, passages) for n, d in enumerate(drawn, 1)]
    return render("batch.html.j2", title=title, total=len(records) + len(not_run), input_name=input_name,
                  model=model, when=when, allow_pii=allow_pii, found=pii.describe(found) if found else "",
                  summary=_summary_view(records, _summary(records), not_run),
                  index=[_index_row(n, r) for n, r in enumerate(records, 1)],
                  not_run=", ".join(map(str, not_run[:NOT_RUN_SHOWN])) + (" …" if len(not_run) > NOT_RUN_SHOWN else ""),
                  cases=cases, passages=[(anchor, s) for anchor, s in passages.values()])


__all__ = ["render_report", "Sections", "CaseSection", "case_section", "case_flags", "case_notes", "STATUS_COLORS", "LEAN_COLORS"]
