"""Statements the corpus attributes to a named person, found in the corpus text itself.

This is the only ground for quoting anyone: the verifier accepts a quote only if its words are in
one of these statements and the statement's speaker is the person the answer credits. Nothing is
listed by hand; a new article with a new attributed quote is picked up on the next read.

Patterns recognised (all seen in the corpus, and common in prose):
- ``Peter Drucker said, "…"`` / ``My mentor John Maxwell says, "…"`` / ``"…," said Jane Doe``
- ``He claimed, "…"`` where "He" is the last person named just before
- an epigraph: a sentence on one line and the speaker's bare name on the next
- reported speech: ``According to …, Dr. John C. Maxwell, managers are …`` (kept as *reported*,
  not a direct quote: its words are the article author's)
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from .documents import Document, corpus_stamp, load_corpus
from .passages import Passage, split_document
from ..common.text import normalize, split_sentences, word_key

_TITLE = r"(?:(?:Dr|Mr|Mrs|Ms|Prof|Sir)\.?\s+)?"
_NAME = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?:\s+[A-Z]\.)*(?:\s+(?:de |van |von )?[A-Z][a-z]+(?:-[A-Z][a-z]+)?){1,2}"
NAME_RE = re.compile(_TITLE + r"(" + _NAME + r")")
_VERBS = (
    r"(?:said|says|say|claimed|claims|wrote|writes|noted|notes|observed|observes|argued|argues|stated|states|"
    r"remarked|declared|explained|explains|put it|puts it|tells us|told us|reminds us|taught|teaches|asked|asks)"
)
_PRONOUN = r"(?:He|She|They|he|she|they)"
_BEFORE = re.compile(
    r"(?:(" + _TITLE + _NAME + r")|\b(" + _PRONOUN + r"))\s*,?\s+(?:\w+ly\s+|once\s+|also\s+)?" + _VERBS + r"\s*[,:]?\s*$"
)
_AFTER = re.compile(r"^\s*[,.]?\s*(?:" + _VERBS + r"\s+(" + _TITLE + _NAME + r")|[-–—]\s*(" + _TITLE + _NAME + r"))")
_ACCORDING = re.compile(r"\b[Aa]ccording to\b[^.]*?(" + _TITLE + _NAME + r"),\s+(.*)$")
_QUOTED = re.compile(r"“([^”]{8,}?)”|\"([^\"]{8,}?)\"")
_BARE_NAME = re.compile(r"^\s*[-–—]?\s*(" + _TITLE + _NAME + r")\s*$")
NOT_PEOPLE = {"leadership focus", "management focus", "featured posts", "contact us", "related blog"}


@dataclass(frozen=True)
class Statement:
    speaker: str
    text: str
    doc_id: str
    passage_id: str
    direct: bool = True  # False: reported speech, not the person's exact words

    def to_dict(self) -> dict:
        return asdict(self)


def speaker_key(name: str) -> str:
    """'Dr. John C. Maxwell', 'John Maxwell' and 'Maxwell' all key to 'maxwell'."""
    name = re.sub(r"^(?:Dr|Mr|Mrs|Ms|Prof|Sir)\.?\s+", "", name.strip())
    parts = [p for p in re.split(r"\s+", name) if not re.fullmatch(r"[A-Z]\.", p)]
    return parts[-1].lower().strip(".,") if parts else ""


def _strip_title(name: str) -> str:
    return re.sub(r"^(?:Dr|Mr|Mrs|Ms|Prof|Sir)\.?\s+", "", " ".join(name.split()))


def _last_name_before(text: str) -> str | None:
    names = [m.group(1) for m in NAME_RE.finditer(text) if m.group(1).lower() not in NOT_PEOPLE]
    return _strip_title(names[-1]) if names else None


def _clean_quote(q: str) -> str:
    return q.strip().rstrip(",").strip()


def statements_in(passage: Passage, before: str = "") -> list[Statement]:
    """Attributed statements in one passage; ``before`` is earlier text of the article (for 'He')."""
    text = passage.text
    out: list[Statement] = []
    # 1) quoted spans with a speaker before or after them
    for m in _QUOTED.finditer(text):
        quote = _clean_quote(m.group(1) or m.group(2))
        if len(quote.split()) < 3:
            continue
        pre = text[: m.start()]
        sentence_start = max(pre.rfind(". "), pre.rfind("\n"), pre.rfind("? "), pre.rfind("! "))
        pre_sentence = pre[sentence_start + 1:]
        speaker = None
        b = _BEFORE.search(pre_sentence)
        if b and b.group(1):
            name = NAME_RE.match(b.group(1))
            assert name is not None  # group 1 matched _TITLE + _NAME, which is NAME_RE's own pattern
            speaker = _strip_title(name.group(1))
        elif b and b.group(2):
            speaker = _last_name_before(before + "\n" + pre)
        else:
            a = _AFTER.match(text[m.end():])
            if a:
                speaker = _strip_title(a.group(1) or a.group(2))
        if speaker:
            out.append(Statement(speaker, quote, passage.doc_id, passage.id, True))
    # 2) epigraphs: a sentence line followed by a bare name line
    lines = text.splitlines()
    for i in range(len(lines) - 1):
        n = _BARE_NAME.match(lines[i + 1])
        if n and re.search(r"[.!?][\"”]?\s*$", lines[i]) and n.group(1).lower() not in NOT_PEOPLE:
            quote = lines[i].strip().strip("“”\"")
            out.append(Statement(_strip_title(n.group(1)), quote, passage.doc_id, passage.id, True))
    # 3) reported speech: "According to …, NAME, <what they hold>." (+ the rest of that paragraph)
    for line in lines:
        sents = split_sentences(line)
        for j, s in enumerate(sents):
            a = _ACCORDING.search(s)
            if a and not _QUOTED.search(s):
                said = " ".join([a.group(2)] + sents[j + 1:])
                out.append(Statement(_strip_title(a.group(1)), said.strip(), passage.doc_id, passage.id, False))
    return out


def find_statements(docs: list[Document]) -> list[Statement]:
    found: list[Statement] = []
    for doc in docs:
        before = ""
        for p in split_document(doc):
            found.extend(statements_in(p, before))
            before += "\n" + p.text
    # one display name per person: the longest form the corpus uses ("John C. Maxwell")
    longest: dict[str, str] = {}
    for s in found:
        k = speaker_key(s.speaker)
        if len(s.speaker) > len(longest.get(k, "")):
            longest[k] = s.speaker
    return [Statement(longest[speaker_key(s.speaker)], s.text, s.doc_id, s.passage_id, s.direct) for s in found]


@lru_cache(maxsize=8)
def _cached(folder: str, stamp: tuple) -> tuple[Statement, ...]:
    docs, _ = load_corpus(Path(folder))
    return tuple(find_statements(docs))


def corpus_statements(folder: Path | None = None) -> list[Statement]:
    """Statements of the corpus folder, re-read when a file in it changes."""
    from ..config import corpus_dir

    folder = Path(folder or corpus_dir())
    return list(_cached(str(folder), corpus_stamp(folder)))


def contains_words(haystack: str, needle: str) -> bool:
    """Do ``needle``'s words occur, in order and contiguous, in ``haystack`` (typography ignored)?"""
    n = word_key(needle)
    return bool(n) and f" {n} " in f" {word_key(haystack)} "


__all__ = ["Statement", "find_statements", "corpus_statements", "speaker_key", "contains_words", "NAME_RE", "normalize"]
