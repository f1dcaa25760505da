"""How a reflection's checks, lens and sources are drawn on the page, under its answer.

Why apart from app.py: the page script is edited by several people at once and had grown past the
400-line limit (tests/test_structure.py). These three draw parts of one Feedback and nothing else:
no session state, no callbacks, no widgets that rerun the page, so app.py's ``show_feedback`` calls
them and stays the one place that decides what a reflection shows. ``show_checks``: the verifier's
summary line and, folded away, how each sentence and quote was checked; ``show_lens``: the
management/leadership chart with its words; ``show_sources``: the passages as cards that the
answer's citations link to.

Every text from the user, a model or the corpus goes through ``sanitize_markdown`` (see page.py).
"""
from __future__ import annotations

import streamlit as st

from . import page
from .page import leaning_sentence, lens_description, lens_rows, sanitize_markdown, source_anchor


def show_lens(feedback) -> None:
    alt = page.altair()

    rows = lens_rows(feedback.lens)
    st.subheader("Management or leadership?")
    st.markdown(leaning_sentence(feedback.lens))
    if not rows:
        return
    data = alt.Data(values=rows)
    # Drawn to fit a 390 px phone as well as a desktop (issue 31, item 11): each axis is named above its bar
    # (a label column beside the bars took 60% of a phone's width), and the scale's three words sit at the
    # top, "← management" from the left edge, "leadership →" from the right, "balanced" in the middle, so
    # they cannot run into each other or off the chart.
    scale = alt.Scale(domain=[-1, 1], nice=False)
    axis = alt.Axis(values=[-1, 0, 1], grid=False, orient="top", ticks=False, domain=False, labelPadding=6,
                    labelOverlap=False, labelFontSize=12, labelColor="#31333f",
                    labelAlign=alt.ExprRef(expr="datum.value < 0 ? 'left' : datum.value > 0 ? 'right' : 'center'"),
                    labelExpr="datum.value < 0 ? '← management' : datum.value > 0 ? 'leadership →' : 'balanced'")
    x = alt.X("position:Q", scale=scale, title=None, axis=axis)
    y = alt.Y("axis:N", sort=None, title=None, axis=None)
    base = alt.Chart(data)
    bars = base.mark_bar(cornerRadius=3, height=14, yOffset=9).encode(
        x=x, x2=alt.datum(0), y=y,
        color=alt.Color("side:N", legend=None,
                        scale=alt.Scale(domain=["management", "leadership"], range=["#5b7fa6", "#c4923f"])),
        description=alt.Description("said:N"),
        tooltip=[alt.Tooltip("axis:N", title="axis"),
                 alt.Tooltip("management_label:N", title="management pole"),
                 alt.Tooltip("management:Q", title="share", format=".0%"),
                 alt.Tooltip("leadership_label:N", title="leadership pole"),
                 alt.Tooltip("leadership:Q", title="share", format=".0%"),
                 alt.Tooltip("source:N", title="backed by")],
    )
    names = base.mark_text(align="left", baseline="bottom", yOffset=-1, fontSize=13, color="#31333f",
                           aria=False).encode(x=alt.X(datum=-1, scale=scale, title=None, axis=axis), y=y, text="axis:N")
    rule = base.mark_rule(color="#9aa0a6", aria=False).encode(x=alt.X(datum=0, scale=scale, title=None, axis=axis))
    chart = (bars + rule + names).properties(height=44 * len(rows), description=lens_description(rows),
                                             padding={"left": 4, "right": 6, "top": 2, "bottom": 2})
    st.altair_chart(chart, width="stretch")
    with st.expander("Each axis in words"):
        known = {s.id for s in feedback.sources}
        lines = []
        for r in rows:
            stronger = r["leadership_label"] if r["position"] > 0 else r["management_label"]
            share = max(r["leadership"], r["management"])
            back = (f" — named in [{r['source']}](#{source_anchor(r['source'])})" if r["source"] in known else "")
            lines.append(f"- **{sanitize_markdown(r['axis'])}**: {round(share * 100)}% "
                         f"{sanitize_markdown(stronger)}{back}")
        st.markdown("\n".join(lines))


def show_checks(feedback) -> None:
    from ..checks.labels import FAILED, shown

    summary = page.check_summary(feedback)  # looked up per call, as app.py's per-run import did (a test replaces it)
    with st.container(key="checks"):
        st.caption(f"{summary.icon} {summary.title}: {summary.line()}")
        with st.expander("How each sentence was checked"):
            for s in feedback.checks.sentences:
                if not getattr(s, "checked", True):
                    st.markdown(f"- **· not a claim**  \n  {sanitize_markdown(s.text)}")
                    continue
                parts = getattr(s, "parts", None) or []
                if parts:   # each part by its kind: your words, the articles, a suggestion
                    marks = "; ".join(shown(p.label, p.cites) + (f" ({sanitize_markdown(p.reason)})"
                                                                if p.label in FAILED and p.reason else "")
                                      for p in parts)
                else:
                    marks = "✓ the articles" if s.supported else "⚠ not in the articles"
                    if getattr(s, "against", "") == "situation":
                        marks = "✓ your words" if s.supported else "⚠ not in your situation"
                st.markdown(f"- **{sanitize_markdown(marks)}**  \n  {sanitize_markdown(s.text)}")
            for q in feedback.quotes:
                if q.speaker == "the manager":
                    badge = ":green-background[✓ your words]"
                elif q.verified:
                    badge = f":green-background[✓ the articles] {sanitize_markdown(q.speaker or '')}"
                else:
                    badge = f":orange-background[⚠ not in the articles] {sanitize_markdown(q.reason)}"
                st.markdown(f"- “{sanitize_markdown(q.text)}” {badge}")


def show_sources(feedback) -> None:
    st.subheader("Sources")
    st.caption(f"{len(feedback.sources)} passages: the k retrieved for your situation, plus up to 2 that back the "
               "lens (the axes it leans on most).")
    with st.container(key="sources"):
        for s in feedback.sources:
            with st.container(border=True, key=f"card_{s.id}"):
                st.subheader(f"{s.id} · {sanitize_markdown(s.title)}", anchor=source_anchor(s.id))
                who = f"by {sanitize_markdown(s.author)} · " if s.author else ""
                st.caption(f"{who}relevance {s.score:.2f}")
                st.markdown(sanitize_markdown(s.text))
