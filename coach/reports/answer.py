"""Feedback as Markdown: the same document for the terminal, the page's download and the batch report."""
from __future__ import annotations

from ..feedback import Feedback


def checks_summary(fb: Feedback) -> str:
    """One line saying what was checked and what failed, in the one vocabulary (``coach.checks.labels``)."""
    from ..checks.labels import summary_line

    return summary_line(fb)


def feedback_markdown(fb: Feedback) -> str:
    out = ["# Reflection\n", f"> {' '.join(fb.scenario.split())[:600]}\n", f"*Engine: {fb.model}*\n"]
    for n in fb.notices:
        out.append(f"> **Note:** {n}\n")
    out.append(fb.answer_markdown.strip() + "\n")
    if not fb.in_scope:
        return "\n".join(out)
    from ..checks.labels import FAILED, shown

    out.append("## What was checked\n")
    out.append(checks_summary(fb) + "\n")
    for q in fb.quotes:
        if q.speaker == "the manager":
            out.append(f"- ✓ your words — “{q.text}”")
        else:
            mark = "✓ the articles" if q.verified else "⚠ not in the articles"
            who = f"{q.speaker}: " if q.speaker else ""
            out.append(f"- {mark} — {who}“{q.text}” ({q.reason})")
    failed = [p for s in fb.checks.sentences for p in (s.parts or []) if p.label in FAILED]
    for p in failed:
        out.append(f"- {shown(p.label)} — {p.text} ({p.reason})")
    if not any(s.parts for s in fb.checks.sentences):
        for u in fb.checks.unsupported_sentences:
            out.append(f"- ⚠ not in the articles — {u['text']} ({u.get('reason', '')})")
    if fb.quotes or failed or fb.checks.unsupported_sentences:
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
