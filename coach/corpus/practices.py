"""What the articles recommend, as data: practices with the corpus's exact words, for any corpus.

Why data and not code: the coaching plan (``coach.plan``) answers each need with an idea the articles
really hold and a step that applies it. The five articles' practices are curated in
``corpus/practices.yaml`` (the idea, its exact sentence and short quotes, the problems it answers, the
plans it resembles, step and question forms with slots for the manager's own words). An article
added later needs no entry there: its own advice sentences (imperatives, "you should …", "leaders
must …") become practices when the corpus is read, so ``coach ingest`` is the only step for a new
article's advice to reach an answer. Read like ``coach.corpus.statements``: cached by the corpus's
stamp, re-read when a file changes.

A curated quote or sentence that is not word for word in the corpus (a quote: in the passage of its
sentence, the one the plan cites) is an error naming it: the plan never cites words a source does not hold.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..common.text import split_sentences, word_key, words
from ..errors import CorpusError
from .documents import corpus_stamp, load_corpus
from .passages import Passage, split_document

PRACTICES_FILE = "practices.yaml"
SIDES = ("management", "leadership", "both")


@dataclass(frozen=True)
class Practice:
    """One thing the articles recommend, with the words they say it in."""

    id: str
    side: str                      # management | leadership | both
    idea: str                      # the idea in plain words (what "the articles say" sentences restate)
    label: str                     # a short name a sentence can use ("clear expectations, agreed one to one")
    sentence: str                  # the corpus sentence that holds it, word for word
    passage_id: str                # the passage holding that sentence (content-hashed id, as ingest stores it)
    doc_id: str
    quotes: tuple[str, ...]        # short exact fragments of ``sentence`` (or of its passage) to quote
    needs: tuple[str, ...]         # problems it answers, in a manager's words (matched by meaning)
    actions: tuple[str, ...] = ()  # plans a manager might name that are this kind of thing
    steps: tuple[str, ...] = ()    # step forms: {people} {each} {problem} {number}
    questions: tuple[str, ...] = ()
    speaker: str | None = None     # whom the corpus credits the quoted words to, if anyone
    derived: bool = False          # found in an article's advice sentences, not curated
    title: str = ""


@lru_cache(maxsize=4)
def _passages_cached(folder: str, stamp: tuple) -> tuple[Passage, ...]:
    docs, _errors = load_corpus(Path(folder))
    return tuple(p for d in docs for p in split_document(d))


def _passages(folder: Path) -> list[Passage]:
    return list(_passages_cached(str(folder), corpus_stamp(folder)))


def corpus_passages(folder: Path | None = None) -> list[Passage]:
    """Every passage of the corpus, as ingest cuts them (read from the files, cached by their stamp)."""
    from ..config import corpus_dir

    return _passages(Path(folder or corpus_dir()))


def passage_by_id(passage_id: str, folder: Path | None = None) -> Passage | None:
    """The corpus passage with this (content-hashed) id, read from the corpus files."""
    from ..config import corpus_dir

    return next((p for p in _passages(Path(folder or corpus_dir())) if p.id == passage_id), None)


def _find(words_of: str, passages: list[Passage]) -> Passage | None:
    key = word_key(words_of)
    return next((p for p in passages if key and f" {key} " in f" {word_key(p.text)} "), None)


# -- derived practices: an article's own advice sentences ----------------------------------------------
# A sentence that tells the reader what to do: an imperative opening ("Write down…", "Ask…", "Don't…"),
# or advice in the articles' own modal words ("you should…", "leaders must…", "a manager needs to…").
_IMPERATIVE = re.compile(
    r"^(?:(?:when|if|before|after|once|whenever|each time)\b[^,]{3,80},\s*)?"   # "When someone calls, ask …"
    r"(?:don['’]t |never |always |first,? |then,? |next,? |start by |try to )?"
    r"(?:expect|ask|write|list|hold|set|start|stop|keep|make|give|let|try|take|spend|pick|choose|name|agree|tell|share|"
    r"review|meet|decide|delegate|build|create|focus|celebrate|thank|learn|look|reach|plan|schedule|track|measure|"
    r"check|define|clarify|explain|listen|invite|hand|assign|block|book|put|note|mark|count|walk|visit|praise|"
    r"reward|coach|mentor|train|teach|develop|document|standardi[sz]e|replace|cut|move|find)\b", re.I)
_MODAL = re.compile(r"\b(?:you|managers?|leaders?|we)\s+(?:should|must|need to|have to|ought to)\b", re.I)
_NOT_ADVICE = re.compile(r"\?$|^(?:what|why|how|do|does|is|are|can)\b", re.I)
# the words that name each role (also the checker's, for a role swap: coach.checks.reversals)
MANAGE_WORD = re.compile(r"\bmanag(?:e|er|ers|ement|ing)\b", re.I)
LEAD_WORD = re.compile(r"\blead(?:er|ers|ership|ing)?\b", re.I)


def advice_sentences(text: str) -> list[str]:
    """The sentences of a passage that recommend something (see the patterns above)."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s*", "", line.strip())
        for s in split_sentences(line):
            s = s.strip()
            if len(words(s)) < 5 or _NOT_ADVICE.search(s):
                continue
            if _IMPERATIVE.match(s) or _MODAL.search(s):
                out.append(s)
    return out


