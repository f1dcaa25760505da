"""Settings from the environment, read when asked (so tests can change them per call).

| variable | meaning | default |
| --- | --- | --- |
| COACH_DATA_DIR | where the embedded Chroma store lives | a per-user data folder |
| COACH_CHROMA_URL | a Chroma server (`chroma run`) to use instead of the embedded store | unset |
| COACH_CORPUS_DIR | the corpus folder | the checkout's corpus/, else the copy inside the package |
| COACH_MODEL | the default engine | extractive |
| COACH_COLLECTION | the collection name | coach_passages |
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "extractive"
DEFAULT_K = 5
MAX_SCENARIO_CHARS = 6000


def setup_offline_env() -> None:
    """Keep heavy libraries from phoning home: no hub downloads, no price-list fetch, no telemetry."""
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "ANONYMIZED_TELEMETRY": "False",
        "TOKENIZERS_PARALLELISM": "false",
        "TRANSFORMERS_VERBOSITY": "error",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    }.items():
        os.environ.setdefault(key, value)


def data_dir() -> Path:
    env = os.environ.get("COACH_DATA_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("reflection-coach", appauthor=False))


def chroma_url() -> str | None:
    return os.environ.get("COACH_CHROMA_URL") or None


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
