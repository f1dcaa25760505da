"""Feedback as Markdown: the same document for the terminal, the page's download and the batch report."""
from __future__ import annotations

from ..feedback import Feedback


def copies_the_corpus(model: str | None) -> bool:
    """Does this engine build its answer from the articles' own sentences (the built-in one)?

    Why it matters: its sentences match their passages because they were copied from them, so "100%
    on-corpus" says where each point comes from, not that the advice is good or fits the situation.
    Only a model's answer has sentences whose support was really in question."""
    from ..engines import get_engine

    return get_engine(model).is_builtin


COPIED_NOTE = ("The built-in engine writes no advice of its own: it picks sentences from the articles, so they "
               "match their passages by construction. That shows where each point comes from, not that the "
               "advice fits your situation: that judgement is yours.")


def checks_summary(fb: Feedback) -> str:
    """One line saying what was checked and what failed: shown under every answer.

    Worded differently for the built-in engine (copied sentences, nothing to test) and for a model
    (sentences it wrote, each tested against the passage it cites), so the same percentage does not
    read as the same kind of evidence."""
    c = fb.checks
    claims = [s for s in c.sentences if s.checked]
    skipped = len(c.sentences) - len(claims)
    verified = sum(q.verified for q in fb.quotes)
    supported = sum(s.supported for s in claims)
    if copies_the_corpus(fb.model):
        own = len(claims) - supported
        lead = (f"{supported} sentences taken from the articles, each matching the passage it cites (built-in "
                "engine: this shows the source, it is not a test of the advice)"
                + (f"; {own} not found in their passages (marked ⚠)" if own else ""))
    else:
        lead = (f"{len(claims)} sentences written by {fb.model}, each tested against the passages it cites: "
                f"{supported} supported, {len(claims) - supported} not (on-corpus {c.on_corpus:.0%})")
    parts = [
        lead,
        f"{skipped} headings or questions not checked" if skipped else "",
        f"{verified} of {len(fb.quotes)} quotes verified in the corpus" if fb.quotes else "no quotations",
        f"{len(c.invalid_citations)} citations to sources that were not given ({', '.join(c.invalid_citations)})" if c.invalid_citations else "all citations point at given sources",
    ]
    return "; ".join(p for p in parts if p) + "."


def feedback_markdown(fb: Feedback) -> str:
    out = ["# Reflection\n", f"> {' '.join(fb.scenario.split())[:600]}\n", f"*Engine: {fb.model}*\n"]
    for n in fb.notices:
        out.append(f"> **Note:** {n}\n")
    out.append(fb.answer_markdown.strip() + "\n")
    if not fb.in_scope:
        return "\n".join(out)
    out.append("## What was checked\n")
    if copies_the_corpus(fb.model):
        out.append(COPIED_NOTE + "\n")
    out.append(checks_summary(fb) + "\n")
    for q in fb.quotes:
        mark = "✓ verified" if q.verified else "⚠ unverified"
        who = f"{q.speaker}: " if q.speaker else ""
        out.append(f"- {mark} — {who}“{q.text}” ({q.reason})")
    for s in fb.checks.unsupported_sentences:
        out.append(f"- ⚠ unsupported — {s['text']} ({s.get('reason', '')})")
    if fb.quotes or fb.checks.unsupported_sentences:
        out.append("")
    if fb.lens.dimensions:
        out.append(f"## The lens: {fb.lens.leaning}\n")
        out.append("| axis | management | leadership | source |\n| --- | --- | --- | --- |")
        for d in fb.lens.dimensions:
            out.append(f"| {d.name} ({d.management_label} / {d.leadership_label}) | {d.management:.2f} | {d.leadership:.2f} | {d.source_id or ''} |")
        out.append("")
    if fb.sources:
        out.append("## Sources\n")
        for src in fb.sources:
            by = f", {src.author}" if src.author else ""
            text = " ".join(src.text.split())
            out.append(f"**[{src.id}]** *{src.title}*{by} (score {src.score:.2f})\n\n> {text}\n")
    return "\n".join(out)
