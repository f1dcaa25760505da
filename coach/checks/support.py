"""Is a claim sentence supported: by the passages it cites, or, when it is about the manager, by their own words?

Split out of ``coach.checks.answer`` (issue 15). The score mixes meaning (embedding cosine against the
passages' sentences) and wording (share of the sentence's content words found in the passages);
numbers and named authorities that the passages do not contain fail outright (``hard_fail``), and a
sentence that reuses a passage's words with a negation the passages lack, or gives one role's
predicates to the other, fails as a ``contradiction``. A sentence about the manager's situation is
checked against it instead (``situation_sentence`` / ``situation_check``): a fact the manager never
wrote is an invented fact.

``SUPPORT_THRESHOLD`` and ``EMBED_WEIGHT`` were calibrated on the labelled pairs in
``evals/support.yaml`` by ``python -m training.support_calibrate`` (grid search
for the weight, then the threshold that maximises balanced accuracy); the numbers it printed are
recorded below and the test suite re-runs the calibration to catch drift.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


from ..embedding.cache import vectors
from .quotes import names_in, verify_corpus
from ..common.text import content_words, normalize, words
from ..common.words import word_list

# Calibrated on evals/support.yaml (see module docstring); recorded output of the last calibration:
#   121 pairs (60 supported, 61 not): weight 0.3, threshold 0.594, balanced accuracy 0.819
#   (true-positive rate 0.867, true-negative rate 0.770)
EMBED_WEIGHT = 0.3
SUPPORT_THRESHOLD = 0.59
# Organisations an answer may invoke as authorities; any that the corpus never mentions fail support.
_AUTHORITY_WORDS = {
    "gallup", "harvard", "mckinsey", "deloitte", "gartner", "forbes", "stanford", "mit", "wharton", "google",
    "microsoft", "apple", "hbr", "pwc", "kpmg", "bcg", "oxford", "cambridge", "linkedin", "shrm",
}
# a product of one of those names is a tool, not an authority
TOOL = re.compile(r"\b(?:google|microsoft|apple|linkedin)\s+(?:sheets?|docs?|drive|calendar|forms?|meet|maps|teams|"
                   r"excel|word|outlook|planner|notes|numbers|learning|groups?)\b", re.I)
# content words live with the other lexical helpers in text.py, so retrieval (BM25) and the
# verifier share them without importing each other


def lexical_support(sentence: str, passages: list[str]) -> float:
    cw = content_words(sentence)
    if not cw:
        return 0.0
    return max((len(cw & content_words(p)) / len(cw) for p in passages), default=0.0)


def passage_units(passages: list[str]) -> list[list[str]]:
    """Each passage as its sentences plus itself: a claim may restate one sentence or the whole."""
    from ..common.text import split_sentences

    return [list(dict.fromkeys(split_sentences(p) + [" ".join(p.split())])) for p in passages]


def semantic_support(sentence: str, passages: list[str]) -> float:
    import numpy as np

    if not passages:
        return 0.0
    units = [u for group in passage_units(passages) for u in group]
    vecs = vectors([sentence] + units)
    s = np.asarray(vecs[0])
    return float(max(float(np.asarray(v) @ s) for v in vecs[1:]))


def hard_fail(sentence: str, passages: list[str], corpus_text: str, scenario: str | None = None) -> str | None:
    """A reason the sentence cannot be supported whatever its score: numbers or authorities from nowhere.

    Numbers compare by value ("41 percent" = "41%", "four" = "4"); a number the manager wrote in the
    situation is theirs, not an invented one."""
    from ..common.text import number_values, same_number

    have = [v for p in passages for _, v in number_values(p)] + [v for _, v in number_values(scenario or "")]
    for written, v in number_values(sentence):
        if not any(ch.isdigit() for ch in written):
            continue  # "two roles": number words are left to the support score, as before
        if not any(same_number(v, x) for x in have):
            return f"the number {written} is not in the cited passages"
    lowered = normalize(corpus_text)
    tools = TOOL.sub(" ", sentence)   # "a shared Google Sheet", "in Microsoft Teams": a tool a step proposes
    for w in words(tools):
        if w in _AUTHORITY_WORDS and not re.search(rf"\b{w}\b", lowered):
            return f"cites an authority ({w.title()}) the corpus does not mention"
    for _, name in names_in(sentence, []):
        if normalize(name) not in lowered and not any(normalize(p) in lowered for p in name.split()[-1:]):
            return f"names {name}, whom the corpus does not mention"
    return None


_NEGATION = re.compile(r"\b(?:not(?!\s+(?:only|just|merely|simply)\b)|no|never|none|nor|neither|without|cannot)\b|n't\b", re.I)


_NEG_CLAUSES = re.compile(r"[,;:]\s+|\s+(?:and|but|while|whereas)\s+", re.I)


def _negated_about(sentence: str, passage_sentence: str) -> bool:
    """Is a negation in a clause that speaks of what the passage sentence says? ("Managers also “have a playbook
    that they follow”, and this move had none": the "none" is about the manager's move, not the passage.)"""
    from .signals import content_stems

    theirs = set(content_stems(passage_sentence))
    for clause in _NEG_CLAUSES.split(sentence):
        if not _NEGATION.search(normalize(clause)):
            continue
        mine = set(content_stems(clause))
        if len(mine & theirs) >= 2 or (mine and len(mine & theirs) / len(mine) >= 0.5):
            return True
    return False


def contradiction(sentence: str, passages: list[str], strict_roles: bool = False) -> str | None:
    """A sentence that reuses one passage sentence's words but reverses it: it adds a negation where
    the passages it is checked against have none ("managers should not plan"), or puts the same words in swapped roles
    ("leaders are maintainers ..., managers are innovators"). Only at high overlap: a sentence that
    shares little with the passage is the support score's business. (A restatement that drops a
    negation is not flagged: "getting results through people" from "..., not through processes".)"""
    from .signals import content_stems, role_swap
    from ..common.text import split_sentences

    words_s = content_stems(sentence)
    cset = set(words_s)
    if len(cset) < 3:
        return None
    best, share = None, 0.0
    for p in passages:
        for sent in split_sentences(p) + [p]:
            sh = len(cset & set(content_stems(sent))) / len(cset)
            if sh > share:
                best, share = sent, sh
    if best is None or share < 0.6:
        return None
    if _negated_about(sentence, best) and not any(_NEGATION.search(normalize(p)) for p in passages):
        return "negation: the passage says this without the “not”"
    if role_swap(sentence, best, *((3, 0.99) if strict_roles else (2, 0.6))):
        return "swapped roles: the passage says this of the other role"
    return None


def support_score(sentence: str, passages: list[str]) -> float:
    return round(EMBED_WEIGHT * semantic_support(sentence, passages) + (1 - EMBED_WEIGHT) * lexical_support(sentence, passages), 4)


# -- the second source of truth: the manager's own situation ----------------------------------------
SITUATION, PASSAGES = "situation", "passages"


@dataclass(frozen=True)
class Situation:
    """The manager's words as the checks read them: the text and its thoughts (the reading's clauses).

    Built from the ``Reading`` the pipeline already made (``Situation.of``), so the checks never cut the
    scenario again; ``from_text`` is for answers from elsewhere (``coach verify --scenario``)."""

    text: str
    thoughts: tuple[str, ...]

    @classmethod
    def of(cls, reading) -> "Situation":
        return cls(reading.text, tuple(c.text for c in reading.clauses))

    @classmethod
    def from_text(cls, text: str) -> "Situation":
        from ..reading.clauses import clauses

        return cls(text, tuple(c.text for c in clauses(text)))
_SAYS = (r"(?:you|the manager)\s+(?:(?:have|had)\s+)?(?:said|say|wrote|write|mention(?:ed|s)?|describe[ds]?|told|"
         r"note[ds]?|explain(?:ed|s)?|report(?:ed|s)?|share[ds]?)")
_SAYS_YOU = re.compile(r"\b" + _SAYS + r"\b", re.I)
_YOU = re.compile(r"\b(?:you|your|you're|yours|yourself|you've)\b", re.I)
_ADVICE_MOOD = re.compile(
    r"^\s*(?:consider|try|ask|start|set|hold|make|take|give|let|build|focus|think|schedule|talk|share|invite|write|"
    r"reflect|keep|use|find|spend|agree|plan|name|clarify|define|begin|stop|review|check|list|meet|decide|"
    r"pick|choose|look|see|tell|explain|involve|delegate|create|run|protect|remember|notice|compare|separate)\b"
    r"|\byou\s+(?:could|should|might|may|can|will|would|need\s+to|want\s+to|must|have\s+to|get\s+to)\b"
    r"|\b(?:it\s+may|it\s+might|could\s+help|it\s+helps|is\s+worth|what\s+if)\b", re.I)
# words any answer about a manager's situation may use without inventing a fact: the answer's own
# frame, and the vocabulary of coaching itself ("your team seems to lack direction" interprets, it
# states no fact); together with the corpus's words, what is left of a sentence is its facts
_SITUATION_WORDS = set(word_list(__file__, "situation_words"))  # coach/checks/words.yaml
# A sentence about the situation in words mostly not the manager's is still a restatement when its
# meaning is this close (cosine of MiniLM vectors) to one of their thoughts: "the replenishment task
# is not assigned" for "no one know who is suposed to do replen at 3am". Calibrated by
# ``python -m training.restatements`` on evals/situations_train.yaml (999 situations); its recorded output:
#   10920 pairs (each situation's facts and labelled needs as restatements, the facts and needs of two
#   other situations as inventions); balanced accuracy, paraphrases against inventions, 0.866 at 0.30
#   (best 0.870; ties within 0.005 go to the lower cut, fewer restatements flagged); flagged: facts 0%,
#   needs 21%, interpretations 0%, other situations' facts 91% and needs 78%.
#   Not used to choose, evals/situations.yaml: 0.842 at 0.30 (0.840 at 0.325; the word rule before
#   them: 0.709).
PARAPHRASE_MIN = 0.30
_LEAD_IN = re.compile(r"^\s*(?:" + _SAYS + r"(?:\s+me)?\s+(?:that\s+)?|in your (?:situation|team|case)\s*,?\s*)", re.I)


def _stems(text: str) -> set[str]:
    from .signals import content_stems

    return set(content_stems(text))


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


# the score of a restatement ``situation_check`` passes is at least this (the share of its words that are the
# manager's, or this much for a paraphrase): the floor reported beside a "your words" part's score
RESTATEMENT_MIN = 0.5


def situation_check(text: str, situation: Situation, passages: list[str]) -> tuple[bool, float, str]:
    """(supported, score, reason) of a sentence about the situation, against the manager's own words.

    A fact is invented when it brings a number or a name the manager never wrote, or when less than
    half of its words are the manager's, some of the rest are neither the corpus's nor coaching's
    own words, and its meaning is not close to any thought of the situation (``PARAPHRASE_MIN``):
    "your return rate doubled after the May catalog launch". A faithful paraphrase passes."""
    from .signals import features

    scenario = situation.text
    feats, problems = features(text, [scenario])
    if feats["num_novel"] or feats["name_novel"]:
        why = next((p for p in problems if "number" in p or "names" in p), "a detail the situation does not contain")
        share = _share(_stems(text), _stems(scenario))
        return False, round(share, 4), f"not in your situation: {why.replace('the passages', 'your situation')}"
    from_scn, unknown = situation_words(text, scenario, passages)
    if from_scn >= RESTATEMENT_MIN or not unknown:
        return True, round(max(from_scn, RESTATEMENT_MIN), 4), "restates your situation"
    if situation_similarity(text, situation) >= PARAPHRASE_MIN:
        return True, RESTATEMENT_MIN, "restates your situation in other words"
    return False, round(from_scn, 4), f"not in your situation: {', '.join(unknown[:4])}"


def _share(cw: set[str], scn: set[str]) -> float:
    """The share of a sentence's content words (``cw``) that are the situation's (``scn``)."""
    return len(cw & scn) / len(cw) if cw else 1.0


def situation_words(text: str, scenario: str, passages: list[str]) -> tuple[float, list[str]]:
    """(share of the sentence's content words that are the manager's, the words that are nobody's:
    not the situation's, the corpus's, the given passages' or coaching's own)."""
    cw, scn = _stems(text), _stems(scenario)
    known = scn | _corpus_stems() | {w for p in passages for w in _stems(p)} | coaching_stems()
    return _share(cw, scn), sorted(cw - known)


_CORPUS_STEMS: dict[int, set[str]] = {}


def _corpus_stems() -> set[str]:
    corpus = verify_corpus()
    got = _CORPUS_STEMS.get(id(corpus))
    if got is None:
        _CORPUS_STEMS.clear()
        got = _CORPUS_STEMS[id(corpus)] = {w for p in corpus.passages for w in _stems(p.text)}
    return got


@lru_cache(maxsize=1)
def coaching_stems() -> frozenset[str]:
    """The stems of coaching's own vocabulary (coach/checks/words.yaml): words any answer may use."""
    return frozenset(_stem_key(w) for w in _SITUATION_WORDS)


def similarity_texts(text: str, situation: Situation) -> list[str]:
    """What ``situation_similarity`` embeds: each thought of the situation, its whole text, and last the
    sentence with its "you wrote that" taken off (a caller checking thousands can embed them in one pass)."""
    core = _LEAD_IN.sub("", text, count=1).strip() or text
    return list(situation.thoughts) + [" ".join(situation.text.split()), core]


def situation_similarity(text: str, situation: Situation) -> float:
    """The highest cosine between the sentence (its "you wrote that" taken off) and a thought of the
    situation (each clause the reading read, and the whole text)."""
    import numpy as np

    vecs = np.asarray(vectors(similarity_texts(text, situation)), dtype="float32")
    return float(np.max(vecs[:-1] @ vecs[-1]))


def _stem_key(w: str) -> str:
    from ..common.text import stem

    return stem(w)

