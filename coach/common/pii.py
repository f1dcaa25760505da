"""Finding and replacing personal data in a case before it leaves this machine.

Why: coaches are asked to anonymize their cases, and sometimes forget. The batch runner asks this
module, for every case bound for a remote model, whether it still carries direct identifiers: an
e-mail address, a phone number, a bank account (IBAN), a payment-card number, a national id number,
or a link to a person's social-media profile. Such a case is held back (``coach batch`` marks it
``skipped`` and says which *kinds* were found, never the values), or, when the user asks for it,
the identifiers are replaced by placeholders such as ``[EMAIL]`` before anything is sent.

The detectors favour recall on the things that identify a person directly and use checksums where
the format has one (IBAN mod-97, card Luhn) so that ordinary numbers in a management story
("a 12-person team", "budget 1,200,000", "2019-2023", "Q3 2024") are not mistaken for them.
Names are deliberately *not* detected: a name detector without a model is either useless or
flags every capitalised word, and the corpus itself talks about Drucker and Maxwell.

Standard library at import time (python-stdnum's IBAN registry and Luhn check load on the first
candidate that needs them), so importing it costs nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# kind -> placeholder. The order is the order of precedence when two detectors claim the same text
# (a card number is also a long digit run that could look like a phone number).
PLACEHOLDERS: dict[str, str] = {
    "email": "[EMAIL]",
    "profile_url": "[PROFILE_URL]",
    "iban": "[IBAN]",
    "card": "[CARD]",
    "national_id": "[ID_NUMBER]",
    "phone": "[PHONE]",
}
KINDS = tuple(PLACEHOLDERS)

# Human-readable names for messages and the report.
LABELS: dict[str, str] = {
    "email": "e-mail address",
    "profile_url": "personal profile link",
    "iban": "bank account (IBAN)",
    "card": "payment card number",
    "national_id": "national id number",
    "phone": "phone number",
}
PLURALS: dict[str, str] = {
    "email": "e-mail addresses",
    "profile_url": "personal profile links",
    "iban": "bank accounts (IBAN)",
    "card": "payment card numbers",
    "national_id": "national id numbers",
    "phone": "phone numbers",
}


@dataclass(frozen=True)
class Finding:
    """One identifier found in a text: its kind and where it is (the value is never reported)."""

    kind: str
    start: int
    end: int


@dataclass
class Redaction:
    """A text with its identifiers replaced, and how many of each kind were replaced."""

    text: str
    counts: dict[str, int]

    @property
    def kinds(self) -> list[str]:
        return [k for k in KINDS if self.counts.get(k)]


# -- detectors ----------------------------------------------------------------------------------
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)
# Obfuscated addresses: "jane [at] example.com", "jane(at)example(dot)com", "jane dot doe at example dot com".
_TLD = r"(?:com|org|net|edu|gov|io|co|de|uk|fr|nl|es|it|ch|at|be|se|dk|no|fi|pl|eu|info|biz)\b"
_SPELLED_DOT = r"\s*(?:\[dot\]|\(dot\)|\{dot\}|\sdot\s)\s*"
_LOCAL = r"(?<![\w.])[a-z0-9][a-z0-9._-]*(?:" + _SPELLED_DOT + r"[a-z0-9_-]+)*"
_EMAIL_OBFUSCATED = re.compile(
    r"(?i)" + _LOCAL + r"\s*(?:\[at\]|\(at\)|\{at\})\s*[a-z0-9-]+(?:(?:\.|" + _SPELLED_DOT + r")[a-z0-9-]+)*(?:\.|" + _SPELLED_DOT + r")" + _TLD
    + r"|(?i:" + _LOCAL + r"\sat\s[a-z0-9-]+(?:" + _SPELLED_DOT + r"[a-z0-9-]+)*" + _SPELLED_DOT + _TLD + r")"
)
_PROFILE_URL = re.compile(
    r"(?i)(?:https?://)?(?:[a-z]{2,3}\.)?(?:www\.)?"
    r"(?:linkedin\.com/(?:in|pub)/|(?:twitter|x|facebook|fb|instagram|github|gitlab|medium|threads\.net|tiktok)\.com/@?|"
    r"t\.me/|wa\.me/|threads\.net/@?|bsky\.app/profile/|youtube\.com/(?:@|c/|user/))"
    r"[A-Za-z0-9_.%-]{2,}[/\w.%-]*"
)
_IBAN = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?)(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
# US SSN (not 000/666/9xx area, not 00 group, not 0000 serial) and UK National Insurance numbers.
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_NINO = re.compile(r"(?<![A-Za-z0-9])(?![DFIQUV])[A-CEGHJ-PR-TW-Z](?![DFIQUVO])[A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])")
# Phone candidates: an optional + or 00 prefix, then digits with the separators people type.
_PHONE = re.compile(r"(?<![\w+.\-/])(?:\+|00)?\(?\d[\d \t().\-/]{5,22}\d(?![\w])")
_DATE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$")
_YEAR_RANGE = re.compile(r"^(?:19|20)\d\d\s*[-/]\s*(?:19|20)?\d\d$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:[.,\s]\d{3})+$")
_LOCAL_US = re.compile(r"^\d{3}[-.]\d{4}$")


def _luhn_ok(digits: str) -> bool:
    """Luhn checksum of a card-number candidate (python-stdnum; imported here so that importing this
    module stays free for a case without digit runs)."""
    from stdnum import luhn

    return bool(luhn.is_valid(digits))


def _iban_ok(candidate: str) -> bool:
    """Mod-97 checksum plus the country's length and format from python-stdnum's IBAN registry.

    ``check_country=False``: the national check digits inside the BBAN are not asked for, so an IBAN
    whose country part is well formed counts, as it did with the hand-kept length table before."""
    from stdnum import iban

    return bool(iban.is_valid(candidate, check_country=False))


def _phone_ok(candidate: str) -> bool:
    """Is this digit run a phone number rather than a date, a year range, an amount or a count?"""
    c = candidate.strip()
    digits = re.sub(r"\D", "", c)
    international = c.startswith("+") or (c.startswith("00") and len(digits) >= 10)
    if _DATE.match(c) or _YEAR_RANGE.match(c) or (_THOUSANDS.match(c) and not international):
        return False
    if "/" in c and not international and len(digits) < 10:
        return False  # 12/03/24-style fragments
    if international:
        return 8 <= len(digits) <= 15
    if _LOCAL_US.match(c):
        return True
    if 9 <= len(digits) <= 13:
        # A bare digit run must start like a trunk or mobile prefix (0...) or be exactly US-sized.
        if re.fullmatch(r"\d+", c):
            return c.startswith("0") or len(digits) == 10
        return True
    return False


def _candidates(text: str) -> list[Finding]:
    found: list[Finding] = []
    for m in _EMAIL.finditer(text):
        found.append(Finding("email", m.start(), m.end()))
    for m in _EMAIL_OBFUSCATED.finditer(text):
        found.append(Finding("email", m.start(), m.end()))
    for m in _PROFILE_URL.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in ".,;:!?)":  # sentence punctuation after a link
            end -= 1
        found.append(Finding("profile_url", m.start(), end))
    for m in _IBAN.finditer(text):
        if _iban_ok(m.group(1)):
            found.append(Finding("iban", m.start(1), m.end(1)))
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _luhn_ok(digits) and len(set(digits)) > 1:
            found.append(Finding("card", m.start(), m.end()))
    for m in _SSN.finditer(text):
        found.append(Finding("national_id", m.start(), m.end()))
    for m in _NINO.finditer(text):
        found.append(Finding("national_id", m.start(), m.end()))
    for m in _PHONE.finditer(text):
        start, end = m.start(), m.end()
        value = m.group()
        # Trim a trailing separator run and an unbalanced "(" the pattern may have swallowed.
        stripped = value.rstrip(" \t.-/(")
        end = start + len(stripped)
        if value.startswith("(") and ")" not in stripped:
            start += 1
            stripped = stripped[1:]
        if _phone_ok(stripped):
            found.append(Finding("phone", start, end))
    return found


def scan(text: str | None) -> list[Finding]:
    """The identifiers in ``text``, without overlaps, in order of position."""
    if not text:
        return []
    rank = {k: i for i, k in enumerate(KINDS)}
    picked: list[Finding] = []
    for f in sorted(_candidates(text), key=lambda f: (rank[f.kind], f.start, -(f.end - f.start))):
        if all(f.end <= p.start or f.start >= p.end for p in picked):
            picked.append(f)
    return sorted(picked, key=lambda f: f.start)


def kinds_found(text: str | None) -> dict[str, int]:
    """kind -> how many, for the identifiers in ``text`` (empty when there are none)."""
    counts: dict[str, int] = {}
    for f in scan(text):
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return {k: counts[k] for k in KINDS if k in counts}


def redact(text: str) -> Redaction:
    """``text`` with every identifier replaced by its placeholder (``[EMAIL]``, ``[PHONE]``, ...)."""
    findings = scan(text)
    out: list[str] = []
    pos = 0
    counts: dict[str, int] = {}
    for f in findings:
        out.append(text[pos:f.start])
        out.append(PLACEHOLDERS[f.kind])
        counts[f.kind] = counts.get(f.kind, 0) + 1
        pos = f.end
    out.append(text[pos:])
    return Redaction("".join(out), {k: counts[k] for k in KINDS if k in counts})


# Parts of a result that come from the corpus or the program, not from the user or a model: they are
# left as they are, so a passage is quoted exactly and a content hash is never mistaken for a number.
CORPUS_KEYS = frozenset({"sources", "lens", "passage_id", "scenario_sha", "finished_at", "schema_version"})


def redact_deep(value: Any, counts: dict[str, int] | None = None, skip: frozenset[str] = CORPUS_KEYS) -> Any:
    """A copy of ``value`` (dicts, lists, strings) with every identifier in every string replaced.

    Why deep rather than field by field: a file that leaves the machine (the batch report, the page's
    downloads) carries the user's text in many places (the situation, the answer that may echo it,
    quotes, notices, carried-through fields, even ids), and a field-by-field list would miss the next
    one somebody adds. ``counts`` (if given) is increased by what was replaced.
    """
    if isinstance(value, str):
        red = redact(value)
        if counts is not None:
            for k, n in red.counts.items():
                counts[k] = counts.get(k, 0) + n
        return red.text
    if isinstance(value, dict):
        return {(redact_deep(k, counts, skip) if isinstance(k, str) else k): (v if k in skip else redact_deep(v, counts, skip))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_deep(v, counts, skip) for v in value]
    return value


def describe(counts: dict[str, int]) -> str:
    """'2 e-mail addresses, 1 phone number': kinds and counts, never the values."""
    parts = []
    for kind in KINDS:
        n = counts.get(kind, 0)
        if n:
            parts.append(f"{n} {LABELS[kind] if n == 1 else PLURALS[kind]}")
    return ", ".join(parts)


__all__ = ["Finding", "Redaction", "KINDS", "PLACEHOLDERS", "LABELS", "scan", "kinds_found", "redact", "redact_deep", "describe"]
