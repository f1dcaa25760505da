"""`coach models`: what a user can pick now, keys reported as set/not set (never their values), fast."""
from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEYS = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "MISTRAL_API_KEY", "GROQ_API_KEY",
        "OLLAMA_API_BASE", "COACH_LOCAL_MODEL_PATH"]
HEAVY = ("litellm", "torch", "llama_cpp", "chromadb", "sentence_transformers", "streamlit")


def _run(*args, env=None, pre: str = ""):
    """`coach ARGS` in a fresh interpreter with a clean key environment; reports heavy modules imported."""
    e = {k: v for k, v in os.environ.items() if k not in KEYS}
    e.update(env or {})
    code = (f"{pre}\nimport sys\nfrom coach.cli import main\nrc = main({list(args)!r})\n"
            f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\nsys.exit(rc)")
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e, timeout=120, cwd=str(ROOT))
    return r, time.perf_counter() - t0


def _engines(r) -> dict[str, dict]:
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    return {x["name"]: x for x in data["engines"]}


def test_lists_every_engine_with_key_status_and_never_the_key():
    secret = "sk-test-SECRET-value-1234567890"
    r, elapsed = _run("models", "--json", env={"OPENAI_API_KEY": secret, "GOOGLE_API_KEY": "g-" + secret,
                                                "GROQ_API_KEY": "  "})
    rows = _engines(r)
    assert secret not in r.stdout + r.stderr
    assert {"extractive", "local/smollm2", "ollama/llama3.1", "openai/<name> --api-base URL"} <= set(rows)
    assert rows["extractive"]["ready"] is True
    by_provider = {x["details"]["provider"]: x for x in rows.values() if x["kind"] == "provider"}
    assert set(by_provider) == {"openai", "anthropic", "gemini", "mistral", "groq"}
    assert by_provider["openai"]["ready"] is True and by_provider["openai"]["status"] == "OPENAI_API_KEY set"
    assert by_provider["gemini"]["ready"] is True and "GOOGLE_API_KEY set" == by_provider["gemini"]["status"]
    assert by_provider["anthropic"]["ready"] is False and "not set" in by_provider["anthropic"]["status"]
    assert by_provider["groq"]["ready"] is False          # blank counts as not set
    assert all(x["help"] for x in rows.values())
    assert "--api-base" in rows["ollama/llama3.1"]["help"]
    # the local extra is part of `make install`; a missing one fails here with the reason
    local = rows["local/smollm2"]
    assert local["ready"] is True, local["details"].get("problem")
    assert local["details"]["model_path"].endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    # fast: nothing heavy imported, nothing loaded
    heavy = r.stderr.strip().splitlines()[-1]
    assert heavy == "HEAVY=", heavy
    assert elapsed < 10, elapsed


def test_text_output_is_one_block_per_engine():
    r, _ = _run("models", env={"ANTHROPIC_API_KEY": "ak-SECRET-xyz"})
    assert r.returncode == 0, r.stderr
    assert "ak-SECRET-xyz" not in r.stdout
    for name in ("extractive", "local/smollm2", "openai/gpt-4o-mini", "ANTHROPIC_API_KEY set", "ollama/llama3.1",
                 "openai/<name> --api-base URL", "MISTRAL_API_KEY not set", "GEMINI_API_KEY or GOOGLE_API_KEY not set"):
        assert name in r.stdout, name


def test_local_engine_without_the_extra_says_how_to_install_it():
    r, _ = _run("models", "--json", pre="import sys; sys.modules['llama_cpp'] = None")
    local = _engines(r)["local/smollm2"]
    assert local["ready"] is False and local["status"] == "not installed"
    assert "make install-local" in local["help"]


def test_local_engine_with_a_corrupt_model_file(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model" * 1000)
    r, _ = _run("models", "--json", env={"COACH_LOCAL_MODEL_PATH": str(bad)})
    local = _engines(r)["local/smollm2"]
    assert local["ready"] is False and local["status"] == "model file problem"
    assert "not a GGUF" in local["help"] and str(bad) in local["help"]
    good = tmp_path / "ok.gguf"
    good.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 10, 10) + bytes(1_100_000))
    r, _ = _run("models", "--json", env={"COACH_LOCAL_MODEL_PATH": str(good), "COACH_DATA_DIR": str(tmp_path)})
    local = _engines(r)["local/smollm2"]
    # the header passes the cheap checks, but a present file is not a model that runs: the probe says so
    assert local["ready"] is False and local["status"].startswith("does not run here"), local
    assert local["details"]["model_ok"] is True and local["details"]["runs_here"] is False


def test_ollama_status_probes_only_loopback():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    try:
        r, _ = _run("models", "--json", env={"OLLAMA_API_BASE": f"http://127.0.0.1:{port}"})
        assert _engines(r)["ollama/llama3.1"]["status"] == "server answering"
    finally:
        srv.close()
    r, _ = _run("models", "--json", env={"OLLAMA_API_BASE": f"http://127.0.0.1:{port}"})
    assert _engines(r)["ollama/llama3.1"]["status"] == "no server"
    r, _ = _run("models", "--json", env={"OLLAMA_API_BASE": "http://gpu-box.internal:11434"})
    row = _engines(r)["ollama/llama3.1"]
    assert row["ready"] is None and row["status"] == "server not checked"
    assert "gpu-box.internal" in row["help"]


def test_models_is_listed_in_help():
    r = subprocess.run([sys.executable, "-m", "coach.cli", "--help"], capture_output=True, text=True, timeout=60,
                       cwd=str(ROOT))
    assert r.returncode == 0 and "models" in r.stdout
