"""``DIR/results.jsonl``: the batch's only state, append-only, one writer, every line fsync'd.

Why it is built this way: never lose or duplicate work. Each finished case is appended as one line
with a single ``write`` call by one writer (the event loop's thread; a lock file keeps a second run
off the same folder). A run stopped by Ctrl-C, SIGTERM or ``kill -9`` loses only the cases in
flight; a half-written last line (possible only in a crash) is cut away with a notice on the next
start. Re-running the same command reads the file (the newest line per id wins).

A line is read through ``ResultLine`` (pydantic, ``extra="forbid"``): a mistyped or unknown key is
not a result line. The user's own input columns travel in ``fields``, a free dict, so they never
collide with the line's own keys. Lines written by earlier versions (no ``scenario_sha``, a ``pii``
without ``raw_text_kept``) still read.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import CoachError, UsageError
from .inputs import Log, stderr_log

RESULTS_NAME = "results.jsonl"
LOCK_NAME = ".coach-batch.lock"
PRIVATE_MODE = 0o600  # results.jsonl keeps the cases as written: the owner alone reads it (issue 31)
STATUSES = ("ok", "error", "skipped")


class PiiRecord(BaseModel):
    """What the privacy gate found in a case (kinds and counts, never the values) and what it did."""

    model_config = ConfigDict(extra="forbid")

    found: dict[str, int]
    action: str                  # redacted | allowed | local | held
    raw_text_kept: bool = False  # absent in lines written before it existed

    @property
    def raw_kept(self) -> bool:
        """results.jsonl holds the personal data as written (read from the action: old lines lack the flag)."""
        return bool(self.found) and self.action in ("local", "allowed")


class ResultLine(BaseModel):
    """One line of results.jsonl, as the runner writes it (``Runner.base`` and the updates after it)."""

    model_config = ConfigDict(extra="forbid")

    id: str | int
    status: Literal["ok", "error", "skipped"]
    feedback: dict[str, Any] | None = None
    error: str | None = None
    elapsed_s: float = 0.0
    line: int | None = None
    fields: dict[str, Any] = {}  # the user's other input columns, carried through as they are
    model: str | None = None
    finished_at: str | None = None
    scenario_sha: str | None = None
    pii: PiiRecord | None = None
    usage: dict[str, Any] | None = None
    input_error: bool = False

    @property
    def key(self) -> str:
        return str(self.id)

    @property
    def in_scope(self) -> bool:
        """An ok line was answered (True) or declined as not about managing or leading people (False)."""
        return bool((self.feedback or {}).get("in_scope", True))


def parse_line(rec: dict) -> ResultLine:
    """The typed view of a stored result (a dict from ``read_results`` or one the runner just wrote)."""
    return ResultLine.model_validate(rec)


def now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def scenario_digest(text: str) -> str:
    """A short fingerprint of the input text, to notice an id whose scenario changed between runs."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def read_results(path: Path, log: Log | None = None) -> dict[str, dict]:
    """id -> the newest result line for it (later lines win). Lines that are not result lines are skipped.

    The dicts are kept as written (the report renders them); ``parse_line`` gives the typed view."""
    latest: dict[str, dict] = {}
    if not path.exists():
        return latest
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw)
                key = parse_line(rec).key
            except (ValueError, TypeError, ValidationError):
                if log is not None:
                    log(f"coach batch: {path}:{n}: not a result line; ignored")
                continue
            latest[key] = rec
    return latest


class ResultsFile:
    """The append-only results file: one writer, one ``write`` per line.

    Each line is in the kernel when ``append`` returns, so Ctrl-C, SIGTERM or kill -9 lose nothing
    that finished. The fsync that also guards against a power cut runs on a thread of its own,
    coalescing lines that finish together: on the event loop it held up every waiting request for
    a disk flush per case."""

    def __init__(self, out_dir: Path, log: Log = stderr_log):
        self.dir = out_dir
        self.path = out_dir / RESULTS_NAME
        self.log = log
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self._dirty = threading.Condition()
        self._pending = False
        self._closing = False
        self._syncer: threading.Thread | None = None
        self._sync_error: OSError | None = None

    def open(self) -> dict[str, dict]:
        """Lock the folder, cut a partial last line, and return the newest result per id."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise UsageError(f"--out {self.dir} is a file, not a folder") from None
        except OSError as e:
            raise UsageError(f"cannot create --out folder {self.dir}: {e.strerror or e}") from None
        if not self.dir.is_dir():
            raise UsageError(f"--out {self.dir} is a file, not a folder")
        self._lock()
        self.repair()
        latest = read_results(self.path, self.log)
        try:
            # the cases as written, personal data included: readable by their owner only (like the journal),
            # and an older run's 0644 file is narrowed too
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_MODE)
            os.fchmod(self._fd, PRIVATE_MODE)
        except OSError as e:
            raise UsageError(f"cannot write {self.path}: {e.strerror or e}") from None
        return latest

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no guard against two writers
            return
        try:
            fd = os.open(self.dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, PRIVATE_MODE)
        except OSError as e:
            raise UsageError(f"cannot write in {self.dir}: {e.strerror or e}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise UsageError(f"another `coach batch` is writing to {self.dir}: wait for it, or use another --out") from None
        self._lock_fd = fd

    def repair(self) -> int:
        """Cut a trailing line that has no newline (a write cut short by a crash). Returns bytes cut."""
        if not self.path.exists():
            return 0
        size = self.path.stat().st_size
        if size == 0:
            return 0
        with open(self.path, "rb+") as fh:
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return 0
            pos, block = size, 65536
            keep = 0
            while pos > 0:
                start = max(0, pos - block)
                fh.seek(start)
                chunk = fh.read(pos - start)
                i = chunk.rfind(b"\n")
                if i >= 0:
                    keep = start + i + 1
                    break
                pos = start
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
        cut = size - keep
        self.log(f"coach batch: {self.path} ended in a partial line ({cut} bytes, a case that was being written "
                 "when an earlier run stopped); removed it, that case runs again")
        return cut

    def append(self, record: dict) -> None:
        assert self._fd is not None, "results file is not open"
        if self._sync_error is not None:
            raise CoachError(f"cannot write {self.path}: {self._sync_error.strerror or self._sync_error}")
        data = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        try:
            written = os.write(self._fd, data)
            while written < len(data):  # a regular file short-writes only when the disk is full
                written += os.write(self._fd, data[written:])
        except OSError as e:
            raise CoachError(f"cannot write {self.path}: {e.strerror or e}") from None
        with self._dirty:
            self._pending = True
            if self._syncer is None:
                self._syncer = threading.Thread(target=self._sync_loop, name="coach-batch-fsync", daemon=True)
                self._syncer.start()
            self._dirty.notify()

    def _sync_loop(self) -> None:
        """fsync after every burst of lines, until ``close`` asks it to stop and nothing is left."""
        while True:
            with self._dirty:
                while not (self._pending or self._closing):
                    self._dirty.wait()
                if not self._pending:
                    return
                self._pending = False
            fd = self._fd
            if fd is None:  # closed under it: nothing left to sync
                return
            try:
                os.fsync(fd)
            except OSError as e:
                self._sync_error = e
                return

    def close(self) -> None:
        if self._syncer is not None:  # the last lines reach the disk before the file is closed
            with self._dirty:
                self._closing = True
                self._dirty.notify()
            self._syncer.join()
            self._syncer = None
        for attr in ("_fd", "_lock_fd"):
            fd = getattr(self, attr)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, attr, None)

