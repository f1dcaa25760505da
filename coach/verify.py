"""Check an answer against what it was given: citations, quotes, and sentence-level support.

Whatever engine wrote the answer, three questions are asked of it:
1. Citations: does every ``[Sn]`` point at a source that was actually given?
2. Quotes: is every quoted span in the corpus, *attributed to the person the answer credits*?
   (An invented line, a paraphrase in quotation marks, or a Drucker line given to Maxwell fails.)
3. Support: is each claim sentence supported by the passages it cites (all given passages when it
   cites none)? The score mixes meaning (embedding cosine against the passages' sentences) and
   wording (share of the sentence's content words found in the passages); numbers and named
   authorities that the passages do not contain fail outright.

``SUPPORT_THRESHOLD`` and ``EMBED_WEIGHT`` were calibrated on the labelled pairs in
``evals/support.yaml`` by ``python -m coach.verify --calibrate`` (grid search for the weight, then
the threshold that maximises balanced accuracy); the numbers it printed are recorded below and the
test suite re-runs the calibration to catch drift.

Since the RAGTruth work (issue 13) and the two sources of truth (issue 12):
- a sentence that reuses a passage's words with a negation the passages lack, or gives one role's
  predicates to the other ("leaders are maintainers"), fails as a contradiction (``contradiction``);
  numbers compare by value ("41 percent" = "41%"); refusals and statements about the passages are
  listed as not checked. Measured on ``evals/support.yaml`` and ``evals/defects.yaml``: nothing that
  passed before and was right fails now, and no clean control is flagged.
- ``judge="passages"`` judges answers of any RAG system with ``coach.support`` (trained on RAGTruth);
- with a ``scenario``, sentences about the manager's situation are checked against it, and a fact
  the manager never wrote goes into ``checks.invented_facts``;
- ``flag_reasons`` is the severity policy every front end applies.

The answer comes back annotated in place (``✓ verified in the corpus``, ``⚠ unverified quote``,
``⚠ unsupported``, ``[S9 ⚠ no such source]``) so the user sees every flag where it applies.
"""
from __future__ import annotations

import difflib
import re
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Iterable

from .feedback import Checks, Quote, SentenceCheck, Source
from .quotes import NAME_RE, Statement, contains_words, corpus_statements, speaker_key
from .text import normalize, sentence_spans, word_key, words

# Calibrated on evals/support.yaml (see module docstring); recorded output of the last calibration:
#   121 pairs (60 supported, 61 not): weight 0.3, threshold 0.594, balanced accuracy 0.819
#   (true-positive rate 0.867, true-negative rate 0.770)
EMBED_WEIGHT = 0.3
SUPPORT_THRESHOLD = 0.59
MIN_QUOTE_WORDS = 3
MIN_CLAIM_WORDS = 4

CITE_RE = re.compile(r"\[\s*(S\d+(?:\s*[,;]\s*S?\d+)*)\s*\]")
# a quotation may wrap onto the next line (Markdown soft wraps) but never spans a blank line
_QUOTE_RE = re.compile(r"“((?:(?!\n\s*\n)[^”])+?)”|\"((?:(?!\n\s*\n)[^\"])+?)\"")
_EPIGRAPH_RE = re.compile(r"^>\s*(.+?)\s*\n>?\s*[-–—]{1,2}\s*([A-Z][^\n]{2,60})$", re.M)
_NUMBER_RE = re.compile(r"\b\d+(?:[.,]\d+)?\s*%|\b\d+(?:[.,]\d+)?\b")
_MD_PREFIX = re.compile(r"^\s*(?:#+\s*|[-*+]\s+|\d+[.)]\s+|>\s*)+")
_EMPH = re.compile(r"(\*\*|__|\*|_|`)")
_MARK = re.compile(r"\s*(?:✓|⚠)[^\n\[]*")
_PRONOUN_VERB = re.compile(r"\b(?:he|she|they)\s+(?:\w+ly\s+)?(?:said|says|claimed|wrote|put it|argued|noted)\b", re.I)
_LEADING_NOT_NAME = {
    "as", "my", "the", "in", "our", "when", "like", "according", "mentor", "author", "expert", "leadership",
    "management", "dr", "mr", "mrs", "ms", "prof", "while", "but", "and", "so", "if", "even", "then", "this",
    "that", "great", "good", "remember", "consider", "harvard", "to", "what", "for", "one", "a", "an",
}
# Organisations an answer may invoke as authorities; any that the corpus never mentions fail support.
_AUTHORITY_WORDS = {
    "gallup", "harvard", "mckinsey", "deloitte", "gartner", "forbes", "stanford", "mit", "wharton", "google",
    "microsoft", "apple", "hbr", "pwc", "kpmg", "bcg", "oxford", "cambridge", "linkedin", "shrm",
}
_STOP = set(
    "a an the and or but if of to in on at for with from by about as is are was were be been being it its this "
    "that these those they them their there here we our you your i me my he she his her not no so do does did "
    "have has had can could would should will may might must also just than then what who how when why which "
    "each every all any both more most very such into onto over under up down out off only own same too".split()
)


