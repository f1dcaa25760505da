"""The cleaned corpus keeps the articles' own sentences and none of the web page leftovers."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from coach.corpus.documents import load_corpus, parse_document
from coach.errors import CorpusError
from coach.corpus.passages import split_document
from coach.common.text import normalize, split_sentences

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
if not SEEDS.is_dir():
    SEEDS = Path("/work/shared/seeds")

LEFTOVERS = [
    r"Submit a Comment", r"Your email address will not be published", r"Share This", r"CAPTCHA",
    r"Complete the math problem", r"Leave a Reply", r"Contact Us", r"Featured Posts", r"©", r"All rights reserved",
    r"^\s*#\w+", r"Tags:", r"Related Blog Posts", r"Recommended Books", r"Additional Resources",
    r"Watch Video", r"Schedule your complimentary consultation", r"Get Started Implementing",
]


def docs():
    found, errors = load_corpus(ROOT / "corpus")
    assert not errors
    return found


def test_every_seed_has_one_article():
    origins = sorted(d.origin for d in docs())
    assert origins == sorted(p.name for p in SEEDS.glob("*.txt"))


@pytest.mark.parametrize("doc", docs(), ids=lambda d: d.id)
def test_every_sentence_comes_from_its_seed(doc):
    seed = normalize((SEEDS / doc.origin).read_text(encoding="utf-8"))
    seed_flat = " ".join(seed.split())
    for sent in split_sentences(re.sub(r"^\s*(#+|>)\s*", "", doc.body, flags=re.M)):
        assert normalize(sent) in seed_flat, f"{doc.id}: not in the seed: {sent!r}"


@pytest.mark.parametrize("doc", docs(), ids=lambda d: d.id)
def test_no_web_page_leftovers(doc):
    for pat in LEFTOVERS:
        assert not re.search(pat, doc.body, flags=re.M | re.I), f"{doc.id}: leftover {pat!r}"


@pytest.mark.parametrize("doc", docs(), ids=lambda d: d.id)
def test_article_text_is_complete(doc):
    """Every sentence of the seed that is article text (not a leftover) is kept."""
    seed = (SEEDS / doc.origin).read_text(encoding="utf-8")
    body = " ".join(normalize(doc.title + " " + doc.body).split())  # a title line lives in the front matter
    cut_at = [seed.find(m) for m in ("Recommended Books:", "To Your Success,", "© 20", "Schedule your complimentary",
                                     "Get Started Implementing") if seed.find(m) > 0]
    article = seed[: min(cut_at)] if cut_at else seed
    for sent in (x for line in article.splitlines() for x in split_sentences(line.lstrip("- "))):
        if len(sent.split()) < 4 or re.search("|".join(LEFTOVERS[:12]), sent, flags=re.I):
            continue
        assert normalize(sent) in body, f"{doc.id}: dropped {sent!r}"


def test_author_only_where_the_text_names_it():
    by_id = {d.id: d for d in docs()}
    assert by_id["manager-vs-leader"].author == "Bryan Caison"
    assert all(d.author is None for d in docs() if d.id != "manager-vs-leader")


def test_lists_stay_with_their_introduction():
    doc = next(d for d in docs() if d.id == "maintainers-and-innovators")
    focus = [p.text for p in split_document(doc) if "They focus on:" in p.text]
    assert len(focus) == 2
    assert all(w in focus[0] for w in ("Planning", "Organizing", "Administering", "Controlling", "Enforcement"))
    assert all(w in focus[1] for w in ("Direction", "Vision", "Motivation", "Inspiring", "Empowering"))


def test_passage_ids_are_stable_content_hashes():
    d = docs()[0]
    a = [p.id for p in split_document(d)]
    b = [p.id for p in split_document(d)]
    assert a == b and all(i.startswith(d.id + ":") for i in a) and len(set(a)) == len(a)


@pytest.mark.parametrize("content,message", [
    (b"", "empty file"),
    (b"\xff\xfe\x00bad", "not UTF-8"),
    (b"no front matter here\n", "missing front matter"),
    (b"---\nid: [unclosed\n---\ntext\n", "broken front matter"),
    (b"---\ntitle: x\n---\ntext\n", "needs an 'id'"),
])
def test_bad_files_name_the_file(tmp_path, content, message):
    f = tmp_path / "bad.md"
    f.write_bytes(content)
    with pytest.raises(CorpusError) as e:
        parse_document(f)
    assert str(f) in str(e.value) and message in str(e.value)
    assert "\n" not in str(e.value)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="corpus folder not found"):
        load_corpus(tmp_path / "nope")
