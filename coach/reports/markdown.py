"""An answer's Markdown as HTML for the batch report, through markdown-it-py.

Why these options: answers come from a model and from user text, so raw HTML is escaped
(``html=False``) and links, autolinks, reference definitions and images are off: ``[x](javascript:…)``
and ``![x](http://…)`` stay visible text, nothing becomes a link or a fetch. A single newline stays a
line break (``breaks``), as the coach writes its answers. Two touches of the report's own: headings sit
three levels down (under the case's heading), and citations like ``[S1]`` and the ⚠/✓ marks are styled.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup

_CITE = re.compile(r"\[(S\d+(?:\s*[,;]\s*S?\d+)*)\]")


def _text(self: Any, tokens: list, idx: int, options: Any, env: Any) -> str:
    """Plain text, escaped first, then the citation and mark spans added to the escaped text."""
    t = escapeHtml(tokens[idx].content)
    t = _CITE.sub(r'<span class="cite">[\1]</span>', t)
    return t.replace("⚠", '<span class="warn">⚠</span>').replace("✓", '<span class="okmark">✓</span>')


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False})
    md.disable(["link", "image", "autolink", "reference"])
    md.add_render_rule("text", _text)
    return md


def markdown_html(md: str | None) -> Markup:
    """``md`` as safe HTML (``Markup``, so the report's template does not escape it twice)."""
    parser = _parser()
    tokens = parser.parse(md or "")
    for tok in tokens:
        if tok.type in ("heading_open", "heading_close"):
            tok.tag = f"h{min(6, int(tok.tag[1]) + 3)}"
    return Markup(parser.renderer.render(tokens, parser.options, {}))


__all__ = ["markdown_html"]
