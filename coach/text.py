"""Small text helpers shared by ingest, the quote finder and the verifier.

One sentence splitter and one normaliser, so that "the same words" means the same thing everywhere.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_ABBREV = {"dr", "mr", "mrs", "ms", "st", "jr", "sr", "prof", "vs", "etc", "e.g", "i.e", "inc", "no", "fig"}
# a sentence ends at . ! ? plus closing quotes and any citation markers that follow ("… right.” [S2])
_SPLIT = re.compile(
    r"(?<=[.!?])([\"”’)*_\]]*(?:\s*\[\s*S\d+(?:\s*[,;]\s*S?\d+)*\s*\])*)\s+(?=(?!\[\s*S\d)[\"“‘(\[*_]?[A-Z0-9#*>\-])"
)
_QUOTE_MAP = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "..."})
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


_BLOCK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*(?:[-*+] |\d+[.)] |#|>))")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``, so callers can mark a sentence in place.

    Blocks (paragraphs, list items, headings, quote lines) never share a sentence; inside a block,
    a sentence ends at . ! or ? followed by space and a capital, unless the word before is an
    abbreviation or an initial ("Dr.", "John C. Maxwell").
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    bounds = [(m.start(), m.end()) for m in _BLOCK.finditer(text)] + [(len(text), len(text))]
    for b_start, b_end in bounds:
        block = text[pos:b_start]
        start = 0
        for m in _SPLIT.finditer(block):
            end = m.start() + len(m.group(1))
            before = re.sub(r"[\"”’)*_\]]+$", "", block[start:m.start()]).rstrip(".!?").split()
            last = before[-1].lower() if before else ""
            if last in _ABBREV or (len(last) == 1 and last.isalpha()):
                continue
            _add(spans, block, pos, start, end)
            start = m.end()
        _add(spans, block, pos, start, len(block))
        pos = b_end
    return spans


def _add(spans, block, offset, start, end):
    piece = block[start:end]
    if piece.strip():
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece.rstrip())
        spans.append((offset + start + lead, offset + start + trail))


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping abbreviations ("Dr.", "John C. Maxwell") intact."""
    return [" ".join(text[s:e].split()) for s, e in sentence_spans(text)]


@lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """Fold case, quote styles, dashes and white space, so quote matching ignores typography.

    Cached: the verifier folds the same cited passages and corpus text for every sentence."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_MAP).lower()
    return " ".join(text.split())


def words(text: str) -> list[str]:
    """Lower-case word tokens, typography folded."""
    return _WORD.findall(normalize(text))


@lru_cache(maxsize=8192)
def word_key(text: str) -> str:
    """Words only, joined by single spaces: punctuation-blind, for substring tests of quotes.

    Cached: every quote of every answer is tested against every corpus passage."""
    return " ".join(words(text))
