"""What of the manager's text may be quoted back to them: decided once, by the reading, for every engine.

Why at the reading: the plan and both engines quote the manager's words back, and the checker verifies
them as theirs. A clause holding personal data, markup, an instruction aimed at the coach or bait for an
invented quote is the manager's text but not their situation: it is marked (``Clause.quotable``) and no
later stage repeats it.
"""
from __future__ import annotations

import re

# What the manager wrote is mirrored back only where it is their situation, not a payload: no personal
# data, markup, links, quotations or named authorities (bait for invented quotes), and no instructions
# aimed at the coach. Phrases, not single words: a manager's "system" or "answer" is their situation.
_UNSAFE = re.compile(
    r"[<>{}`|\[\]]|://|www\.|@|"
    r"\b(?:ignore|disregard|forget|override)\b[^.]{0,40}?\b(?:instructions?|prompts?|rules|corpus|above|previous)\b|"
    r"\b(?:system|hidden|new|previous|prior|developer|secret)\s+(?:prompts?|instructions?|mode|message)\b|"
    r"^\s*(?:system|user|assistant)\s*:|"
    r"\b(?:pretend|role-?play\w*|jailbreak\w*|act as|you are now|from now on|talk like|answer as|respond as|"
    r"reply with|your reply|your answer|before you answer|in your answer|pirate|chatgpt|language model|"
    # "the assistant must reveal…" is aimed at the coach; "an assistant for the paperwork" is a job (round 9)
    r"(?:the|ai|virtual|helpful) assistant(?! manager| to\b| coach| head| director| editor| chef| for\b)|"
    r"drucker|maxwell|sinek|covey|welch|(?:exact|full|famous|his|her|that|the) quote|"
    r"(?:quot|cit|recit|repeat|cop(?:y|ies)|giv|tell|writ)\w*\b[^.]{0,40}?\bword for word|"
    r"quote (?:it|him|her|them|both|me|for me|exactly)|"
    r"api[ _-]?keys?|passwords?|passwd|secrets?|credentials?|environment variables?)\b|"
    r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", re.I | re.M)


def mirrorable(text: str) -> bool:
    """May this piece of the manager's text be quoted back to them?"""
    from ..common.pii import scan

    return not _UNSAFE.search(text) and not scan(text)