@dataclass
class VerifyResult:
    checks: Checks
    quotes: list[Quote]
    annotated: str
    notices: list[str] = field(default_factory=list)


# -- citations -----------------------------------------------------------------------------------
def cited_ids(text: str) -> list[str]:
    """Every marker in order, ``[S1, S3]`` expanded to S1, S3."""
    out = []
    for m in CITE_RE.finditer(text):
        for part in re.split(r"\s*[,;]\s*", m.group(1)):
            out.append(part if part.upper().startswith("S") else f"S{part}")
    return [o.upper() for o in out]


# -- speakers in an answer -----------------------------------------------------------------------
def _names_in(text: str, known: Iterable[str]) -> list[tuple[int, str]]:
    """(position, name) of people named in ``text``: known speakers by surname, others by shape."""
    found: list[tuple[int, str]] = []
    for m in NAME_RE.finditer(text):
        toks = m.group(1).split()
        while toks and toks[0].lower().strip(".") in _LEADING_NOT_NAME:
            toks = toks[1:]
        if len(toks) >= 2:
            found.append((m.start() + m.group(0).find(toks[0]), " ".join(toks)))
    for name in known:
        last = name.split()[-1]
        for m in re.finditer(rf"\b{re.escape(last)}\b", text):
            if not any(p <= m.start() < p + len(n) for p, n in found):
                found.append((m.start(), name))
    return sorted(found)


def _speaker_for(answer: str, q_start: int, q_end: int, spans, known) -> str | None:
    sent = next(((s, e) for s, e in spans if s <= q_start < e), (max(0, q_start - 200), q_end))
    after = answer[q_end:q_end + 80]
    m = re.match(r"\s*[,.]?\s*(?:[-–—]{1,2}\s*|\(?(?:said|says|wrote|writes|claimed)\s+)([A-Z][\w.]*(?:\s+[A-Z][\w.]*){0,3})", after)
    if m:
        return m.group(1).rstrip(".,")
    names = _names_in(answer[sent[0]:sent[1]], known)
    if names:
        # the name nearest to the quote, preferring one before it
        rel = q_start - sent[0]
        before = [n for n in names if n[0] < rel]
        return (before[-1] if before else names[0])[1]
    if _PRONOUN_VERB.search(answer[sent[0]:q_start]):
        prev = _names_in(answer[:sent[0]], known)
        if prev:
            return prev[-1][1]
    return None


# -- quotes --------------------------------------------------------------------------------------
@dataclass
class _Corpus:
    statements: list[Statement]
    passages: list[Source]  # every corpus passage, for "in the corpus but not attributed"


