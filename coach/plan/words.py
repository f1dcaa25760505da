"""The manager's own words as a plan uses them: their problems quoted short, their people, their numbers.

A step that applies an idea to *this* team names this team's people and numbers ("hold a 1-on-1 with
each of your pickers", "the 40 minutes you mention"), so the slots of a practice's step forms are
filled from the situation's own words, never invented: the checker verifies each as the manager's.
What must never be quoted back is marked by the reading (``Clause.quotable``, ``coach.reading.quotable``).
"""
from __future__ import annotations

import re

from ..common.text import words

QUOTE_MAX_WORDS = 14   # a problem quoted back: long enough to recognise, short enough not to fill the answer
_TRAIL = re.compile(r"[\s.!?,;:]+$")
_TAIL_JOIN = re.compile(r"(?:[\s,]+(?:and|but|or|then|and then|so|because|which|who|when|while|as|that)|,\s*so)+$", re.I)
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
    if q[:1].isupper() and not q[:2].isupper() and not re.match(r"I\b", q) and not _is_name(q.split()[0]):
        q = q[0].lower() + q[1:]
    return f"“{q}{'…' if cut else ''}”"


def _is_name(word: str) -> bool:
    return bool(re.fullmatch(r"[A-Z][a-z]+", word)) and word.lower() not in _COMMON_CAPS


_COMMON_CAPS = set("the a an my our we i they he she it this that there when since after before every each most "
                   "some our last next today yesterday now then so but and or still yet however also".split())

# -- their people ------------------------------------------------------------------------------------
_GROUP = (r"team|staff|crew|people|employees|workers|reports|direct reports|colleagues|squad|department|shift|"
          r"leads|supervisors|managers|cooks|chefs|nurses|agents|reps|techs|carers|guards|porters|clerks|coaches|"
          r"interns|apprentices|trainees|hires|recruits|juniors|seniors|volunteers|officers|crews|teams|lads|"
          r"engineers|developers|analysts|editors|drivers|pickers|cleaners|waiters|teachers|doctors|tellers")
_PLURAL_ROLE = r"[a-z]+(?:ers|ors|ists|ants|ents|ians|ees|ics|eons|ives|ards)"
_NOT_PEOPLE = set("numbers orders customers others members papers centers centres letters matters figures hours "
                  "parents partners brothers sisters fathers mothers daughters neighbours neighbors owners "
                  "investors competitors suppliers clients patients students residents visitors players fingers "
                  "shoulders quarters headquarters computers servers printers trailers containers markers "
                  "standards records rules results targets projects reports".split())
_MODIFIER = r"(?!(?:is|are|was|were|be|been|have|has|had|and|but|or|who|that|which|do|does|did|not|so|too|very)\b)[a-z-]+\s+"
_PEOPLE = re.compile(r"\b(?:my|our)\s+((?:" + _MODIFIER + r"){0,3}?(?:" + _GROUP + r"|" + _PLURAL_ROLE + r"))\b", re.I)


def people_of(text: str) -> str | None:
    """The manager's people as they name them ("my two supervisors" -> "your two supervisors"), or None."""
    for m in _PEOPLE.finditer(text):
        phrase = m.group(1).strip()
        head = phrase.split()[-1].lower()
        if head in _NOT_PEOPLE:
            continue
        return "your " + phrase
    return None


def slot_people(text: str) -> tuple[str, str]:
    """({people}, {each}) for a step form: "your pickers" / "each of your pickers", else the team."""
    p = people_of(text)
    if not p:
        return "your team", "each person on your team"
    head = p.split()[-1].lower()
    if head in ("team", "staff", "crew", "squad", "department", "shift"):
        return p, f"each person on {p}"
    return p, f"each of {p}"


# -- their numbers -----------------------------------------------------------------------------------
_UNIT = (r"%|percent|per cent|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|euros?|pounds?|dollars?|"
         r"€|£|\$|tonnes?|tons?|covers|shifts?|people|calls|orders|cases|tickets|complaints|errors|mistakes|"
         r"returns|deliveries|jobs|beds|patients|rooms|units|items|pallets|bookings|sales|points|times")
_NUMBER = re.compile(r"(?:[€£$]\s?\d[\d,.]*\s?[km]?|\b\d[\d,.]*\s?(?:" + _UNIT + r")\b(?:\s+(?:late|behind|over|short|"
                     r"a (?:day|week|month|night|shift)|per (?:day|week|month|shift)))?)", re.I)


def number_of(text: str) -> str | None:
    """A number with its unit the manager wrote ("40 minutes late", "€2.4m"), word for word, or None."""
    m = _NUMBER.search(text)
    return m.group(0).strip() if m else None


def short_words(text: str, n: int = 8) -> str:
    return " ".join(words(text)[:n])


__all__ = ["quote_short", "people_of", "slot_people", "number_of", "QUOTE_MAX_WORDS"]
