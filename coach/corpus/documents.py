"""The corpus: Markdown articles with front matter, read and checked, one Document each.

Bad files do not stop the rest: ``load_corpus`` returns the documents it could read and one
``CorpusError`` per file it could not, each naming the file.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError

_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    author: str | None
    origin: str | None
    body: str
    path: Path

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.title}\n{self.author}\n{self.body}".encode()).hexdigest()


def parse_document(path: Path) -> Document:
    """Read one article; raise CorpusError naming the file for anything a user got wrong."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise CorpusError(f"{path}: cannot read ({e.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CorpusError(f"{path}: not UTF-8 text (bad byte at offset {e.start})") from None
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise CorpusError(f"{path}: empty file")
    m = _FRONT.match(text)
    if not m:
        raise CorpusError(f"{path}: missing front matter (a '---' block with id and title)")
    import yaml

    try:
        meta = yaml.load(m.group(1), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: 1,000 articles in a blink
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        line = f" at line {where.line + 2}" if where else ""
        raise CorpusError(f"{path}: broken front matter{line}") from None
    if not isinstance(meta, dict):
        raise CorpusError(f"{path}: front matter must be key: value lines")
    doc_id = str(meta.get("id") or "").strip()
    title = str(meta.get("title") or "").strip()
    if not doc_id or not _ID.match(doc_id):
        raise CorpusError(f"{path}: front matter needs an 'id' of lower-case letters, digits, '-', '_' or '.'")
    if not title:
        raise CorpusError(f"{path}: front matter needs a 'title'")
    body = text[m.end():].strip()
    if not body:
        raise CorpusError(f"{path}: the article has no text after its front matter")
    author = meta.get("author")
    origin = meta.get("origin")
    return Document(
        id=doc_id,
        title=title,
        author=str(author).strip() if author else None,
        origin=str(origin) if origin else None,
        body=body + "\n",
        path=path,
    )


def load_corpus(folder: Path) -> tuple[list[Document], list[CorpusError]]:
    """All articles under ``folder`` (``*.md``, sorted), and the errors of the ones that failed."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"{folder}: corpus folder not found")
    docs: list[Document] = []
    errors: list[CorpusError] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            doc = parse_document(path)
        except CorpusError as e:
            errors.append(e)
            continue
        if doc.id in seen:
            errors.append(CorpusError(f"{path}: duplicate id '{doc.id}' (also in {seen[doc.id].name})"))
            continue
        seen[doc.id] = path
        docs.append(doc)
    return docs, errors


def corpus_stamp(folder: Path) -> tuple:
    """Names, sizes and modification times of the corpus files: a cache key that changes with any edit."""
    folder = Path(folder)
    if not folder.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.glob("*.md")))
