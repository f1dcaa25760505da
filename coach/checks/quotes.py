"""Quotations in an answer: who is credited, and whether the corpus says those words, by that person.

Split out of ``coach.checks.answer`` (issue 15): the quote check is one of the three questions asked of every
answer, and the only one that needs the corpus's attributed statements. ``verify_corpus`` is the
corpus as this check and the support check read it (passages plus statements), re-read only when a
corpus file changes.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from ..feedback import Quote, Source
from ..corpus.statements import NAME_RE, Statement, contains_words, corpus_statements, speaker_key
from ..common.text import word_key, words

# quoted spans shorter than this ("the box", a title) are words in quotation marks, not a quotation
MIN_QUOTE_WORDS = 3
# a quotation may wrap onto the next line (Markdown soft wraps) but never spans a blank line
_QUOTE_RE = re.compile(r"“((?:(?!\n\s*\n)[^”])+?)”|\"((?:(?!\n\s*\n)[^\"])+?)\"")
_EPIGRAPH_RE = re.compile(r"^>\s*(.+?)\s*\n>?\s*[-–—]{1,2}\s*([A-Z][^\n]{2,60})$", re.M)
_PRONOUN_VERB = re.compile(r"\b(?:he|she|they)\s+(?:\w+ly\s+)?(?:said|says|claimed|wrote|put it|argued|noted)\b", re.I)
_LEADING_NOT_NAME = {
    "as", "my", "the", "in", "our", "when", "like", "according", "mentor", "author", "expert", "leadership",
    "management", "dr", "mr", "mrs", "ms", "prof", "while", "but", "and", "so", "if", "even", "then", "this",
    "that", "great", "good", "remember", "consider", "harvard", "to", "what", "for", "one", "a", "an",
}
_SAID = re.compile(r"\b(?:said|says|say|wrote|writes|put it|claimed|claims|argued|argues|noted|notes|quoted|"
                   r"stated|states|famously|according to|observed|remarked|once)\b", re.I)


# -- speakers in an answer -----------------------------------------------------------------------
def names_in(text: str, known: Iterable[str]) -> list[tuple[int, str]]:
    """(position, name) of people named in ``text``: known speakers by surname, others by shape."""
    found: list[tuple[int, str]] = []
    for m in NAME_RE.finditer(text):
        toks = m.group(1).split()
        while toks and toks[0].lower().strip(".") in _LEADING_NOT_NAME:
            toks = toks[1:]
        if len(toks) >= 2:
            found.append((m.start() + m.group(0).find(toks[0]), " ".join(toks)))
    for name in known:
        last = name.split()[-1]
        for m in re.finditer(rf"\b{re.escape(last)}\b", text):
            if not any(p <= m.start() < p + len(n) for p, n in found):
                found.append((m.start(), name))
    return sorted(found)


def speaker_for(answer: str, q_start: int, q_end: int, spans, known) -> str | None:
    sent = next(((s, e) for s, e in spans if s <= q_start < e), (max(0, q_start - 200), q_end))
    after = answer[q_end:q_end + 80]
    m = re.match(r"\s*[,.]?\s*(?:[-–—]{1,2}\s*|\(?(?:said|says|wrote|writes|claimed)\s+)([A-Z][\w.]*(?:\s+[A-Z][\w.]*){0,3})", after)
    if m:
        return m.group(1).rstrip(".,")
    names = names_in(answer[sent[0]:sent[1]], known)
    if names:
        # the name nearest to the quote, preferring one before it
        rel = q_start - sent[0]
        before = [n for n in names if n[0] < rel]
        if before:
            between = answer[sent[0] + before[-1][0]:q_start]
            # the name's words came before ("credit Maxwell with saying “…”, and note that “…”"): a second
            # quotation after them is someone else's unless the name's verb comes again
            if _QUOTE_RE.search(between) and not re.search(r"\b(?:he|she|they|also)\s+(?:said|says|adds?|added|"
                                                              r"continues?|wrote)\W*$", between, re.I):
                return None
            return before[-1][1]
        return names[0][1]
    if _PRONOUN_VERB.search(answer[sent[0]:q_start]):
        prev = names_in(answer[:sent[0]], known)
        if prev:
            return prev[-1][1]
    return None


# -- quotes --------------------------------------------------------------------------------------
@dataclass
class QuoteCorpus:
    statements: list[Statement]
    passages: list[Source]  # every corpus passage, for "in the corpus but not attributed"


def check_quote(text: str, speaker: str | None, corpus: QuoteCorpus, sources: list[Source]) -> Quote:
    src = next((s.id for s in sources if contains_words(s.text, text)), None)
    in_corpus = [p for p in corpus.passages if contains_words(p.text, text)]
    said = [s for s in corpus.statements if contains_words(s.text, text)]
    if speaker is None:
        if in_corpus:
            return Quote(None, text, src, True, "exact words from the corpus")
        return Quote(None, text, src, False, "not found in the corpus")
    key = speaker_key(speaker)
    own = [s for s in said if speaker_key(s.speaker) == key]
    if any(s.direct for s in own):
        return Quote(own[0].speaker, text, src, True, f"in the corpus, attributed to {own[0].speaker}")
    if own:
        return Quote(speaker, text, src, False,
                     f"the corpus reports this as {own[0].speaker}'s view in its own words, not as a direct quote")
    if said:
        return Quote(speaker, text, src, False, f"misattributed: the corpus attributes these words to {said[0].speaker}")
    if any(p.author and speaker_key(p.author) == key for p in in_corpus):
        return Quote(speaker, text, src, True, f"in the corpus, in an article by {speaker}")
    if in_corpus:
        return Quote(speaker, text, src, False, f"these words are in the corpus but not attributed to {speaker}")
    close = max(corpus.statements, default=None,
                key=lambda s: difflib.SequenceMatcher(None, word_key(s.text), word_key(text)).ratio())
    if close and difflib.SequenceMatcher(None, word_key(close.text), word_key(text)).ratio() >= 0.5:
        return Quote(speaker, text, src, False,
                     f"not the corpus's words: it quotes {close.speaker} as “{close.text}”")
    return Quote(speaker, text, src, False, f"not found in the corpus: it quotes no such words from {speaker}")


def find_quotes(answer: str, spans, known) -> list[tuple[int, int, str, str | None]]:
    """(start, end, text, speaker) of every quoted span of at least MIN_QUOTE_WORDS words."""
    out = []
    for m in _QUOTE_RE.finditer(answer):
        text = " ".join((m.group(1) or m.group(2)).split())
        if len(words(text)) < MIN_QUOTE_WORDS:
            continue  # scare quotes ("Leaderment") are not quotations
        out.append((m.start(), m.end(), text.rstrip(",").strip(), speaker_for(answer, m.start(), m.end(), spans, known)))
    for m in _EPIGRAPH_RE.finditer(answer):
        if not any(s <= m.start(1) < e for s, e, _, _ in out):
            out.append((m.start(1), m.end(1), m.group(1).strip("“”\" "), m.group(2).strip()))
    return sorted(out)


def is_attribution(answer: str, start: int, end: int, speaker: str | None, known) -> bool:
    """Is a quoted span credited to a person ("As Drucker said, “…”"), as opposed to a label or title?
    For answers from elsewhere only attributions are checked against the corpus's quotations."""
    if speaker is None:
        return False
    if any(speaker_key(speaker) == speaker_key(k) for k in known):
        return True
    around = answer[max(0, start - 120):start] + answer[end:end + 40]
    return bool(_SAID.search(around)) and speaker.lower() in around.lower()


def quote_from_situation(text: str, scenario: str | None) -> Quote | None:
    if scenario and contains_words(scenario, text):
        return Quote("the manager", text, None, True, "your own words, from your situation")
    return None


# -- the corpus as the checks read it -----------------------------------------------------------
def verify_corpus() -> QuoteCorpus:
    """Every corpus passage and attributed statement, re-read only when a corpus file changes."""
    from ..config import corpus_dir
    from ..corpus.documents import corpus_stamp

    folder = corpus_dir()
    return _load_corpus(str(folder), corpus_stamp(folder))


@lru_cache(maxsize=4)
def _load_corpus(folder: str, stamp: tuple) -> QuoteCorpus:
    from pathlib import Path

    from ..corpus.documents import load_corpus
    from ..corpus.passages import split_document

    docs, _ = load_corpus(Path(folder))
    passages = [
        Source(id=p.id, doc_id=p.doc_id, title=p.title, author=p.author, text=p.text, score=1.0, passage_id=p.id)
        for d in docs for p in split_document(d)
    ]
    return QuoteCorpus(corpus_statements(Path(folder)), passages)
