"""Feedback as Markdown: the same document for the terminal, the page's download and the batch report."""
from __future__ import annotations

from ..feedback import Feedback


def checks_summary(fb: Feedback) -> str:
    """One line saying what was checked and what failed, in the one vocabulary (``coach.checks.labels``)."""
    from ..checks.labels import summary_line

    return summary_line(fb)


def shorten(text: str, limit: int | None) -> str:
    """``text`` whole when it fits ``limit`` (None: no limit); else its first sentences up to ``limit``,
    or its first words when even the first sentence is longer, followed by "…". Never cut mid-word."""
    text = text.strip()
    if limit is None or len(text) <= limit:
        return text
    from ..common.text import sentence_spans

    end = 0
    for _s, e in sentence_spans(text):
        if e > limit:
            break
        end = e
    if end == 0:  # the first sentence alone is over the limit: whole words
        end = len(text[:limit + 1].rsplit(None, 1)[0]) if " " in text[:limit + 1] else limit
    return text[:end].rstrip(" ,;:") + " …"


def blockquote(text: str) -> str:
    """``text`` as a Markdown quotation, its paragraphs and line breaks kept."""
    return "\n".join(f"> {line}".rstrip() for line in text.strip().splitlines())


def _thread_parts(fb: Feedback, reply: str | None) -> tuple[str, str | None]:
    """(what came before, the manager's newest reply) of a follow-up's scenario, which is the whole
    thread with the reply at its end (``journal.followup.thread_turn``); (scenario, None) on a first turn."""
    scenario = fb.scenario.strip()
    newest = (reply or "").strip()
    if not newest:
        return scenario, None
    from ..common import pii

    for r in dict.fromkeys([newest, pii.redact(newest).text]):  # the scenario may be redacted
        if scenario.endswith(r) and len(scenario) > len(r):
            return scenario[:-len(r)].strip(), r
    return scenario, newest


def feedback_markdown(fb: Feedback, reply: str | None = None, quote_chars: int | None = None,
                      quote_situation: bool = True) -> str:
    """The whole reflection as Markdown. The situation is quoted in full, or with ``quote_chars`` cut at
    a sentence (else word) boundary with "…"; on a follow-up, ``reply`` (the manager's newest words)
    is quoted under its own label after what came before it. ``quote_situation=False``: no quotation
    (the caller shows the manager's words itself, as ``coach journal show`` does turn by turn)."""
    out = ["# Reflection\n"]
    if quote_situation:
        before, newest = _thread_parts(fb, reply)
        out.append(blockquote(shorten(before, quote_chars)) + "\n")
        if newest is not None:
            out += ["**Your reply:**\n", blockquote(shorten(newest, quote_chars)) + "\n"]
    out.append(f"*Engine: {fb.model}*\n")
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
        out.append(f"## The lens: {fb.lens.leaning}{fb.lens.hedge}\n")
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
