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


_LIST_NUMBER = re.compile(r"\s*(?:\*\*|#{1,6}\s*)?\(?\d{1,3}[.)]")   # "6.", "**2.", "### 3."
_BLOCK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*(?:[-*+] |\d+[.)] |#|>))")
# a heading line ("### Keeping the values", "**2. Nobody is ready to follow you**") ends its block even when the
# next line follows it directly: a model's heading is not the first words of the sentence under it
_HEADING_END = re.compile(r"(?m)^[ \t]*(?:#{1,6}[ \t][^\n]*|\*\*[^\n]*\*\*[ \t]*)(\n)")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``, so callers can mark a sentence in place.

    Blocks (paragraphs, list items, headings, quote lines) never share a sentence; inside a block,
    a sentence ends at . ! or ? followed by space and a capital, unless the word before is an
    abbreviation or an initial ("Dr.", "John C. Maxwell").
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    bounds = sorted({(m.start(), m.end()) for m in _BLOCK.finditer(text)}
                    | {(m.start(1), m.end(1)) for m in _HEADING_END.finditer(text)}) + [(len(text), len(text))]
    for b_start, b_end in bounds:
        if b_start < pos:
            continue   # a heading's newline that also opened a blank line: one bound
        block = text[pos:b_start]
        start = 0
        for m in _SPLIT.finditer(block):
            end = m.start() + len(m.group(1))
            before = re.sub(r"[\"”’)*_\]]+$", "", block[start:m.start()]).rstrip(".!?").split()
            last = before[-1].lower() if before else ""
            if last in _ABBREV or (len(last) == 1 and last.isalpha()):
                continue
            if _LIST_NUMBER.fullmatch(block[start:m.start()]):
                continue  # "6. Once the grill is hot": a list number, not a sentence of its own
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


_KEEP_S = ("ss", "us", "is", "ous")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper, so "sprinkled", "sprinkles" and "sprinkle" meet on one key.

    Porter-like but deliberately small: plural and tense endings and a final "e" go, a doubled last
    consonant is undoubled ("running" -> "run"); irregular forms are left as they are.
    """
    w = word.lower()
    if len(w) <= 3 or not w.isalpha():
        return w
    for suf, rep in (("ational", "ate"), ("ization", "ize"), ("iness", "y"), ("ies", "y"), ("ied", "y"),
                     ("ingly", ""), ("edly", ""), ("ing", ""), ("ed", ""), ("es", "e"), ("s", ""), ("ly", "")):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            if suf == "s" and w.endswith(_KEEP_S):
                break
            w = w[: -len(suf)] + rep
            break
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]
    return w


_NUM_WORDS: dict[str, float] = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUM_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
                   "hundred": 100, "thousand": 1000, "dozen": 12, "half": 0.5, "twice": 2, "double": 2, "triple": 3})
_SCALE = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "k": 1e3, "m": 1e6, "bn": 1e9}
_NUM_TOKEN = re.compile(
    r"(?<![\w.])[-+]?\$?\s?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|\.\d+)(?:\s*(%|percent\b|per cent\b|"
    r"hundred\b|thousand\b|million\b|billion\b|trillion\b|k\b|m\b|bn\b))?", re.I)
_NUM_WORD_RE = re.compile(r"\b(" + "|".join(sorted(_NUM_WORDS, key=len, reverse=True)) + r")\b(?:[\s-]+(million|billion|thousand|hundred)\b)?", re.I)


def number_values(text: str) -> list[tuple[str, float]]:
    """(as written, value) of every quantity in ``text``: "41 percent" and "41%" are both 41.0,
    "$49,400" is 49400.0, "1.5 million" is 1500000.0, "four" is 4.0. Years are numbers too."""
    out: list[tuple[str, float]] = []
    for m in _NUM_TOKEN.finditer(text):
        val = float(m.group(1).replace(",", ""))
        unit = (m.group(2) or "").lower()
        if unit in _SCALE:
            val *= _SCALE[unit]
        out.append((m.group(0).strip(), val))
    for m in _NUM_WORD_RE.finditer(text):
        w = m.group(1).lower()
        if w in ("half", "double", "twice", "triple", "one"):  # too often not a quantity ("one of the ...")
            continue
        val = float(_NUM_WORDS[w]) * (_SCALE.get((m.group(2) or "").lower(), 1))
        out.append((m.group(0), val))
    return out


def same_number(a: float, b: float) -> bool:
    """Equal values, allowing the rounding an answer does ("23.70" vs "23.7", "49,400" vs "49.4 thousand")."""
    if a == b:
        return True
    big = max(abs(a), abs(b))
    return big > 0 and abs(a - b) / big < 0.005


# -- content words: what BM25 (retrieve) and the support check (verify) compare ----------------------
_STOP = set(
    "a an the and or but if of to in on at for with from by about as is are was were be been being it its this "
    "that these those they them their there here we our you your i me my he she his her not no so do does did "
    "have has had can could would should will may might must also just than then what who how when why which "
    "each every all any both more most very such into onto over under up down out off only own same too".split()
)

def _stem(w: str) -> str:
    for suf in ("ing", "ers", "er", "es", "ed", "ly", "s"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)]
    return w


def content_words_list(text: str) -> list[str]:
    return [_stem(w) for w in words(text) if w not in _STOP and len(w) > 2]


@lru_cache(maxsize=8192)
def content_words(text: str) -> frozenset[str]:
    """Cached: the same cited passages are compared with every sentence of an answer."""
    return frozenset(content_words_list(text))


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and ``word`` in agreement: "1 claim", "2 claims", "0 claims" (``many``: an irregular plural)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


# -- citations -----------------------------------------------------------------------------------
CITE_RE = re.compile(r"\[\s*(S\d+(?:\s*[,;]\s*S?\d+)*)\s*\]")


def cited_ids(text: str) -> list[str]:
    """Every marker in order, ``[S1, S3]`` expanded to S1, S3."""
    out = []
    for m in CITE_RE.finditer(text):
        for part in re.split(r"\s*[,;]\s*", m.group(1)):
            out.append(part if part.upper().startswith("S") else f"S{part}")
    return [o.upper() for o in out]
