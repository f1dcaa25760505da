"""Sentences that cannot stand alone: "Or perhaps…", "That's where…", "This is why…".

A sentence that opens by pointing back ("This", "That's", "Or", "So") means nothing without the one
before it. The built-in engine never starts a paragraph or a bullet with one (it joins it to its
predecessor instead), and ``coach eval`` counts any answer paragraph that does (``lifted_fragments``).
"""
from __future__ import annotations

import re

DEPENDENT_START = re.compile(
    r"^(?:Or|And|But|So|Yet|Nor|Also|Then|Thus|Hence|Therefore|However|Otherwise|Instead|Still|Again|Besides|"
    r"Furthermore|Moreover|Similarly|Likewise|Meanwhile|Consequently|Accordingly|Indeed|Plus|"
    r"This|That|These|Those|Such|It(?![’']s\b)|Its|They|Their|Them|He|She|His|Her|Here|There's|"
    r"In turn|In other words|As a result|For this reason|For that reason|On the other hand|"
    r"Which|Whereas|Unlike"
    r"|(?:Through|In|With|By|For|From|After|Because of|Despite|Given|Like|Beyond|Of|At|On|Without|Under) "
    r"(?:this|that|these|those|such|it|them|which)"
    r"|(?:\w+ ){0,2}(?:the|this|that|these|those) (?:same|above|latter|former|previous|following))\b")

_MD_LEAD = re.compile(r"^\s*(?:[-*+>]\s+|\d+[.)]\s+)*(?:\*\*[^*]*\*\*\s*)?")


def is_dependent(sentence: str) -> bool:
    """Does this sentence open by pointing back at one before it?"""
    s = sentence.strip().lstrip("“\"'(*_ ")
    return bool(DEPENDENT_START.match(s))


def lifted_fragments(answer: str) -> list[str]:
    """The paragraphs and bullets of ``answer`` that open with a dependent sentence."""
    out = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*+]|\d+[.)])\s)", answer or ""):
        block = block.strip()
        if not block or block.startswith(("#", "|")):
            continue
        body = _MD_LEAD.sub("", block, count=1).strip()
        if body and is_dependent(body):
            out.append(block.splitlines()[0][:120])
    return out
