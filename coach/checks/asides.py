"""Facts slipped into a sentence as an aside: a relative or reason clause that reports, and a name from nowhere.

Why apart from ``claims.invented_event``: a model adds a fact to a faithful step or restatement in passing,
and in everyday words the corpus also holds ("talk to each of them alone, starting with Elena, who has
already had an offer from the place down the street"; "…, as the insurer asked after the October claims").
The event check counts only the words nobody has (not the manager's, the corpus's nor coaching's), so it let
such asides through: on 60 fresh injected facts by a new writer it caught 17 (28%). Here the aside is found
by its shape (a clause opened by who/which/where/as/since/because…, with a verb that reports: has, had,
already, a past tense) and its words are compared with the manager's own situation and the cited passages
only. Calibration is in ``tuning.ASIDE_NEW_WORDS``.
"""
from __future__ import annotations

import re
from functools import lru_cache

from . import tuning
from .reversals import QUOTE as _QUOTE

from .signals import CALENDAR, MONTHS

_LEAD = (r"(?:who|whom|whose|which|where|as|since|because|after|before|when|now that|including|especially|"
         r"ideally|starting with|beginning with|most of them|\w+ of (?:whom|them))")
# an aside: after a comma, or a who/which/where clause without one ("the canteen where your manager announced")
_ASIDE = re.compile(r"(?:,\s*|\s(?=(?:who|whom|whose|which|where)\s))(" + _LEAD + r"\b[^,;\[]*)", re.I)
_LEAD_WORDS = "who whom whose which where since because after before when now including especially ideally " \
              "starting beginning most them used"
# a verb that reports what happened or holds (not a step's proposal): after a comma any of these …
_PERFECT = (r"(?:has|have|had)\s+(?!(?:to|a|an|the|no|any|some|more|one|two|it|them|this|that|these|those|time|"
            r"enough|you|we|they)\b)[a-z]+")   # "has asked", not "the resources you have", "has a car", "had to"
_REPORTS = re.compile(r"\b(?:" + _PERFECT + r"|was|were|did|already|used to|now|still|\w{3,}ed)\b", re.I)
# … and without one only an auxiliary, or a subject and a past tense ("where every build gets one named tester"
# is a step's own clause; "where your manager announced your promotion" reports)
_AUX = re.compile(r"\b(?:" + _PERFECT + r"|was|were|did|already|used to)\b", re.I)
_SUBJECT_PAST = re.compile(r"(?:who|which|where|when)\s+(?:(?:your|his|her|their|the|a|an|our|my)\s+)?\w+\s+\w{3,}ed\b",
                           re.I)
# not a report: a present passive ("how each dose is recorded"), the manager's own telling ("which you named
# yourself", checked as their words), a person the step is looking for ("ask someone who has built rotas before":
# no comma, it says whom to pick; "name one person, who …" adds a fact and is read)
_PRESENT_PASSIVE = re.compile(r"\b(?:is|are|be|being|gets?)\s+(?:\w+ly\s+)?\w{3,}ed\b", re.I)
_YOU_TOLD = re.compile(r"^\w+\s+you\s+(?:\w+ly\s+)?(?:named|said|wrote|described|mentioned|told|called|put|gave|listed)\b",
                       re.I)
_ANYONE = re.compile(r"\b(?:someone|somebody|anyone|anybody|whoever|(?:a|an|one|two|three|four|five|six|some|any|each|"
                     r"every|other)\s+(?:[a-z-]+\s+)?[a-z-]+)\W*$", re.I)   # "three people who …", "one call where …"
# an indirect question a step asks ("ask whom they wish they had met", "mark what still holds")
_ASKING = re.compile(r"\b(?:ask|asking|mark|note|find out|check|decide|see|learn|list|discuss|agree|write down|wonder)"
                     r"(?:\s+(?:them|him|her|each|yourself|people))?\W*$", re.I)
# an indirect question's list ("…: who was eligible, who was put forward, who decided"): asks, reports nothing
_ASKED = re.compile(r"^\W*(?:who|what|which|where|when|how|whether)\b", re.I)
_DATED = re.compile(r"\b(?:since|last|back in|in early|in late|in mid-?)\s*(" + "|".join(
    m.capitalize() for m in sorted(MONTHS)) + r")\b(?!\s+\d)")
