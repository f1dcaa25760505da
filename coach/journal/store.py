"""The private journal: every reflection and follow-up, kept in one SQLite file on this machine.

Why SQLite and these settings:
- the page and the CLI may write at the same moment, from different processes: WAL lets readers
  carry on while one writer works, ``busy_timeout`` makes a second writer wait instead of failing,
  and every write starts with ``BEGIN IMMEDIATE`` so that two follow-ups to one thread can never
  both take the same turn number (the second waits for the first, then reads the new count);
- "delete" has to mean the words are gone from the disk, not just unlinked from a table:
  ``secure_delete`` zeroes freed pages, ``VACUUM`` rebuilds the file without them and a
  ``wal_checkpoint(TRUNCATE)`` empties the write-ahead log, which still holds old page images;
- the file is created readable by its owner only.

A connection is opened per call and closed at once: the page reruns its script on every click and
a long-lived handle would keep the WAL from being truncated after a delete.

Standard library only, so ``coach journal list`` starts instantly.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from ..errors import CoachError

FILENAME = "journal.sqlite3"
# the journal file's layout version (checked at open; a newer file is refused, never rewritten)
# seconds a writer waits for another process's write: two processes writing 80 turns at once never timed out
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS threads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('scenario', 'reply')),
    text TEXT NOT NULL,
    model TEXT,
    leaning TEXT,
    lens_score REAL,
    feedback TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (thread_id, n)
);
"""


class JournalError(CoachError):
    """The journal cannot be read or written (damaged, locked, not found): always one line."""


def journal_path() -> Path:
    """The journal file, beside the store under the data directory (``COACH_DATA_DIR``)."""
    from .. import config

    return config.data_dir() / FILENAME


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def first_line(text: str, limit: int = 80) -> str:
    line = next((ln.strip() for ln in (text or "").splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


@dataclass
class Turn:
    n: int
    kind: str            # "scenario" (the situation) or "reply" (a follow-up)
    text: str            # the manager's own words for this turn
    feedback: dict[str, Any]
    model: str = ""
    leaning: str = ""
    lens_score: float | None = None
    created_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {self.kind: self.text, "feedback": self.feedback, "created_at": self.created_at}


@dataclass
class Thread:
    id: int
    created_at: str
    updated_at: str
    turns: list[Turn] = field(default_factory=list)

    @property
    def leanings(self) -> list[str]:
        return [t.leaning for t in self.turns]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "created_at": self.created_at, "updated_at": self.updated_at,
                "lens_over_turns": [{"turn": t.n, "leaning": t.leaning, "score": t.lens_score} for t in self.turns],
                "turns": [t.to_dict() for t in self.turns]}


@dataclass
class Summary:
    """One line of `coach journal list`."""

    id: int
    date: str
    first_line: str
    turns: int
    leaning: str          # the newest turn's
    leanings: list[str] = field(default_factory=list)
    updated_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "date": self.date, "first_line": self.first_line, "turns": self.turns,
                "leaning": self.leaning, "leanings": self.leanings, "updated_at": self.updated_at}


def _feedback_dict(feedback: Any) -> dict[str, Any]:
    return feedback if isinstance(feedback, dict) else feedback.to_dict()


def _lens_of(fb: dict[str, Any]) -> tuple[str, float | None]:
    if not fb.get("in_scope", True):
        return "", None
    lens = fb.get("lens") or {}
    return str(lens.get("leaning") or ""), lens.get("score")


