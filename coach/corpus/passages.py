"""Split an article into passages: the unit that is embedded, retrieved, cited and quoted.

A passage keeps a heading with the text under it, and a list with the line that introduces it, so
"They focus on: Planning, Organizing…" is never cut from its items. Ids are the doc id plus a
hash of the passage text and of its sentence records: an unchanged passage keeps its id, so re-ingest
can skip it, and a passage whose sentences are split differently (a change to ``text.split_sentences``)
gets a new one, so its stored sentence vectors are replaced instead of silently going stale.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .documents import Document
from ..common.text import split_sentences

MIN_CHARS = 60     # shorter blocks ("What do you think?") join a neighbour
MAX_CHARS = 900    # longer blocks are cut at sentence ends

_LIST = re.compile(r"^\s*[-*+] ")


@dataclass(frozen=True)
class Passage:
    id: str
    doc_id: str
    title: str
    author: str | None
    origin: str | None
    text: str
    position: int

    @property
    def content_hash(self) -> str:
        return passage_hash(self.text)

    def metadata(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "author": self.author or "",
            "origin": self.origin or "",
            "position": self.position,
            "hash": self.content_hash,
        }


def passage_hash(text: str) -> str:
    keyed = "\x1e".join([text, *sentence_records(text)])
    return hashlib.sha256(keyed.encode()).hexdigest()[:16]


def _kind(block: str) -> str:
    first = block.lstrip()
    if first.startswith("#"):
        return "heading"
    lines = [ln for ln in block.splitlines() if ln.strip()]
    if lines and all(_LIST.match(ln) for ln in lines):
        return "list"
    return "text"


def _clean(block: str) -> str:
    """Markdown syntax off the passage text: it is shown to people and matched against quotes."""
    out = []
    for ln in block.splitlines():
        ln = re.sub(r"^\s*#+\s*", "", ln)
        ln = re.sub(r"^\s*>\s?", "", ln)
        out.append(ln.rstrip())
    return "\n".join(ln for ln in out if ln.strip())


def _blocks(body: str) -> list[str]:
    return [b.strip("\n") for b in re.split(r"\n\s*\n", body) if b.strip()]


def _group(blocks: list[str]) -> list[str]:
    groups: list[list[str]] = []
    i = 0
    while i < len(blocks):
        group = [blocks[i]]
        i += 1
        # a heading takes the block under it; a line ending in ':' takes the list it introduces
        while i < len(blocks):
            last = group[-1]
            if _kind(last) == "heading" or (last.rstrip().endswith(":") and _kind(blocks[i]) == "list"):
                group.append(blocks[i])
                i += 1
            elif _kind(blocks[i]) == "list" and _kind(last) != "list":
                group.append(blocks[i])
                i += 1
            else:
                break
        groups.append(group)
    texts = ["\n".join(_clean(b) for b in g) for g in groups]
    # short pieces join the next one (or, at the end, the previous one)
    merged: list[str] = []
    carry = ""
    for t in texts:
        t = (carry + "\n" + t).strip() if carry else t
        carry = ""
        if len(t) < MIN_CHARS:
            carry = t
        else:
            merged.append(t)
    if carry:
        if merged:
            merged[-1] = merged[-1] + "\n" + carry
        else:
            merged.append(carry)
    return merged


def _cut(text: str) -> list[str]:
    if len(text) <= MAX_CHARS:
        return [text]
    pieces: list[str] = []
    cur = ""
    for s in split_sentences(text):
        if cur and len(cur) + 1 + len(s) > MAX_CHARS * 2 // 3:
            pieces.append(cur)
            cur = s
        else:
            cur = f"{cur} {s}".strip()
    if cur:
        pieces.append(cur)
    return pieces


def split_document(doc: Document) -> list[Passage]:
    passages: list[Passage] = []
    seen: set[str] = set()
    for text in (p for g in _group(_blocks(doc.body)) for p in _cut(g)):
        h = passage_hash(text)
        if h in seen:  # an exact repeat inside one article adds nothing
            continue
        seen.add(h)
        passages.append(
            Passage(
                id=f"{doc.id}:{h}",
                doc_id=doc.id,
                title=doc.title,
                author=doc.author,
                origin=doc.origin,
                text=text,
                position=len(passages),
            )
        )
    return passages


def sentence_records(text: str) -> list[str]:
    """A passage's sentences, embedded beside it (record ids ``pid#0``, ``pid#1``, ...): a one-line
    idea inside a long paragraph (the Drucker line) is found by its own meaning instead of being
    diluted by its neighbours. A one-sentence passage needs none."""
    sents = [s for s in split_sentences(text) if len(s.split()) >= 4]
    return sents if len(sents) > 1 else []