def _check_quote(text: str, speaker: str | None, corpus: _Corpus, sources: list[Source]) -> Quote:
    src = next((s.id for s in sources if contains_words(s.text, text)), None)
    in_corpus = [p for p in corpus.passages if contains_words(p.text, text)]
    said = [s for s in corpus.statements if contains_words(s.text, text)]
    if speaker is None:
        if in_corpus:
            return Quote(None, text, src, True, "exact words from the corpus")
        return Quote(None, text, src, False, "not found in the corpus")
    key = speaker_key(speaker)
    own = [s for s in said if speaker_key(s.speaker) == key]
    if any(s.direct for s in own):
        return Quote(own[0].speaker, text, src, True, f"in the corpus, attributed to {own[0].speaker}")
    if own:
        return Quote(speaker, text, src, False,
                     f"the corpus reports this as {own[0].speaker}'s view in its own words, not as a direct quote")
    if said:
        return Quote(speaker, text, src, False, f"misattributed: the corpus attributes these words to {said[0].speaker}")
    if any(p.author and speaker_key(p.author) == key for p in in_corpus):
        return Quote(speaker, text, src, True, f"in the corpus, in an article by {speaker}")
    if in_corpus:
        return Quote(speaker, text, src, False, f"these words are in the corpus but not attributed to {speaker}")
    close = max(corpus.statements, default=None,
                key=lambda s: difflib.SequenceMatcher(None, word_key(s.text), word_key(text)).ratio())
    if close and difflib.SequenceMatcher(None, word_key(close.text), word_key(text)).ratio() >= 0.5:
        return Quote(speaker, text, src, False,
                     f"not the corpus's words: it quotes {close.speaker} as “{close.text}”")
    return Quote(speaker, text, src, False, f"not found in the corpus: it quotes no such words from {speaker}")


def find_quotes(answer: str, spans, known) -> list[tuple[int, int, str, str | None]]:
    """(start, end, text, speaker) of every quoted span of at least MIN_QUOTE_WORDS words."""
    out = []
    for m in _QUOTE_RE.finditer(answer):
        text = " ".join((m.group(1) or m.group(2)).split())
        if len(words(text)) < MIN_QUOTE_WORDS:
            continue  # scare quotes ("Leaderment") are not quotations
        out.append((m.start(), m.end(), text.rstrip(",").strip(), _speaker_for(answer, m.start(), m.end(), spans, known)))
    for m in _EPIGRAPH_RE.finditer(answer):
        if not any(s <= m.start(1) < e for s, e, _, _ in out):
            out.append((m.start(1), m.end(1), m.group(1).strip("“”\" "), m.group(2).strip()))
    return sorted(out)


# -- support -------------------------------------------------------------------------------------
def _stem(w: str) -> str:
    for suf in ("ing", "ers", "er", "es", "ed", "ly", "s"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)]
    return w


def content_words_list(text: str) -> list[str]:
    return [_stem(w) for w in words(text) if w not in _STOP and len(w) > 2]


@lru_cache(maxsize=8192)
def content_words(text: str) -> frozenset[str]:
    """Cached: the same cited passages are compared with every sentence of an answer."""
    return frozenset(content_words_list(text))


def lexical_support(sentence: str, passages: list[str]) -> float:
    cw = content_words(sentence)
    if not cw:
        return 0.0
    return max((len(cw & content_words(p)) / len(cw) for p in passages), default=0.0)


_VEC_CACHE: dict[str, object] = {}


def _vectors(texts: list[str]):
    from . import embed

    missing = [t for t in dict.fromkeys(texts) if t not in _VEC_CACHE]
    if missing:  # cited passages and their sentences: ingest embedded them already
        from .retrieve import known_vectors

        known = known_vectors(missing)
        _VEC_CACHE.update(known)
        missing = [t for t in missing if t not in known]
    if missing:
        for t, v in zip(missing, embed.encode_array(missing)):
            _VEC_CACHE[t] = v
        if len(_VEC_CACHE) > 20000:
            _VEC_CACHE.clear()
    return [_VEC_CACHE[t] for t in texts]


def warm(texts: Iterable[str]) -> None:
    """Embed many texts in one batched pass ahead of the checks that look them up one by one."""
    _vectors(list(dict.fromkeys(texts)))


def _passage_units(passages: list[str]) -> list[list[str]]:
    """Each passage as its sentences plus itself: a claim may restate one sentence or the whole."""
    from .text import split_sentences

    return [list(dict.fromkeys(split_sentences(p) + [" ".join(p.split())])) for p in passages]


