"""What the manager asks and what they intend to do: the two parts of a situation an answer must meet first.

A coach answers the question it was asked before anything else ("should I run an offsite?") and weighs
the plan the manager already has ("I'm thinking of a team dinner"). Both are read here as slices of
the manager's own words, so the answer can quote them back exactly and the checker can verify them
as theirs. Cues, not a model: a direct question is a sentence that ends in "?" (or opens like one) and
is asked of the coach, not quoted from someone else; an intended action follows a first-person cue of
intent ("I will", "I plan to", "I'm thinking of", "I've booked"). Measured on the situations of
``evals/coaching.yaml`` (``python -m training.plan_check``), writer groups w9a/w9b written before the
cues and w9c/w9d held out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..common.text import sentence_spans

# a question the manager asks (of the coach or of themselves), by how it opens; "?" alone also counts
_ASKS = re.compile(
    r"\b(?:should|shall|do|does|did|can|could|would|will|is|are|am|was|were|must|have|has)\s+(?:i|we|you|it|this|that|"
    r"there|they|he|she|my|our)\b|\b(?:how|what|which|where|when|why|who)\b|\b(?:i|we)\s+(?:should|must|need)\b|"
    r"^\W*(?:should|shall|do|does|did|can|could|would|will|is|are|am|was|were|must|have|has)\b", re.I)
# words in quotation marks are someone else's: "she asked “why bother?”" is not the manager's question
_QUOTED = re.compile(r"[“\"‘][^”\"’]*[”\"’]")
# first-person intent, strongest first: a plan said as a plan ("I plan to", "I'm thinking of", "I've booked")
# beats a bare future ("I'll", "I will", "I want to"), which is often a way of speaking ("I'll be honest")
_ME = r"\b(?:i|we)\s*(?:['’]?\s*(?:m|re|ve|d)\b|\s+(?:am|are|have|had|was|were))?\s*(?:already\s+|now\s+|just\s+|" \
      r"probably\s+|seriously\s+|finally\s+|also\s+)?"
_INTENT_STRONG = re.compile(
    _ME + r"(?:going to|gonna|planning(?: to| on)?|plan to|intend to|intending to|thinking (?:of|about|to)|considering|"
    r"about to|decided to|would like to|'d like to|’d like to)\b"
    r"|\b(?:i|we)\s*(?:['’]?ve|\s+have)\s+(?:already\s+|just\s+)?(?:booked|drafted|arranged|scheduled|blocked|"
    r"organi[sz]ed|signed (?:up|us up)|set up|put together|put in (?:a|an|for)|applied for|asked for|started|decided)\b"
    r"|\bmy (?:plan|idea|intention) is(?: to)?\b|\bthe plan is(?: to)?\b|\b(?:i|we) plan\b", re.I)
# "I'll", "we'll" and the unpunctuated "Ill" (never "well": the apostrophe or a capital I is required)
_INTENT_WEAK = re.compile(r"\b(?:i|we)\s*['’]ll\b|\b(?-i:Ill)\b|\b(?:i|we)m\s+going\b|\b(?:i|we) will\b|"
                          r"\b(?:i|we) want to\b", re.I)
# a future that is a way of speaking, not a plan
_NOT_A_PLAN = re.compile(r"^\W*(?:\w+\W+){0,3}?(?:be honest|be frank|admit|say|tell you|talk about|describe|explain|"
                         r"be fixing|never|retire|lose|be)\b", re.I)
# a request to the coach is not a plan, however it is cued ("I would like to humbly ask for your advice")
_REQUEST = re.compile(r"^\W*(?:\w+\W+){0,2}?(?:ask (?:for )?(?:your |some )?(?:advice|help|opinion|view)|ask you|"
                      r"hear (?:your|what)|know (?:your|what|if|whether))\b", re.I)
_STOP_AT = re.compile(r"(?:\s+(?:but|because|although|though|unless)\b|\s+[—–]\s+|;)", re.I)


@dataclass(frozen=True)
class Ask:
    """A slice of the manager's text: its words and where they stand."""

    text: str
    start: int
    end: int


def _sentences(text: str) -> list[tuple[int, int, str]]:
    return [(a, b, text[a:b]) for a, b in sentence_spans(text)]


def question(text: str) -> Ask | None:
    """The manager's direct question: the last question sentence that is theirs (not in quotation marks)."""
    found = None
    for a, _b, s in _sentences(text):
        bare = _QUOTED.sub("", s)
        if "?" not in bare:
            continue
        # a sentence may hold a statement and then the question: keep from the question's opening
        parts = re.split(r"(?<=[.!:;])\s+|(?<=,)\s+(?=(?:so|and|but)\s+(?:should|do|is|am|can|how|what)\b)", s)
        q = next((p for p in reversed(parts) if "?" in _QUOTED.sub("", p)), s).strip()
        if _ASKS.search(q) or len(q.split()) <= 12:
            start = text.find(q, a)
            found = Ask(q, start, start + len(q))
    return found


def intended_action(text: str) -> Ask | None:
    """What the manager says they will do (or have set up to do): from the first cue of intent to the
    end of its clause. Questions are not plans ("should I run an offsite?" is the question)."""
    for cue in (_INTENT_STRONG, _INTENT_WEAK):
        for a, _b, s in _sentences(text):
            bare = _QUOTED.sub(lambda m: " " * len(m.group(0)), s)
            if "?" in bare:
                continue
            m = cue.search(bare)
            if not m or (cue is _INTENT_WEAK and _NOT_A_PLAN.match(bare[m.end():])) or _REQUEST.match(bare[m.end():]):
                continue
            rest = s[m.end():]
            stop = _STOP_AT.search(rest)
            span = s[m.start(): m.end() + (stop.start() if stop else len(rest))].strip().rstrip(".!,")
            if len(span.split()) < 4:
                continue
            start = text.find(span, a)
            return Ask(span, start, start + len(span))
    return None


__all__ = ["Ask", "question", "intended_action"]
