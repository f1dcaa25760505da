"""The passage store: one Chroma collection, embedded on disk by default or on a Chroma server.

The same code serves both: ``COACH_CHROMA_URL`` picks ``HttpClient``, otherwise a
``PersistentClient`` under ``COACH_DATA_DIR``. Collections carry no embedding function (Chroma's
default one downloads a model and fails offline); we pass vectors ourselves and record the model's
name and dimension in the collection metadata, so a store built with another model is refused
instead of silently returning nonsense.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .. import config
from ..embedding.embed import DIM, MODEL_NAME
from ..errors import StoreError


GENERATION = 0  # bumped by every write through a Store in this process: in-memory indexes rebuild on it


def _written() -> None:
    global GENERATION
    GENERATION += 1


# ---------------------------------------------------------------------------------------------------
# The read snapshot. Importing chromadb and opening the store is most of a cold `coach reflect` (0.9 s
# of import on 2 cores, more than the rest of the answer), yet a query reads a store that changes only
# when `coach ingest` runs. So an embedded store's records (ids, vectors, passage texts and metadata) are
# also kept in one .npz beside it, keyed by a version token that every write through a Store replaces
# before and after it writes; a reader whose token does not match reads Chroma and writes a fresh
# snapshot. Chroma rewrites its own files on every open (their bytes change on a read), so they cannot
# be the key. A team's Chroma server is always asked directly.
# ---------------------------------------------------------------------------------------------------
SNAPSHOT_FORMAT = 1


@dataclass
class Snapshot:
    ids: list[str]             # every record: passages, then sentence records
    vecs: Any                  # float32 (len(ids), DIM), as stored
    passages: list[StoredPassage]
    _units: Any = None

    def units(self):
        if self._units is None:
            self._units = _unit(self.vecs)
        return self._units


def _unit(rows):
    import numpy as np

    v = np.asarray(rows, dtype="float32").reshape(-1, DIM)
    n = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(n == 0, 1.0, n)


@dataclass
class StoredPassage:
    id: str
    text: str
    metadata: dict[str, Any]
    embedding: list[float] | None = None


class Store:
    def __init__(self, url: str | None = None, path: Path | None = None, collection: str | None = None,
                 snapshot: bool | None = None):
        config.setup_offline_env()
        self.use_snapshot = config.store_snapshot() if snapshot is None else snapshot
        self.url = url if url is not None else config.chroma_url()
        self.path = Path(path) if path else config.data_dir() / "chroma"
        self.name = collection or config.collection_name()
        self._client = None
        self._collection = None
        self._snap: Snapshot | None = None
        self._snap_token: str | None = None

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
        self._bump()
        try:
            client.delete_collection(self.name)
        except Exception:
            pass
        self._bump()
        self._collection = None
        _written()

    # -- the read snapshot (embedded stores only; see SNAPSHOT_FORMAT) -----------------------------------
    # both inside the store's folder: they belong to it (a data dir that links the folder shares them)
    @property
    def _token_path(self) -> Path:
        return self.path / f"coach-{self.name}.version"

    @property
    def _snap_path(self) -> Path:
        return self.path / f"coach-{self.name}.snapshot.npz"

    def _token(self) -> str | None:
        try:
            return self._token_path.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def _bump(self) -> None:
        """A new version token: every snapshot written before is stale."""
        import uuid

        if self.url:
            return
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            tmp = self._token_path.with_suffix(f".{uuid.uuid4().hex}.tmp")
            tmp.write_text(uuid.uuid4().hex, encoding="utf-8")
            os.replace(tmp, self._token_path)
        except OSError:
            try:  # a token we cannot replace must not outlive the write: no snapshot then
                self._token_path.unlink()
            except OSError:
                pass
        self._snap = None

    def snapshot(self) -> Snapshot | None:
        """The store's records without Chroma, when the snapshot on disk is current; else built from
        Chroma (and saved) when there is a token to key it by. None for a Chroma server."""
        if self.url or not self.use_snapshot:
            return None
        token = self._token()
        if token is None:
            if not (self.path / "chroma.sqlite3").exists():
                return None  # no store yet: Chroma says so, in its words
            self._bump()  # a store from before snapshots: this read starts its first one
            token = self._token()
            if token is None:
                return None
        if self._snap is not None and self._snap_token == token:
            return self._snap
        snap = self._load_snapshot(token) or self._build_snapshot(token)
        if snap is not None:
            self._snap, self._snap_token = snap, token
        return snap

    def _load_snapshot(self, token: str) -> Snapshot | None:
        import json

        import numpy as np

        try:
            with np.load(self._snap_path, allow_pickle=False) as z:
                head = json.loads(bytes(z["head"]).decode("utf-8"))
                if head.get("format") != SNAPSHOT_FORMAT or head.get("token") != token or \
                        head.get("model") != MODEL_NAME or head.get("dim") != DIM:
                    return None
                vecs = np.asarray(z["vecs"], dtype="float32")
        except (OSError, ValueError, KeyError, EOFError):
            return None
        ids, docs, metas = head["ids"], head["docs"], head["metas"]
        if vecs.shape != (len(ids), DIM):
            return None
        passages = [StoredPassage(ids[n], docs[n], metas[n] or {}, None) for n in range(len(docs))]
        return Snapshot(ids, vecs, passages)

    def _build_snapshot(self, token: str) -> Snapshot | None:
        import json

        import numpy as np

        got = self.collection().get(include=["documents", "metadatas", "embeddings"])
        if self._token() != token:  # a write began meanwhile: what was read may be half of it
            return None
        embs = got.get("embeddings")
        rows = list(zip(got["ids"], got["documents"], got["metadatas"], embs if embs is not None else []))
        if len(rows) != len(got["ids"]):
            return None
        passages = [r for r in rows if (r[2] or {}).get("kind") != "sentence"]  # in Chroma's own order, as
        rows = passages + [r for r in rows if (r[2] or {}).get("kind") == "sentence"]  # ``all`` returns them
        ids = [r[0] for r in rows]
        vecs = np.asarray([r[3] for r in rows], dtype="float32").reshape(len(rows), DIM)
        head = {"format": SNAPSHOT_FORMAT, "token": token, "model": MODEL_NAME, "dim": DIM, "ids": ids,
                "docs": [r[1] for r in passages], "metas": [r[2] or {} for r in passages]}
        try:
            tmp = self._snap_path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(tmp, vecs=vecs, head=np.frombuffer(json.dumps(head).encode("utf-8"), dtype=np.uint8))
            os.replace(tmp, self._snap_path)
        except OSError:
            pass  # an unwritable data dir only costs the next reader a Chroma read
        return Snapshot(ids, vecs, [StoredPassage(r[0], r[1], r[2] or {}, None) for r in passages])

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
        snap = self.snapshot()
        if snap is not None:
            return [StoredPassage(p.id, p.text, dict(p.metadata), list(snap.vecs[n]) if with_embeddings else None)
                    for n, p in enumerate(snap.passages)]
        include = ["documents", "metadatas"] + (["embeddings"] if with_embeddings else [])
        got = self.collection().get(where={"kind": {"$ne": "sentence"}}, include=include)
        embs = got.get("embeddings") if with_embeddings else None
        return [
            StoredPassage(i, d, m or {}, (list(embs[n]) if embs is not None else None))
            for n, (i, d, m) in enumerate(zip(got["ids"], got["documents"], got["metadatas"]))
        ]

    def sentence_vectors(self) -> dict[str, Any]:
        """Sentence record id (``pid#n``) -> its vector."""
        snap = self.snapshot()
        if snap is not None:
            first = len(snap.passages)
            return {i: snap.vecs[first + n] for n, i in enumerate(snap.ids[first:])}
        got = self.collection().get(where={"kind": "sentence"}, include=["embeddings"])
        embs = got.get("embeddings")
        return {} if embs is None else dict(zip(got["ids"], embs))

    def passage_ids(self) -> list[str]:
        """Ids of the stored passages alone: cheap (no documents, no vectors)."""
        snap = self.snapshot()
        if snap is not None:
            return [p.id for p in snap.passages]
        return self.collection().get(where={"kind": {"$ne": "sentence"}}, include=[])["ids"]

    def nearest(self, embeddings, n: int) -> list[list[tuple[str, float]]]:
        """Ids and cosine of the ``n`` nearest records per query vector (sentence records included).

        Only ids and distances come back: retrieval holds the passages themselves in memory, and
        asking Chroma for documents and vectors as well cost a quarter of a query's time. From the
        snapshot the search is exact (every record's cosine), where Chroma's HNSW is approximate."""
        snap = self.snapshot()
        if snap is not None:
            import numpy as np

            if not snap.ids:
                return [[] for _ in range(len(embeddings))]
            sims = _unit(embeddings) @ snap.units().T
            top = np.argsort(-sims, axis=1, kind="stable")[:, :n]
            return [[(snap.ids[j], float(row[j])) for j in idx] for row, idx in zip(sims, top)]
        res = self.collection().query(query_embeddings=embeddings, n_results=n, include=["distances"])
        return [[(i, 1.0 - float(d)) for i, d in zip(ids, dists)] for ids, dists in zip(res["ids"], res["distances"])]

    # -- writes --------------------------------------------------------------------------------
    def upsert(self, ids: list[str], embeddings, texts: list[str] | None, metadatas: list[dict]) -> None:
        """Write records; ``texts=None`` stores vectors and metadata only (sentence records)."""
        if not ids:
            return
        col = self.collection()
        self._bump()
        step = 1000
        for s in range(0, len(ids), step):
            kw = dict(ids=ids[s:s + step], metadatas=metadatas[s:s + step])
            if texts is not None:
                kw["documents"] = texts[s:s + step]
            if embeddings is not None:
                kw["embeddings"] = embeddings[s:s + step]
            col.upsert(**kw)
        self._bump()
        _written()

    def update_metadata(self, ids: list[str], metadatas: list[dict]) -> None:
        if ids:
            self._bump()
            self.collection().update(ids=ids, metadatas=metadatas)
            self._bump()
            _written()

    def delete(self, ids: list[str]) -> None:
        col = self.collection()
        self._bump()
        for s in range(0, len(ids), 1000):
            col.delete(ids=ids[s:s + 1000])
        self._bump()
        _written()