def semantic_support(sentence: str, passages: list[str]) -> float:
    import numpy as np

    if not passages:
        return 0.0
    units = [u for group in _passage_units(passages) for u in group]
    vecs = _vectors([sentence] + units)
    s = np.asarray(vecs[0])
    return float(max(float(np.asarray(v) @ s) for v in vecs[1:]))


def hard_fail(sentence: str, passages: list[str], corpus_text: str, scenario: str | None = None) -> str | None:
    """A reason the sentence cannot be supported whatever its score: numbers or authorities from nowhere.

    Numbers compare by value ("41 percent" = "41%", "four" = "4"); a number the manager wrote in the
    situation is theirs, not an invented one."""
    from .text import number_values, same_number

    have = [v for p in passages for _, v in number_values(p)] + [v for _, v in number_values(scenario or "")]
    for written, v in number_values(sentence):
        if not any(ch.isdigit() for ch in written):
            continue  # "two roles": number words are left to the support score, as before
        if not any(same_number(v, x) for x in have):
            return f"the number {written} is not in the cited passages"
    lowered = normalize(corpus_text)
    for w in words(sentence):
        if w in _AUTHORITY_WORDS and not re.search(rf"\b{w}\b", lowered):
            return f"cites an authority ({w.title()}) the corpus does not mention"
    for _, name in _names_in(sentence, []):
        if normalize(name) not in lowered and not any(normalize(p) in lowered for p in name.split()[-1:]):
            return f"names {name}, whom the corpus does not mention"
    return None


_NEGATION = re.compile(r"\b(?:not(?!\s+(?:only|just|merely|simply)\b)|no|never|none|nor|neither|without|cannot)\b|n't\b", re.I)


def contradiction(sentence: str, passages: list[str]) -> str | None:
    """A sentence that reuses one passage sentence's words but reverses it: it adds a negation where
    the passages it is checked against have none ("managers should not plan"), or puts the same words in swapped roles
    ("leaders are maintainers ..., managers are innovators"). Only at high overlap: a sentence that
    shares little with the passage is the support score's business. (A restatement that drops a
    negation is not flagged: "getting results through people" from "..., not through processes".)"""
    from .support import _content, role_swap
    from .text import split_sentences

    words_s = _content(sentence)
    cset = set(words_s)
    if len(cset) < 3:
        return None
    best, share = None, 0.0
    for p in passages:
        for sent in split_sentences(p) + [p]:
            sh = len(cset & set(_content(sent))) / len(cset)
            if sh > share:
                best, share = sent, sh
    if best is None or share < 0.6:
        return None
    if _NEGATION.search(normalize(sentence)) and not any(_NEGATION.search(normalize(p)) for p in passages):
        return "negation: the passage says this without the “not”"
    if role_swap(sentence, best):
        return "swapped roles: the passage says this of the other role"
    return None


def support_score(sentence: str, passages: list[str]) -> float:
    return round(EMBED_WEIGHT * semantic_support(sentence, passages) + (1 - EMBED_WEIGHT) * lexical_support(sentence, passages), 4)


def claim_text(raw: str) -> str:
    """The words of a sentence as a claim: no Markdown, no citation markers, no verifier marks."""
    t = _MARK.sub("", raw)
    t = CITE_RE.sub("", t)
    t = _MD_PREFIX.sub("", t)
    t = _EMPH.sub("", t)
    return " ".join(t.split()).strip()


def is_claim(raw: str, text: str) -> bool:
    """Headings, bold labels and questions are not claims; they are listed as not checked."""
    stripped = re.sub(r"^\s*(?:[-+>]|\*(?!\*)|\d+[.)])\s*", "", raw).strip()
    if raw.lstrip().startswith("#") or re.fullmatch(r"\*\*[^*]+\*\*[.:]?", stripped):
        return False
    if len(words(text)) < MIN_CLAIM_WORDS:
        return False
    if text.endswith("?") or text.endswith(":"):
        return False
    return True


# -- the whole check -----------------------------------------------------------------------------
def _corpus() -> _Corpus:
    """Every corpus passage and attributed statement, re-read only when a corpus file changes."""
    from .config import corpus_dir
    from .corpus import corpus_stamp

    folder = corpus_dir()
    return _load_corpus(str(folder), corpus_stamp(folder))