_COUNTED = re.compile(r"(?:starting|beginning) with|including|especially", re.I)
# a capitalised word where a person is brought in ("ideally Lena", "starting with Darren", "Priya, who …"), not
# a tool a step proposes ("a shared Google Sheet", "use Trello")
_NAME = re.compile(r"(?:\b(?:ideally|starting with|beginning with|especially|including|with|ask|tell|and|like)\s+)"
                   r"([A-Z][a-z]{2,})\b(?!\s+[A-Z])|\b([A-Z][a-z]{2,})(?=,\s+(?:who|whose|whom)\b)|"
                   r"\byour\s+(?:[a-z-]+\s+){1,2}?([A-Z][a-z]{2,})\b(?!\s+[A-Z]|['’]?\w)")   # "your head chef Marco"
_NOT_NAME_ENDINGS = ("ing", "ed", "ly", "tion", "ment", "ness")


def new_number(clause: str, situation: str, passages: list[str]) -> str | None:
    """A number in ``clause`` (digits) that neither the situation nor the passages hold anywhere."""
    for n in re.findall(r"\b\d+(?:[.,:]\d+)?\b", clause):
        pattern = re.compile(r"(?<![\d.,:])" + re.escape(n) + r"(?![\d]|[.,:]\d)")
        if not pattern.search(situation) and not any(pattern.search(p) for p in passages):
            return n
    return None


def new_name(text: str, theirs: set[str], corpus_text: str, passages: list[str]) -> str | None:
    """A first name ("ideally Lena", "starting with Darren") that the manager (``theirs``: the lowercased words
    of their situation), the corpus and the cited passages never wrote: a person the answer brought in."""
    corpus = None
    for m in _NAME.finditer(text):
        g = next(i for i in (1, 2, 3) if m.group(i))
        found, at = m.group(g), m.start(g)
        before = text[:at].rstrip()
        w = found.lower()
        if not before or before[-1] in ".!?:*\n\"“" or w.endswith(_NOT_NAME_ENDINGS) or w in theirs or w in CALENDAR:
            continue
        if corpus is None:   # the whole corpus, lowered only when a name is left to look up
            corpus = (corpus_text or "").lower()
        if re.search(rf"\b{w}\b", corpus) or any(w in p.lower() for p in passages):
            continue
        return f"not in your situation: the name {found}"
    return None


@lru_cache(maxsize=1)
def _lead_stems() -> frozenset[str]:
    from .signals import content_stems

    return frozenset(content_stems(_LEAD_WORDS))


def reported_aside(text: str, scenario: str, corpus_text: str, passages: list[str]) -> str | None:
    """An aside that reports a fact of the manager's world their situation does not hold: a month they never
    named, a counted group with a number of its own, or ASIDE_NEW_WORDS words that are neither theirs nor the
    cited passages' nor coaching's own."""
    from .signals import content_stems
    from .support import coaching_stems

    bare = _QUOTE.sub(" ", text)   # the manager's quoted words are checked as quotations
    if not scenario.strip() or bare.rstrip().endswith("?"):
        return None   # no situation to check against; a question reports nothing
    theirs = {w.lower() for w in re.findall(r"[A-Za-z]+", scenario)}
    name = new_name(bare, theirs, corpus_text, passages)
    if name:
        return name
    dated = _DATED.search(bare)   # "since January", "last March": a date of theirs the manager never gave
    if dated and dated.group(1).lower() not in theirs and not any(dated.group(1) in p for p in passages):
        return f"not in your situation: {dated.group(1)} (“{dated.group(0)}”)"
    known = (set(content_stems(scenario)) | coaching_stems() | _lead_stems()
             | {s for p in passages for s in content_stems(p)})
    for m in _ASIDE.finditer(bare):
        aside = m.group(1).strip()
        comma = m.group(0).lstrip().startswith(",")
        before = bare[:m.start()]
        if _YOU_TOLD.match(aside) or (not comma and (_ANYONE.search(before) or _ASKING.search(before))) \
                or _ASKED.match(re.split(r"[,:;]", before)[-1]):
            continue
        month = next((w for w in re.findall(r"[A-Z][a-z]+", aside) if w.lower() in MONTHS and w.lower() not in theirs),
                     None)
        if month and _REPORTS.search(aside):
            return f"not in your situation: {month} (“{aside[:80]}”)"
        if _COUNTED.match(aside):
            number = new_number(aside, scenario, passages)
            if number:
                return f"not in your situation: the number {number} (“{aside[:80]}”)"
        told = _PRESENT_PASSIVE.sub(" ", aside)
        if not ((_REPORTS if comma else _AUX).search(told) or (not comma and _SUBJECT_PAST.match(aside))):
            continue
        new = sorted(set(content_stems(aside)) - known)
        if len(new) >= tuning.ASIDE_NEW_WORDS:
            return f"not in your situation: {', '.join(new[:4])} (“{aside[:80]}”)"
    return None


__all__ = ["reported_aside", "new_name", "new_number", "CALENDAR", "MONTHS"]
