"""Lint and type checks as tests, so a plain `pytest` run catches what `make test` runs before it.

Both tools read their settings from pyproject.toml ([tool.ruff], [tool.mypy]); they run from the
clone's root as subprocesses, exactly as the Makefile runs them.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_is_clean():
    r = _run(sys.executable, "-m", "ruff", "check", ".", "--output-format", "concise")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_is_clean():
    r = _run(sys.executable, "-m", "mypy")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Success: no issues found" in r.stdout