@lru_cache(maxsize=4)
def _load_corpus(folder: str, stamp: tuple) -> _Corpus:
    from pathlib import Path

    from .corpus import load_corpus
    from .passages import split_document

    docs, _ = load_corpus(Path(folder))
    passages = [
        Source(id=p.id, doc_id=p.doc_id, title=p.title, author=p.author, text=p.text, score=1.0, passage_id=p.id)
        for d in docs for p in split_document(d)
    ]
    return _Corpus(corpus_statements(Path(folder)), passages)


# -- the second source of truth: the manager's own situation ----------------------------------------
SITUATION, PASSAGES = "situation", "passages"
_SAYS_YOU = re.compile(r"\b(?:you|the manager)\s+(?:(?:have|had)\s+)?(?:said|say|wrote|write|mention(?:ed|s)?|describe[ds]?|told|"
                       r"note[ds]?|explain(?:ed|s)?|report(?:ed|s)?|share[ds]?)\b", re.I)
_YOU = re.compile(r"\b(?:you|your|you're|yours|yourself|you've)\b", re.I)
_ADVICE_MOOD = re.compile(
    r"^\s*(?:consider|try|ask|start|set|hold|make|take|give|let|build|focus|think|schedule|talk|share|invite|write|"
    r"reflect|keep|use|find|spend|agree|plan|name|clarify|define|begin|stop|review|check|list|meet|decide|"
    r"pick|choose|look|see|tell|explain|involve|delegate|create|run|protect|remember|notice|compare|separate)\b"
    r"|\byou\s+(?:could|should|might|may|can|will|would|need\s+to|want\s+to|must|have\s+to|get\s+to)\b"
    r"|\b(?:it\s+may|it\s+might|could\s+help|it\s+helps|is\s+worth|what\s+if)\b", re.I)
# words any answer about a manager's situation may use without inventing a fact
_SITUATION_WORDS = set(
    "situation team teams people person manager managers management leadership leader leaders role roles side "
    "question questions problem problems need needs call calls describe described write wrote mention mentioned "
    "work working sound sounds seem seems case point points issue issues lean leans both here".split())


def _stems(text: str) -> set[str]:
    from .support import _content

    return set(_content(text))


def situation_sentence(text: str, cites: list[str], scenario: str, passages: list[str]) -> bool:
    """Is this sentence about the manager's own situation (checked against their words) or about
    management (checked against the passages)? A cited sentence is about the passages it cites; an
    explicit restatement ("you wrote that ...") or a statement about "you/your ..." that is not advice
    is about the situation; otherwise whichever text shares more of its words."""
    if cites:
        return False
    if _SAYS_YOU.search(text):
        return True
    if _YOU.search(text) and not _ADVICE_MOOD.search(text):
        return True
    cw = _stems(text)
    if not cw:
        return False
    in_scn = len(cw & _stems(scenario)) / len(cw)
    in_src = max((len(cw & _stems(p)) / len(cw) for p in passages), default=0.0)
    return in_scn >= 0.6 and in_scn > in_src


def situation_check(text: str, scenario: str, passages: list[str]) -> tuple[bool, float, str]:
    """(supported, score, reason) of a sentence about the situation, against the manager's own words.

    A fact is invented when it brings a number or a name the manager never wrote, or when at least
    two of its content words are in neither the situation nor the passages and less than half of its
    words come from the situation ("your return rate doubled after the May catalog launch")."""
    from .support import features

    feats, problems = features(text, [scenario])
    known = _stems(scenario) | {w for p in passages for w in _stems(p)} | {_stem_key(w) for w in _SITUATION_WORDS}
    cw = _stems(text)
    from_scn = len(cw & _stems(scenario)) / len(cw) if cw else 1.0
    unknown = sorted(cw - known)
    if feats["num_novel"] or feats["name_novel"]:
        why = next((p for p in problems if "number" in p or "names" in p), "a detail the situation does not contain")
        return False, round(from_scn, 4), f"not in your situation: {why.replace('the passages', 'your situation')}"
    if len(unknown) >= 2 and from_scn < 0.5:
        return False, round(from_scn, 4), f"not in your situation: {', '.join(unknown[:4])}"
    return True, round(max(from_scn, 0.5), 4), "restates your situation"


