"""Bring the store in line with the corpus folder, embedding only what changed.

Passage ids are ``doc_id:hash(text)``: an unchanged passage is found by id and never re-embedded;
an edited article's changed passages get new ids (the old ones are deleted); a deleted article's
passages are deleted. A file that fails to parse keeps whatever it had in the store, so a typo in
front matter never wipes an article.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from . import embed
from .corpus import load_corpus
from .passages import Passage, split_document
from .text import split_sentences
from .store import Store


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    embedded: int = 0

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if k in ("added", "updated", "removed", "unchanged")}


def _meta(p: Passage, source_file: str) -> dict:
    m = p.metadata()
    m["source_file"] = source_file
    m["meta_hash"] = hashlib.sha256(repr(sorted(m.items())).encode()).hexdigest()[:16]
    return m


def ingest(
    corpus: Path,
    store: Store,
    rebuild: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    report = IngestReport()
    docs, errors = load_corpus(corpus)
    report.errors = [str(e) for e in errors]
    failed_files = {str(e).split(": ", 1)[0] for e in errors}
    failed_names = {Path(f).name for f in failed_files}

    if rebuild:
        store.reset()
    everything = store.manifest()
    stored = {i: m for i, m in everything.items() if m.get("kind") != "sentence"}
    sentences_of: dict[str, list[str]] = {}
    for i, m in everything.items():
        if m.get("kind") == "sentence":
            sentences_of.setdefault(m.get("parent", ""), []).append(i)
    stored_by_doc: dict[str, set[str]] = {}
    for pid, m in stored.items():
        stored_by_doc.setdefault(m.get("doc_id", ""), set()).add(pid)

    wanted: dict[str, tuple[Passage, dict]] = {}
    for doc in docs:
        for p in split_document(doc):
            wanted[p.id] = (p, _meta(p, doc.path.name))

    to_embed = [pid for pid in wanted if pid not in stored]
    meta_changed = [pid for pid in wanted if pid in stored and stored[pid].get("meta_hash") != wanted[pid][1]["meta_hash"]]
    gone = [
        pid for pid, m in stored.items()
        if pid not in wanted and m.get("source_file") not in failed_names
    ]

    # counts: a new passage in an article that was already stored replaces one that is gone
    live_docs = {d.id for d in docs}
    new_by_doc: dict[str, int] = {}
    for pid in to_embed:
        new_by_doc[wanted[pid][0].doc_id] = new_by_doc.get(wanted[pid][0].doc_id, 0) + 1
    gone_by_doc: dict[str, int] = {}
    for pid in gone:
        d = stored[pid].get("doc_id", "")
        gone_by_doc[d] = gone_by_doc.get(d, 0) + 1
    for d, n_new in new_by_doc.items():
        replaced = min(n_new, gone_by_doc.get(d, 0)) if d in stored_by_doc else 0
        report.updated += replaced
        report.added += n_new - replaced
        gone_by_doc[d] = gone_by_doc.get(d, 0) - replaced
    report.removed = sum(v for d, v in gone_by_doc.items())
    report.updated += len([pid for pid in meta_changed if wanted[pid][0].doc_id in live_docs])
    report.unchanged = len(wanted) - len(to_embed) - len(meta_changed)

    if to_embed:
        step = embed.BATCH * 4
        for s in range(0, len(to_embed), step):
            ids, texts, metas = [], [], []
            for pid in to_embed[s:s + step]:
                p, meta = wanted[pid]
                ids.append(pid), texts.append(p.text), metas.append(meta)
                for n, sent in enumerate(_sentences(p)):
                    ids.append(f"{pid}#{n}")
                    texts.append(sent)
                    metas.append({"kind": "sentence", "parent": pid, "doc_id": p.doc_id, "source_file": meta["source_file"]})
            store.upsert(ids, embed.encode(texts), texts, metas)
            report.embedded += len(to_embed[s:s + step])
            if progress:
                progress(report.embedded, len(to_embed))
    if meta_changed:
        store.update_metadata(meta_changed, [wanted[i][1] for i in meta_changed])
    if gone:
        store.delete(gone + [sid for pid in gone for sid in sentences_of.get(pid, [])])
    return report


def _sentences(p: Passage) -> list[str]:
    """A passage's sentences, embedded beside it: a one-line idea inside a long paragraph (the Drucker
    line) is found by its own meaning instead of being diluted by its neighbours."""
    sents = [s for s in split_sentences(p.text) if len(s.split()) >= 4]
    return sents if len(sents) > 1 else []
