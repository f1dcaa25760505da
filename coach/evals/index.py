"""Corpus look-ups for the labels: a label naming a doc or passage the corpus lacks is a typo, and a
typo must fail loudly instead of scoring every case as a miss."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .suite import DefectItem, Suite


def norm(text: str) -> str:
    from ..common.text import normalize

    return normalize(text)


@dataclass
class CorpusIndex:
    doc_ids: set[str]
    passages: list[Any]  # coach.corpus.passages.Passage

    @classmethod
    def load(cls) -> "CorpusIndex":
        from .. import config
        from ..corpus.documents import load_corpus
        from ..corpus.passages import split_document

        docs, _ = load_corpus(config.corpus_dir())
        return cls({d.id for d in docs}, [p for d in docs for p in split_document(d)])

    def passage_with(self, needle: str):
        """The passage holding ``needle``: exact first, then with typography and spacing folded."""
        for p in self.passages:
            if needle in p.text:
                return p
        n = norm(needle)
        return next((p for p in self.passages if n in norm(p.text)), None)


def check_labels(suite: Suite, index: CorpusIndex) -> None:
    for c in suite.cases:
        for d in c.docs:
            if d not in index.doc_ids:
                raise UsageError(f"{suite.path}: case '{c.id}' expects doc '{d}', which is not in the corpus")
        for s in c.passage_contains:
            if index.passage_with(s) is None:
                raise UsageError(f"{suite.path}: case '{c.id}': passage_contains text is in no corpus passage: {s[:60]!r}")


def defect_sources(item: DefectItem, index: CorpusIndex, path: Path):
    from ..feedback import Source

    out = []
    for n, needle in enumerate(item.sources, 1):
        p = index.passage_with(needle)
        if p is None:
            raise UsageError(f"{path}: item '{item.id}': source S{n} is in no corpus passage: {needle[:60]!r}")
        out.append(Source(id=f"S{n}", doc_id=p.doc_id, title=p.title, author=p.author, text=p.text, score=1.0,
                          passage_id=p.id, origin=p.origin))
    return out