def _stem_key(w: str) -> str:
    from .text import stem

    return stem(w)


_SAID = re.compile(r"\b(?:said|says|say|wrote|writes|put it|claimed|claims|argued|argues|noted|notes|quoted|"
                   r"stated|states|famously|according to|observed|remarked|once)\b", re.I)


def _is_attribution(answer: str, start: int, end: int, speaker: str | None, known) -> bool:
    """Is a quoted span credited to a person ("As Drucker said, “…”"), as opposed to a label or title?
    For answers from elsewhere only attributions are checked against the corpus's quotations."""
    if speaker is None:
        return False
    if any(speaker_key(speaker) == speaker_key(k) for k in known):
        return True
    around = answer[max(0, start - 120):start] + answer[end:end + 40]
    return bool(_SAID.search(around)) and speaker.lower() in around.lower()


def _quote_from_situation(text: str, scenario: str | None) -> Quote | None:
    if scenario and contains_words(scenario, text):
        return Quote("the manager", text, None, True, "your own words, from your situation")
    return None


def _external_threshold() -> float:
    """The support score (1 - P(unsupported)) below which ``coach.support`` calls a sentence unsupported."""
    from .support import load_model

    return round(1 - load_model()["threshold"], 4)


# -- the severity policy -------------------------------------------------------------------------
def flag_reasons(checks: Checks, fail_on_unsupported: bool = False, min_on_corpus: float | None = None) -> list[str]:
    """Why an answer fails as a gate (empty: it passes).

    Invalid citations, unverified or misattributed quotes and invented facts about the situation
    always fail: each is a false statement about where something came from. An unsupported sentence
    is shown (marked ⚠) but fails only when asked: ``--fail-on unsupported`` or ``--min-on-corpus X``,
    because plain advice and the author's framing are often not in any passage and are not false.
    """
    out = []
    if checks.invalid_citations:
        out.append(f"citations to sources that were not given: {', '.join(checks.invalid_citations)}")
    if checks.unverified_quotes:
        out.append(f"{len(checks.unverified_quotes)} unverified or misattributed quote(s)")
    if checks.invented_facts:
        out.append(f"{len(checks.invented_facts)} fact(s) about the situation that the manager never wrote")
    if fail_on_unsupported and checks.unsupported_sentences:
        out.append(f"{len(checks.unsupported_sentences)} unsupported sentence(s)")
    if min_on_corpus is not None and checks.on_corpus < min_on_corpus:
        out.append(f"on-corpus {checks.on_corpus:.2f} is below {min_on_corpus:.2f}")
    return out


def is_flagged(checks: Checks, fail_on_unsupported: bool = False, min_on_corpus: float | None = None) -> bool:
    return bool(flag_reasons(checks, fail_on_unsupported, min_on_corpus))


