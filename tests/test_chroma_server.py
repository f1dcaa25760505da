"""The same code against a real `chroma run` server on 127.0.0.1 (the team set-up)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from procs import free_port, stop

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    assert os.path.exists(exe), "the chroma CLI (from the chromadb package) is missing"
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = open(path / "server.log", "wb")
    proc = subprocess.Popen([exe, "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/api/v2/heartbeat", timeout=1)
            break
        except Exception:
            assert proc.poll() is None, (path / "server.log").read_text(errors="replace")
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma server did not start within 60 s")
    yield url
    stop(proc)


def test_ingest_and_search_through_a_chroma_server(chroma_server, coach_cli, tmp_path):
    env = {"COACH_CHROMA_URL": chroma_server, "COACH_DATA_DIR": str(tmp_path / "unused")}
    a = coach_cli("ingest", "--json", env=env)
    assert a.returncode == 0, a.stderr
    first = json.loads(a.stdout)
    assert first["added"] > 20
    b = coach_cli("ingest", "--json", env=env)
    assert json.loads(b.stdout) == {"added": 0, "updated": 0, "removed": 0, "unchanged": first["added"]}
    s = coach_cli("search", "--json", "-k", "3", "my team does things right but maybe not the right things", env=env)
    assert s.returncode == 0, s.stderr
    hits = json.loads(s.stdout)
    assert "doing the right things" in hits[0]["text"]
    # the data folder may hold the embedder's cache of the code's own texts, but never an embedded store
    assert not (tmp_path / "unused" / "chroma").exists(), "the embedded store must not be touched when a server is configured"


def test_unreachable_server_is_one_line(coach_cli):
    port = free_port()
    r = coach_cli("search", "anything", env={"COACH_CHROMA_URL": f"http://127.0.0.1:{port}"})
    assert r.returncode == 1
    assert f"cannot reach the Chroma server at http://127.0.0.1:{port}" in r.stderr
    assert "Traceback" not in r.stderr and r.stderr.strip().count("\n") == 0
