"""The word lists kept as data (coach/*/words.yaml, issue 30 item 6): each says what it is for and where it is
used, and its examples behave so there; every list is used by the code that names it; the files ship."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "coach").glob("*/words.yaml"))
LISTS = [(f, name, spec) for f in FILES for name, spec in yaml.safe_load(f.read_text(encoding="utf-8")).items()]


def test_the_stages_keep_their_word_lists_as_data():
    assert {f.parent.name for f in FILES} == {"reading", "plan", "checks"}
    assert len(LISTS) >= 12 and sum(len(s["words"]) for _, _, s in LISTS) > 1200


@pytest.mark.parametrize("path,name,spec", LISTS, ids=[f"{f.parent.name}:{n}" for f, n, _ in LISTS])
def test_each_list_does_what_it_says_where_it_is_used(path, name, spec):
    assert len(spec["for"]) > 40 and spec["matches"] and spec["not"], name
    module, attr = spec["used_by"].rsplit(".", 1)
    mod = importlib.import_module(module)
    used = getattr(mod, attr)
    test = used.search if isinstance(used, re.Pattern) else used.__contains__ if isinstance(used, set) else used
    for text in spec["matches"]:
        assert test(text), (name, text)
    for text in spec["not"]:
        assert not test(text), (name, text)
    # the list is spliced into that module (by name), not a copy left behind
    source = Path(mod.__file__).read_text(encoding="utf-8")
    assert re.search(r'(?:alternation|word_list)\(__file__, "' + name + r'"\)', source), (name, module)
    words = spec["words"]
    assert all(isinstance(w, str) and w.strip() == w and w for w in words), name  # "no" read as False, etc.


def test_a_regex_list_entry_is_one_alternative():
    """An entry with a bare top-level "|" or an unbalanced bracket would change the pattern around it."""
    for _, name, spec in LISTS:
        for w in spec["words"]:
            re.compile(w)
            depth = 0
            for i, ch in enumerate(w):
                if ch in "()" and (i == 0 or w[i - 1] != "\\"):
                    depth += 1 if ch == "(" else -1
                assert depth >= 0, (name, w)
                assert not (ch == "|" and depth == 0), (name, w)


def test_a_heading_line_is_not_the_first_words_of_the_sentence_under_it():
    """A model's answer puts a heading right above its text ("**2. Nobody is ready**" then a new line): the checker
    marked the heading and the sentence under it as one sentence, so a heading's words decided the sentence's fate
    (stop 35: one faithful sentence warned, several reversals under headings missed)."""
    from coach.common.text import sentence_spans

    text = ("Intro line. Next one.\n\n**2. Nobody is ready to follow you**\nThe articles point out the risk. Second.\n\n"
            "### Keeping the values\nManagers rely on systems.\nA plain line\ncontinues here.")
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Intro line.", "Next one.", "**2. Nobody is ready to follow you**", "The articles point out the risk.",
        "Second.", "### Keeping the values", "Managers rely on systems.", "A plain line\ncontinues here."]
