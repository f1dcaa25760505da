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

from ..embedding import embed
from .documents import load_corpus
from .passages import Passage, sentence_records, split_document
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
    stored = store.manifest()
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
        _embed_and_store(to_embed, wanted, store, report, progress)
    if meta_changed:
        store.update_metadata(meta_changed, [wanted[i][1] for i in meta_changed])
    if gone:
        store.delete(gone + store.sentence_ids(gone))
    return report


CHUNK = embed.BATCH * 8  # passages per encode call: long enough for length-sorted batches to pad little
PROGRESS_STEPS = 20  # with a progress callback, chunks are cut smaller so a first ingest moves a bar visibly


def _chunk_size(total: int, progress) -> int:
    """Without a reader, the fastest chunking; with one, about PROGRESS_STEPS updates (never below 8
    passages a call, where per-call overhead would start to show)."""
    if not progress:
        return CHUNK
    return min(CHUNK, max(8, -(-total // PROGRESS_STEPS)))


def _embed_and_store(to_embed: list[str], wanted: dict, store: Store, report: IngestReport, progress) -> None:
    """Encode chunk i+1 while chunk i is written: Chroma's index build overlaps the model's work
    instead of adding to it (measured in ``make bench``: ingest vs the raw encode rate)."""
    from concurrent.futures import ThreadPoolExecutor

    def write(pids: list[str], vecs, sents: list[tuple[str, str]]) -> None:
        # sentence records first, and without their text (nothing reads it back; Chroma's full-text
        # index of documents was a third of the write): a passage in the store means its sentences are too
        store.upsert([sid for sid, _ in sents], vecs[len(pids):], None,
                     [{"kind": "sentence", "parent": sid.split("#", 1)[0]} for sid, _ in sents])
        store.upsert(pids, vecs[:len(pids)], [wanted[p][0].text for p in pids], [wanted[p][1] for p in pids])
        report.embedded += len(pids)
        if progress:
            progress(report.embedded, len(to_embed))

    step = _chunk_size(len(to_embed), progress)
    backend = embed.backend_for(len(to_embed))  # one embedder for the whole run (coach/embed.py)
    if progress:
        progress(0, len(to_embed))  # before the first encode, which loads the model: say so while it does
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="coach-upsert") as pool:
        pending = None
        for s in range(0, len(to_embed), step):
            pids = to_embed[s:s + step]
            sents = [(f"{pid}#{n}", t) for pid in pids for n, t in enumerate(sentence_records(wanted[pid][0].text))]
            vecs = embed.encode_array([wanted[p][0].text for p in pids] + [t for _, t in sents], backend=backend)
            if pending is not None:
                pending.result()  # one write in flight at a time, in order; its error stops the run
            pending = pool.submit(write, pids, vecs, sents)
        if pending is not None:
            pending.result()
