"""The page's pure logic, kept apart from Streamlit so it can be unit-tested.

Why this module exists: everything a user types and everything a model writes ends up in
``st.markdown``, which renders Markdown links, images, autolinks and (in widget labels) more. A
remote image would be fetched the moment the page renders, and a ``javascript:`` link is one click
away from running. ``sanitize_markdown`` turns all of that into inert text *before* the page adds its
own, trusted markup (citation links to the source cards, coloured verifier marks) in
``decorate_answer``. The rest are small helpers that turn a Feedback into words and chart rows.

The sanitiser's rule is "escape, don't parse": it does not try to understand nested Markdown (a
parser that disagrees with the browser's is how sanitisers get bypassed). It rewrites the shapes it
knows into readable text — ``![alt](url)`` → ``[image: alt]``, ``[text](url)`` → ``text `url```,
``<scheme:...>`` and bare ``http(s)://``/``www.`` addresses and e-mail addresses → inline code —
and backslash-escapes every character that could still start a link, an image, HTML, a code span,
maths, a Streamlit directive or an image (``\\ [ ] ( ) < ` $ !``). What remains is emphasis, lists, headings and
quotes: harmless formatting.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

# -- sanitising ----------------------------------------------------------------------------------
# Code spans are held as placeholders between private-use characters until the very end, so that
# the address search of the second pass sees the text exactly as it will be rendered.
_OPEN, _CLOSE = "\ue000", "\ue001"
_URL_IN_PARENS = r"\(\s*<?([^)\s>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
_SHAPES = re.compile(
    r"(?P<image>!\[(?P<alt>[^\]\n]*)\]" + _URL_IN_PARENS.replace("([^)\\s>]*)", "(?P<isrc>[^)\\s>]*)") + r")"
    r"|(?P<link>\[(?P<label>[^\]\n]*)\]" + _URL_IN_PARENS.replace("([^)\\s>]*)", "(?P<href>[^)\\s>]*)") + r")"
    r"|(?P<auto><(?P<auri>[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*)>)"
)
_ADDRESS = re.compile(
    r"(?:https?://|ftp://|www\.)[^\s<>\[\]()`\"'\ue000\ue001]*[^\s<>\[\]()`\"'.,;:!?*_~\ue000\ue001]"
    r"|(?:mailto:)?[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,8}"
)
_ESCAPE = re.compile(r"([\\\[\]()<`$!])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ue000-\uf8ff]")
_PLACEHOLDER = re.compile(_OPEN + r"(\d+)" + _CLOSE)


def altair():
    """altair, with pandas wholly imported first. Why: while it turns a chart into JSON, altair looks pandas up
    in ``sys.modules``; when one of Streamlit's threads is importing pandas at that moment, the module is
    half made and has no ``Timestamp``, and the page fails ("partially initialized module 'pandas'": the
    first answer of a fresh server, in CI and once here, seen in the server's log). ``import pandas`` waits
    for an import under way to finish; a look-up in ``sys.modules`` does not."""
    import pandas  # noqa: F401

    import altair as alt

    return alt


def escape_text(text: str) -> str:
    """Backslash-escape the characters that could open a link, image, HTML, code, maths or directive."""
    return _ESCAPE.sub(r"\\\1", text)


def inert_code(value: str) -> str:
    """A URL (or any string) as inline code: shown, never linked, never fetched."""
    value = value.replace("`", "'").replace("\n", " ").strip()
    return f"`{value}`" if value else ""


def _flatten(text: str, codes: list[str]) -> str:
    """First pass: links, images and autolinks become plain text, their addresses placeholders."""

    def hold(value: str) -> str:
        codes.append(value)
        return f"{_OPEN}{len(codes) - 1}{_CLOSE}"

    out: list[str] = []
    pos = 0
    for m in _SHAPES.finditer(text):
        out.append(text[pos:m.start()])
        if m.group("image") is not None:
            alt = " ".join(m.group("alt").split()) or "no description"
            out.append("[image: " + _flatten(alt, codes) + "]")
        elif m.group("link") is not None:
            label, href = m.group("label").strip(), m.group("href")
            shown = [_flatten(label, codes)] if label else []
            if href and href != label:
                shown.append(hold(href))
            out.append(" ".join(shown))
        else:
            out.append(hold(m.group("auri")))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def sanitize_markdown(text: str | None) -> str:
    """Markdown from a user or a model, made inert: no links, images, HTML, autolinks or directives.

    Readable output: an image becomes ``[image: alt]``, a link its text followed by its URL as
    code, a bare address code; everything else keeps its formatting (bold, lists, headings, quotes).
    """
    text = _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    codes: list[str] = []
    flat = _flatten(text, codes)

    def hold(m: re.Match) -> str:
        codes.append(m.group(0))
        return f"{_OPEN}{len(codes) - 1}{_CLOSE}"

    flat = _ADDRESS.sub(hold, flat)
    return _PLACEHOLDER.sub(lambda m: inert_code(codes[int(m.group(1))]), escape_text(flat))


def plain_label(text: str | None, limit: int = 80) -> str:
    """A one-line, inert label for user text (expander titles render Markdown too)."""
    one = " ".join((text or "").split())
    if len(one) > limit:
        one = one[: limit - 1].rsplit(" ", 1)[0] + "…"
    return sanitize_markdown(one)


# -- the page's own markup on top of sanitised text -----------------------------------------------
# A (sanitised, so escaped) citation marker, with the verifier's "no such source" note if it has one.
_CITE = re.compile(r"\\\[\s*(S\d+(?:\s*[,;]\s*S?\d+)*)\s*(?:⚠ no such source:?[^\n\\\]]*)?\\\]", re.I)
# the checks' inline marks (coach.checks.labels): "✓ *your words*", "✓ *the articles*", "⚠ *not in the articles: why*"
_PASSED = re.compile(r"✓ \*(your words|the articles)\*")
_FAILED = re.compile(r"⚠ \*(not in the articles|not in your situation|an outside fact)(?:: ([^*\n]*))?\*")


def source_anchor(source_id: str) -> str:
    return f"source-{source_id.lower()}"


def _strip_directive_breakers(text: str) -> str:
    """Text going inside ``:color[...]`` may not hold brackets (escaped or not)."""
    return text.replace("\\[", "(").replace("\\]", ")").replace("[", "(").replace("]", ")")


def decorate_answer(sanitized: str, source_ids: Iterable[str] | None) -> str:
    """Add the page's markup to an already-sanitised answer.

    Citation markers become links to the source cards below the answer; the verifier's inline marks
    become coloured badges, so a verified quote and every flag are visible where they apply.
    Runs only on the output of ``sanitize_markdown``: every bracket in it is escaped, so any
    unescaped bracket after this step is ours. ``source_ids=None``: the answer's sources are not on
    the page (an earlier turn of a thread), so its citations stay plain text, linked to nothing.
    """
    known = {s.upper() for s in source_ids or ()}

    def cite(m: re.Match) -> str:
        if source_ids is None:
            return m.group(0)
        parts = [p.strip().upper() for p in re.split(r"[,;]", m.group(1))]
        parts = [p if p.startswith("S") else f"S{p}" for p in parts]
        links = []
        for p in parts:
            if p in known:
                links.append(f"[\\[{p}\\]](#{source_anchor(p)})")
            else:
                links.append(f":red-background[⚠ {p}: no such source]")
        return " ".join(links)

    text = _CITE.sub(cite, sanitized)
    text = _PASSED.sub(lambda m: f":green-background[✓ {m.group(1)}]", text)
    text = _FAILED.sub(lambda m: f":orange-background[⚠ {m.group(1)}"
                       + (f": {_strip_directive_breakers(m.group(2))}" if m.group(2) else "") + "]", text)
    return text


def render_answer(answer_markdown: str, source_ids: Iterable[str] | None) -> str:
    """Sanitise, then decorate: the only way model text reaches ``st.markdown``."""
    return decorate_answer(sanitize_markdown(answer_markdown), source_ids)


# -- summaries -----------------------------------------------------------------------------------
@dataclass
class CheckSummary:
    """The compact "what was checked" line under the answer, in the one vocabulary (``coach.checks.labels``)."""

    text: str
    clean: bool
    title: str = "What was checked"

    @property
    def icon(self) -> str:
        return "✓" if self.clean else "⚠"

    def line(self) -> str:
        return self.text


def check_summary(feedback: Any) -> CheckSummary:
    from ..checks.labels import summary_line

    checks = feedback.checks
    clean = not (checks.invalid_citations or checks.unverified_quotes or checks.unsupported_sentences
                 or checks.invented_facts or getattr(checks, "outside_facts", None))
    return CheckSummary(text=summary_line(feedback), clean=clean)


def lens_rows(lens: Any) -> list[dict[str, Any]]:
    """One chart row per axis: position -1 (all management) … +1 (all leadership)."""
    rows = []
    for d in lens.dimensions:
        total = (d.management + d.leadership) or 1.0
        m, l = d.management / total, d.leadership / total
        pos = round(l - m, 4)
        rows.append({
            "axis": d.name,
            "position": pos,
            "management": round(m, 3),
            "leadership": round(l, 3),
            "management_label": d.management_label or "management",
            "leadership_label": d.leadership_label or "leadership",
            "side": "leadership" if pos > 0 else "management",
            "source": d.source_id or "",
        })
    for r in rows:  # each bar's own text alternative (the chart is an image to a screen reader)
        r["said"] = f"{r['axis']}: {_share_words(r)}"
    return rows


def _share_words(r: dict[str, Any]) -> str:
    if r["management"] == r["leadership"]:
        return "balanced"
    side = "management" if r["management"] > r["leadership"] else "leadership"
    return f"{round(max(r['management'], r['leadership']) * 100)}% {side} ({r[side + '_label']})"


def lens_description(rows: list[dict[str, Any]]) -> str:
    """The lens chart in words, its text alternative: every axis and where it leans."""
    return ("Chart of the lens: for each axis, how far your situation leans toward management or toward "
            "leadership. " + "; ".join(r["said"] for r in rows) + ".")


def leaning_sentence(lens: Any) -> str:
    """The leaning in words, with the axes that pull hardest each way."""
    rows = lens_rows(lens)
    if not rows:
        return "No axis of the corpus's framework could be placed for this situation."
    second, side = lens.second, lens.hedge
    head = {
        "management": f"This situation leans toward **management**{side}: getting the work itself in order.",
        "leadership": f"This situation leans toward **leadership**{side}: direction, people and change.",
    }.get(lens.leaning, "This situation calls for **both** management and leadership.")
    from ..reading.lens import NAMED_MIN

    # only axes that pull on the headline's side are named (both sides for "both", the second side too when
    # the reading was unsure), and none that is balanced
    lead = sorted((r for r in rows if r["position"] >= NAMED_MIN and (lens.leaning != "management" or
                                                                       second == "leadership")),
                  key=lambda r: -r["position"])[:2]
    mgmt = sorted((r for r in rows if r["position"] <= -NAMED_MIN and (lens.leaning != "leadership" or
                                                                        second == "management")),
                  key=lambda r: r["position"])[:2]
    bits = []
    if lead:
        bits.append("strongest toward leadership on " + _join(f"{r['axis']} ({r['leadership_label']})" for r in lead))
    if mgmt:
        bits.append("toward management on " + _join(f"{r['axis']} ({r['management_label']})" for r in mgmt))
    tail = ("; ".join(bits) + ".") if bits else ""
    return escape_text(head + (" It pulls " + tail if tail else ""))


def _join(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


EXAMPLES: dict[str, str] = {
    "Doing things right, but the right things?": (
        "My team does things right but maybe not the right things. We hit every deadline and follow our "
        "process to the letter, yet I am not sure the work still matters to where the company is going."
    ),
    "A reorganisation nobody believes in": (
        "Our department is being merged with another one next quarter. Leadership decided it; my people "
        "are anxious, rumours are everywhere, and I have to roll the change out while keeping morale up."
    ),
    "Deadlines slipping, nobody tracking": (
        "Deadlines keep slipping on my team. Nobody tracks who is doing what, we have no regular check-in, "
        "and I only find out about problems when a customer complains."
    ),
    "A strong performer ready for more": (
        "One of my engineers is clearly ready to lead. She already mentors the juniors, but I have never "
        "developed a successor before and do not know how to give her room without losing control."
    ),
}


# -- downloads -----------------------------------------------------------------------------------
def shareable_downloads(feedback: Any, reply: str | None = None) -> tuple[str, str, dict[str, int]]:
    """The Markdown and JSON downloads, with personal data replaced by placeholders such as [EMAIL].

    Why: a download is a file that leaves this machine (mailed to a coach, pasted in a ticket); the
    page keeps the manager's words as typed on screen, but a file made from them should not carry an
    address or a phone number the manager may not have noticed. ``reply``: a follow-up's newest words,
    quoted in the Markdown apart from the thread before them. Returns (markdown, json, kinds found)."""
    import json

    from ..common import pii

    found: dict[str, int] = {}
    data = pii.redact_deep(feedback.to_dict(), found)
    from ..reports.answer import feedback_markdown

    markdown = pii.redact(feedback_markdown(feedback, reply=reply)).text
    return markdown, json.dumps(data, indent=2, ensure_ascii=False), found
