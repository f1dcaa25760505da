"""Settings from the environment, read when asked (so tests can change them per call).

| variable | meaning | default |
| --- | --- | --- |
| COACH_DATA_DIR | where the embedded Chroma store lives | a per-user data folder |
| COACH_CHROMA_URL | a Chroma server (`chroma run`) to use instead of the embedded store | unset |
| COACH_CORPUS_DIR | the corpus folder | the checkout's corpus/, else the copy inside the package |
| COACH_MODEL | the default engine | extractive |
| COACH_COLLECTION | the collection name | coach_passages |
| COACH_STORE_SNAPSHOT | 0: queries always read Chroma, not the embedded store's read snapshot (``store.Snapshot``) | 1 |
| COACH_EMBED_BACKEND | which backend encodes: auto (numpy, then onnxruntime), numpy, onnx or torch (``embed_backend()``) | auto |
| COACH_RETRY_BASE | first retry delay in seconds for a model's rate limits and server errors (doubles each time) | 0.5 |
| COACH_LOCAL_MODEL_PATH | a GGUF file for the local engine instead of the packaged SmolLM2 | unset |
| COACH_LOCAL_THREADS | threads for the local model | half the cores |
| COACH_LOCAL_MAX_TOKENS | tokens per answer from the local model | the engine's cap |
| COACH_LOCAL_FAULT | test hook: the local model's child process crashes on purpose (read by that child, ``engines/local/worker.py``, which must not import the package; and by ``local_fault()`` for the probe's cache key) | unset |

Every ``COACH_*`` variable is read here and nowhere else (except the child's test hook above), so
this table is the whole list. The offline settings (``OFFLINE_ENV``) are written once, here too: the
tests (conftest) and the benchmarks call ``setup_offline_env``; the Makefile repeats them as exports
only because make cannot import Python.
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "extractive"
# passages retrieved by default: retrieval_recall 0.943 at 5 on evals/cases.yaml; more sources are added for the needs
DEFAULT_K = 5
# The most passages any front end retrieves for one situation (reflect, search, batch, the page's
# slider): past ~20 the prompt outgrows small models' context and MMR has run out of distinct passages.
MAX_K = 20
MAX_SCENARIO_CHARS = 6000

# Settings that keep heavy libraries from phoning home: no hub downloads, no price-list fetch, no telemetry.
OFFLINE_ENV: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "TRANSFORMERS_VERBOSITY": "error",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}


def setup_offline_env(force: bool = False, env: dict[str, str] | None = None) -> None:
    """Write ``OFFLINE_ENV`` into ``env`` (default: this process's environment, so children inherit it).

    A user's own value wins unless ``force`` (the tests and benchmarks force: a run must never fetch)."""
    target = os.environ if env is None else env
    for key, value in OFFLINE_ENV.items():
        if force:
            target[key] = value
        else:
            target.setdefault(key, value)


def check_k(k: int) -> None:
    """The one bound on ``-k`` (and the batch runner's k): a usage error in one line outside 1..MAX_K."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        from .errors import UsageError

        raise UsageError(f"-k must be between 1 and {MAX_K}")


def data_dir() -> Path:
    env = os.environ.get("COACH_DATA_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("reflection-coach", appauthor=False))


def chroma_url() -> str | None:
    return os.environ.get("COACH_CHROMA_URL") or None


def store_snapshot() -> bool:
    return os.environ.get("COACH_STORE_SNAPSHOT", "1").strip().lower() not in ("0", "false", "no", "off")


def _checkout_root() -> Path | None:
    """The source checkout this code runs from (a clone, an editable install), or None for an installed wheel."""
    root = PACKAGE_ROOT
    return root if (root / "pyproject.toml").is_file() and (root / "coach" / "__init__.py").is_file() else None


def _bundled(checkout_name: str, packaged_name: str) -> Path:
    """A data folder that lives at the root of a clone and ships inside the wheel as ``coach/<packaged_name>``.

    The clone's folder wins when the code runs from that clone (edits there take effect at once); an
    installed wheel has only its packaged copy. The current directory is not consulted: a `coach`
    run from a random folder that happens to hold a ``corpus/`` must not index someone else's files
    (COACH_CORPUS_DIR or --corpus says so explicitly)."""
    root = _checkout_root()
    if root is not None and (root / checkout_name).is_dir():
        return root / checkout_name
    return Path(__file__).resolve().parent / packaged_name


def corpus_dir() -> Path:
    env = os.environ.get("COACH_CORPUS_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return _bundled("corpus", "_corpus")


def evals_dir() -> Path:
    """The eval suites `coach eval` reads by default (evals/ of the clone, else the packaged copy)."""
    return _bundled("evals", "_evals")


def default_model() -> str:
    return os.environ.get("COACH_MODEL") or DEFAULT_MODEL


def collection_name() -> str:
    return os.environ.get("COACH_COLLECTION") or "coach_passages"


def _positive_int(name: str) -> int | None:
    raw = (os.environ.get(name) or "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def retry_base() -> float:
    """COACH_RETRY_BASE: the first retry's delay in seconds (the tests set it near zero)."""
    return float(os.environ.get("COACH_RETRY_BASE", "0.5"))


def embed_backend() -> str:
    """COACH_EMBED_BACKEND, lower-cased: auto, numpy, onnx or torch (coach/embed.py)."""
    return os.environ.get("COACH_EMBED_BACKEND", "auto").strip().lower()


def local_model_path() -> Path | None:
    """COACH_LOCAL_MODEL_PATH: a GGUF file for the local engine, or None for the packaged one."""
    env = os.environ.get("COACH_LOCAL_MODEL_PATH")
    return Path(env).expanduser() if env else None


def local_threads() -> int | None:
    """COACH_LOCAL_THREADS when it is a positive integer, else None (the engine picks)."""
    return _positive_int("COACH_LOCAL_THREADS")


def local_max_tokens() -> int | None:
    """COACH_LOCAL_MAX_TOKENS when it is a positive integer, else None (the engine's cap)."""
    return _positive_int("COACH_LOCAL_MAX_TOKENS")


def local_fault() -> str:
    """COACH_LOCAL_FAULT as the parent sees it (the child reads it itself): part of the probe's cache key."""
    return os.environ.get("COACH_LOCAL_FAULT", "")