def _side_of(text: str) -> str:
    m, l = bool(MANAGE_WORD.search(text)), bool(LEAD_WORD.search(text))
    return "management" if m and not l else "leadership" if l and not m else "both"


def derived_practice(sentence: str, where: Passage, problems: tuple[str, ...] = ()) -> Practice:
    """A practice from one advice sentence: the sentence is its idea, its quote and its step; the problems it
    answers are the sentence itself and what its article says goes wrong (``problems``: the article's sentences
    that advise nothing), so a manager's need finds it by meaning as it finds a curated practice's needs."""
    pid = "derived-" + hashlib.sha1(f"{where.doc_id}|{sentence}".encode()).hexdigest()[:10]
    side = _side_of(sentence) if _side_of(sentence) != "both" else _side_of(where.text)
    step = sentence.rstrip(".!") + "."
    label = "what “" + " ".join(sentence.split()[:6]).rstrip(",.;:") + "…” recommends"
    return Practice(id=pid, side=side, idea=sentence, label=label, sentence=sentence, passage_id=where.id,
                    doc_id=where.doc_id, quotes=(sentence,), needs=(sentence,) + problems, steps=(step,), derived=True,
                    questions=("What would it take to do this with {people} this week?",), title=where.title)


def problem_sentences(passages: list[Passage]) -> tuple[str, ...]:
    """An article's sentences that describe rather than advise (its account of what goes wrong)."""
    out = []
    for p in passages:
        advice = set(advice_sentences(p.text))
        out += [s.strip() for s in split_sentences(" ".join(p.text.split()))
                if len(words(s)) >= 6 and s.strip() not in advice and not s.strip().endswith("?")]
    return tuple(out[:12])


# -- loading -------------------------------------------------------------------------------------------
def _curated(folder: Path, passages: list[Passage]) -> list[Practice]:
    import yaml

    path = folder / PRACTICES_FILE
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise CorpusError(f"{path}: cannot read the practices file ({e})") from None
    out = []
    for n, row in enumerate(data.get("practices") or [], 1):
        pid = str(row.get("id") or f"practice-{n}")
        where = _find(row.get("sentence", ""), passages)
        if where is None:
            raise CorpusError(f"{path}: practice {pid}: its sentence is not word for word in the corpus")
        quotes = tuple(row.get("quotes") or [row["sentence"]])
        for q in quotes:   # in the passage the plan cites for this practice, not only somewhere in the corpus
            if _find(q, [where]) is None:
                raise CorpusError(f"{path}: practice {pid}: the quote “{q}” is not word for word in the passage "
                                  f"that holds its sentence")
        side = row.get("side", "both")
        if side not in SIDES:
            raise CorpusError(f"{path}: practice {pid}: side must be one of {', '.join(SIDES)}")
        out.append(Practice(id=pid, side=side, idea=row["idea"], label=row.get("label") or row["idea"],
                            sentence=row["sentence"], passage_id=where.id,
                            doc_id=where.doc_id, quotes=quotes, needs=tuple(row.get("needs") or [row["idea"]]),
                            actions=tuple(row.get("actions") or ()), steps=tuple(row.get("steps") or ()),
                            questions=tuple(row.get("questions") or ()), speaker=row.get("speaker"),
                            title=where.title))
    return out


@dataclass
class PracticeSet:
    practices: list[Practice] = field(default_factory=list)

    def by_passage(self) -> dict[str, list[Practice]]:
        out: dict[str, list[Practice]] = {}
        for p in self.practices:
            out.setdefault(p.passage_id, []).append(p)
        return out


@lru_cache(maxsize=4)
def _cached(folder: str, stamp: tuple) -> tuple[Practice, ...]:
    passages = _passages(Path(folder))
    curated = _curated(Path(folder), passages)
    covered = {p.doc_id for p in curated}
    by_doc: dict[str, list[Passage]] = {}
    for where in passages:
        if where.doc_id not in covered:
            by_doc.setdefault(where.doc_id, []).append(where)
    derived = [derived_practice(s, where, problem_sentences(doc)) for doc in by_doc.values() for where in doc
               for s in advice_sentences(where.text)]
    return tuple(curated + derived)


def practices_stamp(folder: Path) -> tuple:
    """The corpus's stamp and the practices file's: either changing re-reads the practices."""
    f = Path(folder) / PRACTICES_FILE
    extra = (f.name, f.stat().st_mtime_ns, f.stat().st_size) if f.exists() else ()
    return corpus_stamp(folder) + (extra,)


def corpus_practices(folder: Path | None = None) -> list[Practice]:
    """The practices of the corpus folder: curated ones, then those derived from uncurated articles."""
    from ..config import corpus_dir

    folder = Path(folder or corpus_dir())
    return list(_cached(str(folder), practices_stamp(folder)))


__all__ = ["Practice", "PracticeSet", "corpus_practices", "advice_sentences", "derived_practice", "passage_by_id",
           "PRACTICES_FILE"]
