"""Settings from the environment, read when asked (so tests can change them per call).

| variable | meaning | default |
| --- | --- | --- |
| COACH_DATA_DIR | where the embedded Chroma store lives | a per-user data folder |
| COACH_CHROMA_URL | a Chroma server (`chroma run`) to use instead of the embedded store | unset |
| COACH_CORPUS_DIR | the corpus folder | ./corpus, else the one beside the package |
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


def corpus_dir() -> Path:
    env = os.environ.get("COACH_CORPUS_DIR")
    if env:
        return Path(env).expanduser()
    here = Path.cwd() / "corpus"
    return here if here.is_dir() else PACKAGE_ROOT / "corpus"


def default_model() -> str:
    return os.environ.get("COACH_MODEL") or DEFAULT_MODEL


def collection_name() -> str:
    return os.environ.get("COACH_COLLECTION") or "coach_passages"
