"""`coach models`: which engines a user can pick right now, and what each one needs.

It answers "what can I pass to --model?" without trying anything expensive: no litellm and no network.
The local engine is checked by reading its file header and then, once per build and CPU, by a tiny
generation in its own child process (a present file says nothing about a build that dies with SIGILL
here). Provider keys are reported as set or not set; their values are never read into the output.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from urllib.parse import urlparse

from ..engines.providers import PROVIDERS
from .common import print_json

OLLAMA_DEFAULT = "http://localhost:11434"


@dataclass
class EngineInfo:
    """One row of `coach models` (and one object of its --json)."""

    name: str
    kind: str                 # builtin | local | provider | server
    ready: bool | None        # None: cannot tell without calling it
    status: str
    help: str
    env: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)


def register(sub) -> None:
    p = sub.add_parser("models", help="list the engines you can use now and what each one needs",
                       description="List the engines for --model: the built-in extractive engine, the offline "
                       "local model (with the `local` extra), and the usual providers with whether their API key "
                       "is set (values are never shown). Nothing is called over the network; the local model is tried once "
                       "(a few tokens in its own process) and the answer remembered for this build and CPU.")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(func=cmd_models)


def _key_set(name: str) -> bool:
    return bool((os.environ.get(name) or "").strip())


def _local() -> EngineInfo:
    """The local model: installed, file sound, and — the question that matters — does it run here?

    The last one is a tiny generation in the model's own child process (a build that dies with SIGILL on
    this CPU cannot take this command down), remembered per build, model file and CPU (``probe.py``), so
    only the first look after an install costs a second or two."""
    from ..engines import local

    st = local.status()
    details = st.to_dict()
    ready = st.available
    if not st.extra_installed:
        status = "not installed"
    elif not st.available:
        status = "model file problem"
    else:
        probe = local.runs_here()
        details.update({"runs_here": probe["runs"], "probe_error": probe["error"], "probe_cached": probe["cached"]})
        ready = bool(probe["runs"])
        status = "ready (offline; generation checked on this machine)" if ready else f"does not run here: {probe['error']}"
    if ready:
        help_ = "SmolLM2-135M running on this machine in its own process, no network; small and weak, so read the verifier's flags"
    elif st.available:
        help_ = "the model file is fine but generation failed on this machine; use the built-in engine (--model extractive)"
    else:
        help_ = st.problem or local.INSTALL_HINT
    details.setdefault("runs_here", False)
    return EngineInfo(local.MODEL, "local", ready, status, help_, [local.ENV_MODEL_PATH], details)


def _loopback_port_open(url: str, timeout: float = 0.25) -> bool | None:
    """Is something listening at a loopback URL? None for any other host (never contacted)."""
    import socket

    u = urlparse(url if "://" in url else f"http://{url}")
    host = (u.hostname or "").lower()
    if host not in ("localhost", "127.0.0.1"):
        return None
    try:
        with socket.create_connection(("127.0.0.1", u.port or 80), timeout=timeout):
            return True
    except OSError:
        return False


def _ollama() -> EngineInfo:
    base = os.environ.get("OLLAMA_API_BASE") or OLLAMA_DEFAULT
    up = _loopback_port_open(base)
    status = {True: "server answering", False: "no server", None: "server not checked"}[up]
    help_ = (f"models on an ollama server at {base} (start it with `ollama serve`, pull a model with "
             f"`ollama pull llama3.1`); for another server pass --api-base URL or set OLLAMA_API_BASE")
    return EngineInfo("ollama/llama3.1", "server", up, status, help_, ["OLLAMA_API_BASE"], {"api_base": base})


def engines() -> list[EngineInfo]:
    rows = [EngineInfo("extractive", "builtin", True, "ready (offline)",
                       "built in: feedback assembled from the retrieved passages themselves; no model, no network")]
    rows.append(_local())
    for p in PROVIDERS:
        if not p.example:  # known for its key, not offered in the list
            continue
        provider, example, keys, what = p.prefix, p.example, list(p.keys), p.what
        which = next((k for k in keys if _key_set(k)), None)
        status = f"{which} set" if which else f"{' or '.join(keys)} not set"
        rows.append(EngineInfo(example, "provider", bool(which), status,
                               f"{what}: any {provider}/<model>; the key comes from {' or '.join(keys)} or --api-key",
                               list(keys), {"provider": provider, "key_set": bool(which)}))
    rows.append(_ollama())
    rows.append(EngineInfo("openai/<name> --api-base URL", "server", None, "needs a server",
                           "any OpenAI-compatible server (vLLM, llama.cpp's server, LM Studio, a LiteLLM proxy); "
                           "--api-key only if it wants one"))
    return rows


def cmd_models(args) -> int:
    from .. import config

    rows = engines()
    default = config.default_model()
    if args.json:
        print_json({"default": default, "engines": [asdict(r) for r in rows]})
        return 0
    mark = {True: "✓", False: "✗", None: "?"}
    width = max(len(r.name) for r in rows)
    print(f"Engines for --model (default: {default}; set COACH_MODEL to change it)")
    print("  ✓ usable now   ✗ needs something first   ? depends on a server you name\n")
    for r in rows:
        print(f"  {mark[r.ready]} {r.name:<{width}}  {r.status}")
        print(f"    {r.help}")
    return 0
