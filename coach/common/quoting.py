"""The manager's words quoted back short: “…”, cut at a word that can end a phrase, never mid-clause.

In ``common`` because the plan (its needs and the manager's plan, quoted in its sentences) and the built-in
engine (the steps' headings) both quote the manager, and the engine must not call back into the plan.
"""
from __future__ import annotations

import re

QUOTE_MAX_WORDS = 14   # a problem quoted back: long enough to recognise, short enough not to fill the answer
_TRAIL = re.compile(r"[\s.!?,;:]+$")
# a clause the reading cut before its end ("… about every decision, even" | "which shelf …"): its joining word goes
# ("…openly says so" keeps its "so": after a verb of saying or thinking it is the object, not a joint)
_TAIL_JOIN = re.compile(r"(?:[\s,]+(?:and|but|or|then|and then|(?<!\bsays )(?<!\bsaid )(?<!\bthink )(?<!\bhope )"
                        r"(?<!\bsay )(?<!\bthinks )so|because|which|who|when|while|as|that|even|"
                        r"especially|like|such as|including|except|until|unless|although|though|whether)|,\s*so)+$",
                        re.I)
_LEAD_JOIN = re.compile(r"^(?:(?:and|but|so|yet|or|also|then|and then|still|however)\b[\s,]*)+(?=\S)", re.I)
_LEAD_ASIDE = re.compile(r"^(?:which|who|that|and|but)\b[^:]{0,40}:\s+(?=\S)", re.I)
# a cut is made after a word that can end a phrase, never after one that needs what follows
# ("…to run it day to day, or someone" is cut before "or", not after it)
_DANGLING = re.compile(r"\b(?:a|an|the|to|of|for|with|and|or|but|in|on|at|by|my|our|their|his|her|its|is|are|was|"
                       r"were|be|that|which|who|as|than|so|if|when|because|from|into|about|every|each|no|not|"
                       r"very|more|most|some|any|this|these|those|i|we|they|he|she|it|you)$", re.I)


def quote_short(text: str, limit: int = QUOTE_MAX_WORDS) -> str:
    """The manager's clause as a short quotation of their exact words: “…”, with "…" where it was cut."""
    t = _LEAD_JOIN.sub("", _LEAD_ASIDE.sub("", _TAIL_JOIN.sub("", _TRAIL.sub("", text.strip()))))
    t = t.replace("“", "‘").replace("”", "’").replace('"', "'")
    ws = t.split()
    cut = len(ws) > limit
    if cut:
        ws = ws[:limit]
        while len(ws) > 4 and (_DANGLING.search(ws[-1]) or ws[-1].endswith((",", ";", ":"))):
            ws = ws[:-1]
        ws[-1] = ws[-1].rstrip(",;:")
    q = " ".join(ws)
    if q[:1].isupper() and not q[:2].isupper() and not re.match(r"I\b", q) and not is_name(q.split()[0]):
        q = q[0].lower() + q[1:]
    return f"“{q}{'…' if cut else ''}”"


def is_name(word: str) -> bool:
    return bool(re.fullmatch(r"[A-Z][a-z]+", word)) and word.lower() not in _COMMON_CAPS


_COMMON_CAPS = set("the a an my our we i they he she it this that there when since after before every each most "
                   "some our last next today yesterday now then so but and or still yet however also".split())


__all__ = ["QUOTE_MAX_WORDS", "quote_short", "is_name"]
