"""Shared fixtures: an isolated store, ingested once per session from the real corpus with the real
embedding model, and a real OpenAI-compatible server on 127.0.0.1 when a test asks for one."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/openai_server.py

_SESSION_DATA = Path(os.environ.get("COACH_TEST_DATA") or (ROOT / ".pytest_cache" / "coach-data"))
if os.environ.get("PYTEST_XDIST_WORKER"):  # `make test` runs two workers: each its own store (one sqlite writer each)
    _SESSION_DATA = _SESSION_DATA.with_name(f"{_SESSION_DATA.name}-{os.environ['PYTEST_XDIST_WORKER']}")
os.environ["COACH_DATA_DIR"] = str(_SESSION_DATA)
os.environ["COACH_CORPUS_DIR"] = str(ROOT / "corpus")
os.environ.pop("COACH_CHROMA_URL", None)
os.environ.pop("COACH_MODEL", None)
from coach.config import setup_offline_env  # noqa: E402  (the one list of offline settings)

setup_offline_env(force=True)  # a test run never fetches, whatever the caller's environment says


# `make test` hands whole files to two workers (-n 2 --dist loadfile), the next file to whichever is free, in
# collection order. Alphabetical order left long files near the end, so one worker ran on alone for minutes
# (the last 5% of round 14's first run took 4.5 of its 24 minutes). The longest files go first (their
# measured totals, longest first, round 14); every other file keeps its place, and a file's own order is kept.
LONGEST_FIRST = ("test_neighbours.py", "test_verify_external.py", "test_eval.py", "test_install.py",
                 "test_local_isolation.py", "test_browser.py", "test_benchmarks.py", "test_lens.py", "test_app.py",
                 "test_local.py", "test_batch.py", "test_embed.py")


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))   # a stable sort


@pytest.fixture(scope="session")
def ingested():
    """The real corpus in the session's store (embedded once; later runs reuse it unchanged)."""
    from coach.corpus.ingest import ingest
    from coach.corpus.store import Store

    store = Store()
    report = ingest(ROOT / "corpus", store)
    assert not report.errors, report.errors
    return store


@pytest.fixture
def fake_openai():
    """A real HTTP server speaking the OpenAI chat API on 127.0.0.1 (tests/openai_server.py)."""
    from openai_server import FakeOpenAI

    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def coach_cli():
    """Run `coach ...` in a subprocess the way a user would; returns CompletedProcess."""
    import subprocess

    def run(*args, input: str | None = None, env: dict | None = None, timeout: float = 180):
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run([sys.executable, "-m", "coach.cli", *args], input=input, capture_output=True,
                              text=True, env=e, timeout=timeout, cwd=str(ROOT))

    return run


@pytest.fixture
def linked_data_home(tmp_path, monkeypatch):
    """A fresh data directory (journal, probe cache) whose store is the session's: linked, not copied,
    so nothing is embedded again."""
    home = tmp_path / "data"
    home.mkdir()
    (home / "chroma").symlink_to(Path(os.environ["COACH_DATA_DIR"]).resolve() / "chroma", target_is_directory=True)
    monkeypatch.setenv("COACH_DATA_DIR", str(home))
    return home