def verify_answer(answer: str, sources: list[Source], whole_corpus: bool = False, scenario: str | None = None,
                  judge: str = "corpus") -> VerifyResult:
    """Run every check on ``answer`` given ``sources`` (S1..Sk) and, when known, the manager's ``scenario``.

    ``whole_corpus=True`` is `coach verify`'s mode for answers from elsewhere: there are no given
    sources, so markers are not judged and each sentence is scored against every corpus passage.
    ``judge="passages"`` is the mode for any RAG system's answer with its own passages (``coach verify
    --jsonl`` / ``--passages``): sentences are judged by ``coach.support`` (trained on RAGTruth), and a
    quotation found word for word in a given passage counts as verified. ``judge="corpus"`` (the
    coach's own answers) scores against the curated passages as calibrated on ``evals/support.yaml``.
    With a ``scenario``, sentences about the manager's situation are checked against it instead.
    """
    from .support import judge as support_judge
    from .support import meta_reason

    corpus = _corpus()
    if whole_corpus:
        sources = corpus.passages
    scenario = scenario if scenario and scenario.strip() else None
    by_id = {s.id.upper(): s for s in sources}
    corpus_text = " ".join(p.text for p in corpus.passages)
    spans = sentence_spans(answer)
    known = sorted({s.speaker for s in corpus.statements})
    external = judge == "passages"

    inserts: list[tuple[int, str]] = []
    # 1) citations
    invalid: list[str] = []
    if not whole_corpus:
        for m in CITE_RE.finditer(answer):
            bad = [c for c in cited_ids(m.group(0)) if c not in by_id]
            for c in bad:
                if c not in invalid:
                    invalid.append(c)
            if bad:
                inserts.append((m.end() - 1, f" ⚠ no such source: {', '.join(bad)}"))
    # 2) quotes: the manager's own words, then (for outside answers) the given passages, then the corpus
    quotes: list[Quote] = []
    for start, end, text, speaker in find_quotes(answer, spans, known):
        q = _quote_from_situation(text, scenario)
        if q is None and external:
            src = next((s.id for s in sources if contains_words(s.text, text)), None)
            if src:
                q = Quote(speaker, text, src, True, f"exact words from {src}")
            elif not _is_attribution(answer, start, end, speaker, known):
                continue  # a title, a button label, the question: words in quotation marks, not a quotation
        q = q or _check_quote(text, speaker, corpus, sources)
        quotes.append(q)
        if q.speaker == "the manager":
            mark = " ✓ *your words*"
        else:
            mark = " ✓ *verified in the corpus*" if q.verified else f" ⚠ *unverified quote: {q.reason}*"
        inserts.append((end, mark))
    unverified = [{"speaker": q.speaker, "text": q.text, "reason": q.reason} for q in quotes if not q.verified]
    # 3) support, sentence by sentence (every text it will compare embedded in one batch first)
    if not external:
        warm([claim_text(answer[s:e]) for s, e in spans] + [u for g in _passage_units([x.text for x in sources]) for u in g])
    checks: list[SentenceCheck] = []
    unsupported: list[dict] = []
    invented: list[dict] = []
    all_texts = [src.text for src in sources]
    for s, e in spans:
        raw = answer[s:e]
        text = claim_text(raw)
        if not text:
            continue
        if not is_claim(raw, text):
            checks.append(SentenceCheck(text=text, score=0.0, supported=False, cites=cited_ids(raw), checked=False,
                                        reason="not a claim (heading, label or question)", start=s, end=e))
            continue
        meta = meta_reason(text)
        if meta:
            checks.append(SentenceCheck(text=text, score=0.0, supported=False, cites=cited_ids(raw), checked=False,
                                        reason=meta, start=s, end=e))
            continue
        cites = [c for c in cited_ids(raw) if c in by_id] if not whole_corpus else []
        passages = [by_id[c].text for c in cites] or all_texts
        if scenario and situation_sentence(text, cites, scenario, all_texts if not whole_corpus else []):
            ok, score, why = situation_check(text, scenario, [] if whole_corpus else passages)
            checks.append(SentenceCheck(text=text, score=score, supported=ok, cites=cites, reason=why,
                                        start=s, end=e, against=SITUATION))
            if not ok:
                invented.append({"text": text, "score": score, "reason": why, "start": s, "end": e})
                inserts.append((e, " ⚠ *not in your situation*"))
            continue
        if external:
            v = support_judge(text, passages, raw=raw.strip())
            if not v.checked:
                checks.append(SentenceCheck(text=text, score=0.0, supported=False, cites=cites, checked=False,
                                            reason=v.reason, start=s, end=e))
                continue
            ok, score, reason = v.supported, v.score, v.reason
        else:
            reason = hard_fail(text, passages, corpus_text, scenario)
            if reason is None:
                reason = contradiction(text, passages)
            score = 0.0 if reason else support_score(text, passages)
            ok = reason is None and score >= SUPPORT_THRESHOLD
            if not ok and not reason:
                reason = f"support {score:.2f} is below {SUPPORT_THRESHOLD:.2f}"
        checks.append(SentenceCheck(text=text, score=score, supported=ok, cites=cites, reason="" if ok else reason,
                                    start=s, end=e, against=PASSAGES))
        if not ok:
            unsupported.append({"text": text, "score": score, "cites": cites, "reason": reason, "start": s, "end": e})
            inserts.append((e, " ⚠ *unsupported*"))
    claims = [c for c in checks if c.checked]
    on_corpus = round(sum(c.supported for c in claims) / len(claims), 4) if claims else 1.0

    annotated = answer
    for pos, mark in sorted(inserts, key=lambda x: x[0], reverse=True):
        annotated = annotated[:pos] + mark + annotated[pos:]
    notices = []
    if not claims:
        notices.append("No sentence in this answer makes a claim that could be checked against the corpus.")
    return VerifyResult(
        checks=Checks(invalid_citations=invalid, unverified_quotes=unverified, unsupported_sentences=unsupported,
                      on_corpus=on_corpus, sentences=checks,
                      support_threshold=_external_threshold() if external else SUPPORT_THRESHOLD,
                      invented_facts=invented),
        quotes=quotes, annotated=annotated, notices=notices,
    )