class Journal:
    """The journal file at ``path`` (default: ``journal_path()``)."""

    def __init__(self, path: str | os.PathLike | None = None, timeout: float = BUSY_TIMEOUT_S):
        self.path = Path(path) if path else journal_path()
        self.timeout = timeout

    # -- connections -------------------------------------------------------------------------
    def _fail(self, e: Exception) -> JournalError:
        msg = str(e).lower()
        if "locked" in msg or "busy" in msg:
            return JournalError(f"the journal ({self.path}) is locked by another program; try again in a moment")
        if isinstance(e, sqlite3.DatabaseError) and ("not a database" in msg or "malformed" in msg
                                                      or "corrupt" in msg or "disk image" in msg):
            return JournalError(f"the journal ({self.path}) is damaged and cannot be read; move it aside "
                                "to start a new one")
        if isinstance(e, OSError):
            return JournalError(f"the journal ({self.path}) cannot be opened: {e.strerror or e}")
        return JournalError(f"the journal ({self.path}) failed: {e}")

    def _open(self, create: bool) -> sqlite3.Connection | None:
        if not self.path.exists():
            if not create:
                return None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))  # owner-only from the start
        conn = sqlite3.connect(str(self.path), timeout=self.timeout, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute("PRAGMA foreign_keys = ON")
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                conn.execute("BEGIN IMMEDIATE")
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def _conn(self, create: bool = False) -> Iterator[sqlite3.Connection | None]:
        try:
            conn = self._open(create)
        except (sqlite3.Error, OSError) as e:
            raise self._fail(e) from None
        try:
            yield conn
        except (sqlite3.Error, OSError) as e:
            raise self._fail(e) from None
        finally:
            if conn is not None:
                if conn.in_transaction:
                    conn.rollback()
                conn.close()

    # -- writing -----------------------------------------------------------------------------
    def _insert_turn(self, conn: sqlite3.Connection, thread_id: int, kind: str, text: str, fb: dict) -> int:
        n = conn.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM turns WHERE thread_id = ?", (thread_id,)).fetchone()[0]
        leaning, score = _lens_of(fb)
        now = _now()
        conn.execute(
            "INSERT INTO turns (thread_id, n, kind, text, model, leaning, lens_score, feedback, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (thread_id, n, kind, text, fb.get("model", ""), leaning, score, json.dumps(fb, ensure_ascii=False), now))
        conn.execute("UPDATE threads SET updated_at = ? WHERE id = ?", (now, thread_id))
        return n

    def start(self, scenario: str, feedback: Any) -> int:
        """A new thread whose first turn is ``scenario`` and its feedback; returns the thread id."""
        fb = _feedback_dict(feedback)
        with self._conn(create=True) as conn:
            assert conn is not None  # create=True makes the file rather than yielding None
            conn.execute("BEGIN IMMEDIATE")
            now = _now()
            tid = conn.execute("INSERT INTO threads (created_at, updated_at) VALUES (?, ?)", (now, now)).lastrowid
            assert tid is not None  # an INSERT always sets it
            self._insert_turn(conn, tid, "scenario", scenario, fb)
            conn.execute("COMMIT")
            return int(tid)

    def add(self, thread_id: int, reply: str, feedback: Any) -> int:
        """Append a follow-up to a thread; returns its turn number (2 for the first follow-up)."""
        fb = _feedback_dict(feedback)
        with self._conn(create=True) as conn:
            assert conn is not None  # create=True makes the file rather than yielding None
            conn.execute("BEGIN IMMEDIATE")
            if not conn.execute("SELECT 1 FROM threads WHERE id = ?", (thread_id,)).fetchone():
                raise JournalError(f"no thread {thread_id} in the journal (see `coach journal list`)")
            n = self._insert_turn(conn, thread_id, "reply", reply, fb)
            conn.execute("COMMIT")
            return n

    # -- reading -----------------------------------------------------------------------------
    def threads(self, limit: int | None = None) -> list[Summary]:
        """Every thread, the most recently continued first."""
        with self._conn() as conn:
            if conn is None:
                return []
            rows = conn.execute(
                "SELECT t.id, t.created_at, t.updated_at, "
                " (SELECT text FROM turns WHERE thread_id = t.id ORDER BY n LIMIT 1), "
                " (SELECT COUNT(*) FROM turns WHERE thread_id = t.id), "
                " (SELECT group_concat(leaning, ',') FROM (SELECT leaning FROM turns WHERE thread_id = t.id ORDER BY n)) "
                "FROM threads t ORDER BY t.updated_at DESC, t.id DESC" + (" LIMIT ?" if limit else ""),
                (limit,) if limit else ()).fetchall()
        out = []
        for tid, created, updated, text, count, leanings in rows:
            seq = (leanings or "").split(",") if leanings is not None else []
            out.append(Summary(int(tid), created[:10], first_line(text or ""), int(count),
                               seq[-1] if seq else "", seq, updated))
        return out

    def thread(self, thread_id: int) -> Thread:
        with self._conn() as conn:
            row = conn.execute("SELECT id, created_at, updated_at FROM threads WHERE id = ?",
                               (thread_id,)).fetchone() if conn is not None else None
            if conn is None or row is None:
                raise JournalError(f"no thread {thread_id} in the journal (see `coach journal list`)")
            turns = conn.execute("SELECT n, kind, text, feedback, model, leaning, lens_score, created_at FROM turns "
                                 "WHERE thread_id = ? ORDER BY n", (thread_id,)).fetchall()
        return Thread(int(row[0]), row[1], row[2], [
            Turn(int(n), kind, text, json.loads(fb), model or "", leaning or "", score, created)
            for n, kind, text, fb, model, leaning, score, created in turns])

    def recent_turns(self, limit: int = 30) -> list[dict[str, Any]]:
        """The manager's last turns across threads (oldest first): when, which thread, the leaning."""
        with self._conn() as conn:
            if conn is None:
                return []
            rows = conn.execute("SELECT thread_id, n, created_at, leaning, lens_score FROM turns "
                                "WHERE leaning != '' ORDER BY created_at DESC, thread_id DESC, n DESC LIMIT ?",
                                (limit,)).fetchall()
        return [{"thread": t, "turn": n, "at": at, "leaning": ln, "score": sc} for t, n, at, ln, sc in reversed(rows)]

    # -- deleting ----------------------------------------------------------------------------
    def delete(self, thread_id: int | None) -> int:
        """Delete one thread (or every thread when ``thread_id`` is None) so that its words are gone
        from the disk; returns how many threads were deleted."""
        with self._conn() as conn:
            if conn is None:
                if thread_id is None:
                    return 0
                raise JournalError(f"no thread {thread_id} in the journal (see `coach journal list`)")
            conn.execute("BEGIN IMMEDIATE")
            if thread_id is None:
                count = conn.execute("SELECT COUNT(*) FROM threads").fetchone()[0]
                conn.execute("DELETE FROM turns")
                conn.execute("DELETE FROM threads")
            else:
                count = conn.execute("DELETE FROM threads WHERE id = ?", (thread_id,)).rowcount
                if not count:
                    raise JournalError(f"no thread {thread_id} in the journal (see `coach journal list`)")
                conn.execute("DELETE FROM turns WHERE thread_id = ?", (thread_id,))
            conn.execute("COMMIT")
            self._scrub(conn)
            return int(count)

    def _scrub(self, conn: sqlite3.Connection) -> None:
        """Rewrite the file without free pages and empty the WAL, where old page images still live.
        A reader in another process can hold the WAL open for a moment: retry, then say so."""
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        deadline = time.monotonic() + self.timeout
        while True:
            busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return
            if time.monotonic() > deadline:
                raise JournalError(f"the journal ({self.path}) is in use by another program: the deleted text is "
                                   "gone from the journal but may stay in its log until that program closes it")
            time.sleep(0.05)


__all__ = ["Journal", "JournalError", "Thread", "Turn", "Summary", "journal_path", "first_line"]
