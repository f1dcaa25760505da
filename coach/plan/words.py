"""The manager's own words as a plan uses them: their problems quoted short, their people, their numbers.

A step that applies an idea to *this* team names this team's people and numbers ("hold a 1-on-1 with
each of your pickers", "the 40 minutes you mention"), so the slots of a practice's step forms are
filled from the situation's own words, never invented: the checker verifies each as the manager's.
What must never be quoted back is marked by the reading (``Clause.quotable``, ``coach.reading.quotable``).
"""
from __future__ import annotations

import re

from ..common.text import words
from ..common.words import alternation, word_list

# -- their people ------------------------------------------------------------------------------------
_GROUP = alternation(__file__, "groups")  # what a manager calls their people: coach/plan/words.yaml
_PLURAL_ROLE = r"[a-z]+(?:ers|ors|ists|ants|ents|ians|ees|ics|eons|ives|ards)"
_NOT_PEOPLE = set(word_list(__file__, "not_people"))
# a word before the group's name ("my two senior *engineers*"): not a verb or a preposition, or "my boss wants",
# "my co-founder says people" and "from me and my brother to twenty-five people" read as people
_MODIFIER = (r"(?!(?:is|are|was|were|be|been|have|has|had|and|but|or|who|that|which|do|does|did|not|so|too|very|"
             r"says|said|wants|thinks|tells|told|asks|asked|to|of|in|for|with|from|at|on|by|about|than)\b)[a-z-]+\s+")
_HEAD = r"(?:" + _GROUP + r"|" + _PLURAL_ROLE + r")"
_PEOPLE = re.compile(r"\b(?:my|our)\s+((?:" + _MODIFIER + r"){0,3}?" + _HEAD + r")\b", re.I)
_NEXT_HEAD = re.compile(r"\s+(" + _HEAD + r")\b", re.I)


# counted or named as a group without "my": "12 pickers", "four store managers", "the pickers are idle"
_COUNT = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty)"
_GROUP_PLURAL = r"(?:" + "|".join(g for g in _GROUP.split("|") if g.endswith("s") and g not in ("reports", "people")) + r")"
_COUNTED = re.compile(r"\b(?:" + _COUNT + r"|the)\s+((?:(?!(?:is|are|was|were|and|but|or|other|client|customer)\b)[a-z-]+\s+)?" + _GROUP_PLURAL
                      + r")\b", re.I)


def people_of(text: str) -> str | None:
    """The manager's people as they name them ("my two supervisors" -> "your two supervisors", "12 pickers" ->
    "your pickers"), or None."""
    for m in _PEOPLE.finditer(text):
        phrase = m.group(1).strip()
        nxt = _NEXT_HEAD.match(text, m.end())
        if nxt and nxt.group(1).lower() not in _NOT_PEOPLE:  # the whole name: "my two team leads", not "my two team"
            phrase += " " + nxt.group(1)
        head = phrase.split()[-1].lower()
        if head in _NOT_PEOPLE:
            continue
        return "your " + phrase
    counted = _COUNTED.search(text)
    return "your " + counted.group(1).strip().lower() if counted else None


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


__all__ = ["people_of", "slot_people", "number_of"]