# -- calibration ---------------------------------------------------------------------------------
def calibrate(pairs: list[dict]) -> dict:
    """Pick EMBED_WEIGHT and SUPPORT_THRESHOLD on labelled (passage, sentence, supported) pairs.

    Returns the best weight, threshold and balanced accuracy; ties go to the lower threshold's
    midpoint between the scores on either side, so the cut sits between the classes.
    """
    corpus_text = " ".join(p.text for p in _corpus().passages)
    feats = []
    for p in pairs:
        sem = semantic_support(p["sentence"], [p["passage"]])
        lex = lexical_support(p["sentence"], [p["passage"]])
        fail = (hard_fail(p["sentence"], [p["passage"]], corpus_text) or contradiction(p["sentence"], [p["passage"]])) is not None
        feats.append((sem, lex, fail, bool(p["supported"])))
    best = None
    for w in [i / 20 for i in range(0, 21)]:
        scored = sorted(((0.0 if f else w * s + (1 - w) * l), y) for s, l, f, y in feats)
        pos = sum(y for _, y in scored)
        neg = len(scored) - pos
        for i in range(len(scored) + 1):
            lo = scored[i - 1][0] if i > 0 else 0.0
            hi = scored[i][0] if i < len(scored) else 1.0
            thr = (lo + hi) / 2
            tp = sum(1 for sc, y in scored if y and sc >= thr)
            tn = sum(1 for sc, y in scored if not y and sc < thr)
            bacc = (tp / pos + tn / neg) / 2 if pos and neg else 0.0
            if best is None or bacc > best["balanced_accuracy"] + 1e-9:
                best = {"weight": w, "threshold": round(thr, 4), "balanced_accuracy": round(bacc, 4),
                        "tpr": round(tp / pos, 4) if pos else 0.0, "tnr": round(tn / neg, 4) if neg else 0.0}
    best["pairs"] = len(pairs)
    return best


def evaluate_threshold(pairs: list[dict], weight: float = None, threshold: float = None) -> dict:
    """Balanced accuracy of the recorded constants on labelled pairs (used by the tests)."""
    weight = EMBED_WEIGHT if weight is None else weight
    threshold = SUPPORT_THRESHOLD if threshold is None else threshold
    corpus_text = " ".join(p.text for p in _corpus().passages)
    tp = tn = pos = neg = 0
    for p in pairs:
        fail = (hard_fail(p["sentence"], [p["passage"]], corpus_text) or contradiction(p["sentence"], [p["passage"]])) is not None
        sc = 0.0 if fail else weight * semantic_support(p["sentence"], [p["passage"]]) + (1 - weight) * lexical_support(p["sentence"], [p["passage"]])
        if p["supported"]:
            pos += 1
            tp += sc >= threshold
        else:
            neg += 1
            tn += sc < threshold
    return {"balanced_accuracy": (tp / pos + tn / neg) / 2, "tpr": tp / pos, "tnr": tn / neg}


if __name__ == "__main__":  # python -m coach.verify --calibrate [evals/support.yaml]
    import sys

    import yaml

    path = sys.argv[2] if len(sys.argv) > 2 else "evals/support.yaml"
    data = yaml.safe_load(open(path, encoding="utf-8"))
    print(calibrate(data["pairs"]))
