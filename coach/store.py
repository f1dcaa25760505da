"""The passage store: one Chroma collection, embedded on disk by default or on a Chroma server.

The same code serves both: ``COACH_CHROMA_URL`` picks ``HttpClient``, otherwise a
``PersistentClient`` under ``COACH_DATA_DIR``. Collections carry no embedding function (Chroma's
default one downloads a model and fails offline); we pass vectors ourselves and record the model's
name and dimension in the collection metadata, so a store built with another model is refused
instead of silently returning nonsense.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from . import config
from .embed import DIM, MODEL_NAME
from .errors import StoreError


GENERATION = 0  # bumped by every write through a Store in this process: in-memory indexes rebuild on it


def _written() -> None:
    global GENERATION
    GENERATION += 1


@dataclass
class StoredPassage:
    id: str
    text: str
    metadata: dict[str, Any]
    embedding: list[float] | None = None


class Store:
    def __init__(self, url: str | None = None, path: Path | None = None, collection: str | None = None):
        config.setup_offline_env()
        self.url = url if url is not None else config.chroma_url()
        self.path = Path(path) if path else config.data_dir() / "chroma"
        self.name = collection or config.collection_name()
        self._client = None
        self._collection = None

    # -- connection -----------------------------------------------------------------------------
    @property
    def where(self) -> str:
        return self.url or str(self.path)

    def _connect(self):
        if self._client is not None:
            return self._client
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False)
        if self.url:
            u = urlparse(self.url if "://" in self.url else f"http://{self.url}")
            if not u.hostname:
                raise StoreError(f"COACH_CHROMA_URL is not a URL: {self.url!r}")
            try:
                self._client = chromadb.HttpClient(
                    host=u.hostname, port=u.port or (443 if u.scheme == "https" else 8000),
                    ssl=u.scheme == "https", settings=settings,
                )
                self._client.heartbeat()
            except Exception as e:  # chroma raises many kinds; the user needs one line
                self._client = None
                raise StoreError(f"cannot reach the Chroma server at {self.url} ({type(e).__name__})") from None
        else:
            try:
                self.path.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(self.path), settings=settings)
            except OSError as e:
                raise StoreError(f"cannot open the store at {self.path}: {e.strerror}") from None
        return self._client

    def collection(self, create: bool = True):
        if self._collection is not None:
            return self._collection
        client = self._connect()
        wanted = {"embed_model": MODEL_NAME, "embed_dim": DIM, "hnsw:space": "cosine"}
        try:
            col = client.get_collection(self.name, embedding_function=None) if not create else None
        except Exception:
            raise StoreError(f"the store at {self.where} has no passages yet: run `coach ingest`") from None
        if col is None:
            col = client.get_or_create_collection(self.name, embedding_function=None, metadata=wanted)
        meta = col.metadata or {}
        if meta.get("embed_model") != MODEL_NAME or int(meta.get("embed_dim") or 0) != DIM:
            raise StoreError(
                f"the store at {self.where} was built with embedding model {meta.get('embed_model')!r} "
                f"(dim {meta.get('embed_dim')}), not {MODEL_NAME!r} (dim {DIM}): re-ingest with `coach ingest --rebuild`"
            )
        self._collection = col
        return col

    def reset(self) -> None:
        """Drop the collection (``coach ingest --rebuild``)."""
        client = self._connect()
        try:
            client.delete_collection(self.name)
        except Exception:
            pass
        self._collection = None
        _written()

    # -- reads ---------------------------------------------------------------------------------
    def count(self) -> int:
        """Passages stored (sentence records ride along with their passage and are not counted)."""
        return len(self.passage_ids())

    def manifest(self) -> dict[str, dict[str, Any]]:
        """Passage id -> metadata, without vectors: what ingest compares against.

        Sentence records are left out: they are half the store and ingest needs them only for
        passages that are going away (``sentence_ids``); reading their metadata made an unchanged
        re-ingest of 1,000 articles twice as slow."""
        got = self.collection().get(where={"kind": {"$ne": "sentence"}}, include=["metadatas"])
        return {i: (m or {}) for i, m in zip(got["ids"], got["metadatas"])}

    def sentence_ids(self, parents: list[str]) -> list[str]:
        """Ids of the sentence records that ride along with these passages."""
        col, out = self.collection(), []
        for s in range(0, len(parents), 500):
            out += col.get(where={"parent": {"$in": parents[s:s + 500]}}, include=[])["ids"]
        return out

    def all(self, with_embeddings: bool = False) -> list[StoredPassage]:
        include = ["documents", "metadatas"] + (["embeddings"] if with_embeddings else [])
        got = self.collection().get(where={"kind": {"$ne": "sentence"}}, include=include)
        embs = got.get("embeddings") if with_embeddings else None
        return [
            StoredPassage(i, d, m or {}, (list(embs[n]) if embs is not None else None))
            for n, (i, d, m) in enumerate(zip(got["ids"], got["documents"], got["metadatas"]))
        ]

    def sentence_vectors(self) -> dict[str, Any]:
        """Sentence record id (``pid#n``) -> its vector."""
        got = self.collection().get(where={"kind": "sentence"}, include=["embeddings"])
        embs = got.get("embeddings")
        return {} if embs is None else dict(zip(got["ids"], embs))

    def passage_ids(self) -> list[str]:
        """Ids of the stored passages alone: cheap (no documents, no vectors)."""
        return self.collection().get(where={"kind": {"$ne": "sentence"}}, include=[])["ids"]

    def nearest(self, embeddings, n: int) -> list[list[tuple[str, float]]]:
        """Ids and cosine of the ``n`` nearest records per query vector (sentence records included).

        Only ids and distances come back: retrieval holds the passages themselves in memory, and
        asking Chroma for documents and vectors as well cost a quarter of a query's time."""
        res = self.collection().query(query_embeddings=embeddings, n_results=n, include=["distances"])
        return [[(i, 1.0 - float(d)) for i, d in zip(ids, dists)] for ids, dists in zip(res["ids"], res["distances"])]

    # -- writes --------------------------------------------------------------------------------
    def upsert(self, ids: list[str], embeddings, texts: list[str] | None, metadatas: list[dict]) -> None:
        """Write records; ``texts=None`` stores vectors and metadata only (sentence records)."""
        if not ids:
            return
        col = self.collection()
        step = 1000
        for s in range(0, len(ids), step):
            kw = dict(ids=ids[s:s + step], metadatas=metadatas[s:s + step])
            if texts is not None:
                kw["documents"] = texts[s:s + step]
            if embeddings is not None:
                kw["embeddings"] = embeddings[s:s + step]
            col.upsert(**kw)
        _written()

    def update_metadata(self, ids: list[str], metadatas: list[dict]) -> None:
        if ids:
            self.collection().update(ids=ids, metadatas=metadatas)
            _written()

    def delete(self, ids: list[str]) -> None:
        col = self.collection()
        for s in range(0, len(ids), 1000):
            col.delete(ids=ids[s:s + 1000])
        _written()
