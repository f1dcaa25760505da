"""Word lists kept as data: ``words.yaml`` beside the stage that matches them (issue 30, item 6).

Why data: a list is what a maintainer edits when a new writer's word is missed (a trade, a complaint
word); inside a regex in source, about 1,000 alternatives were hidden among the patterns' structure. The
patterns stay in code, where their structure is, and each list is spliced in, in the file's order, so the
compiled pattern is exactly what it was. Each list in a file says what it is for, which pattern or function
uses it, and examples it must and must not match there (checked by tests/test_words.py)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=None)
def _lists(stage_dir: str) -> dict:
    import yaml

    return yaml.safe_load((Path(stage_dir) / "words.yaml").read_text(encoding="utf-8"))


def word_list(module_file: str, name: str) -> list[str]:
    """The list ``name`` of the ``words.yaml`` beside ``module_file`` (pass ``__file__``), by package path."""
    return list(_lists(str(Path(module_file).resolve().parent))[name]["words"])


def alternation(module_file: str, name: str) -> str:
    """That list as one regex alternation (its entries are regex fragments: ``slip\\w*``, ``keeps?``)."""
    return "|".join(word_list(module_file, name))


__all__ = ["word_list", "alternation"]
