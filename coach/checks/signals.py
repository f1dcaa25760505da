"""The support judge's signals: what a sentence shares with its passages, word by word (no model).

Split from coach.checks.judge (which weighs these signals with the fitted model): stems, rare-word
recall, the best passage window, the longest copied run, numbers and names from nowhere, negations the
passages lack and roles swapped, and the framing that is not a claim at all ("Based on the passages,")."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from ..common.text import normalize, number_values, same_number, sentence_spans, stem, words

_STOP = set(
    "a an the and or but if of to in on at for with from by about as is are was were be been being it its this "
    "that these those they them their there here we our you your i me my he she his her so do does did "
    "have has had can could would should will may might must also just than then what who how when why which "
    "each every all any both more most very such into onto over under up down out off only own same too "
    "other some many much well however therefore additionally furthermore overall generally typically usually "
    "include includes including like one used use using based given provided passage passages mentioned according "
    "state states stated says say said note noted mention mentions".split()
)
_NEG = re.compile(r"\b(?:not(?!\s+(?:only|just|merely|simply)\b)|no|never|none|nor|without|cannot|neither|n't|unable|fails?\s+to|lack(?:s|ing)?)\b|n't\b", re.I)
_PASSAGE_LABEL = re.compile(r"^\s*passage\s*\d+\s*:\s*", re.I)

# framing that attributes the sentence to the passages: removed before judging what is left
_FRAME = [
    re.compile(r"^\s*(?:so|thus|therefore|overall|in summary|in conclusion|however|additionally|also|finally|"
               r"a|answer)\s*[:,]?\s+", re.I),
    re.compile(r"^\s*(?:based|drawing)\s+(?:solely\s+|only\s+)?(?:on|upon)\s+(?:the\s+)?(?:information\s+(?:in|from)\s+"
               r"(?:the\s+)?)?(?:given|provided|above|available|three|these|those|retrieved)?\s*(?:passages?|context|"
               r"information|sources?|texts?)(?:\s+provided|\s+given|\s+above)?\s*[,:]?\s*", re.I),
    re.compile(r"^\s*(?:according\s+to|as\s+(?:stated|mentioned|described|noted|explained)\s+in|per|from|in)\s+"
               r"(?:the\s+)?(?:given\s+|provided\s+|first\s+|second\s+|third\s+)?passages?\s*(?:\d+(?:\s*(?:and|&|,)\s*\d+)*)?"
               r"\s*[,:]?\s*(?:it\s+(?:is\s+)?(?:says|states|mentions|notes|explains)\s+(?:that\s+)?)?", re.I),
    re.compile(r"^\s*(?:the\s+)?(?:first|second|third|\d+(?:st|nd|rd|th))?\s*passages?\s*\d*(?:\s*(?:and|&)\s*\d+)?\s*"
               r"(?:also\s+|further\s+|specifically\s+|clearly\s+)?(?:states?|says?|mentions?|notes?|explains?|suggests?|"
               r"indicates?|describes?|defines?|highlights?|emphasi[sz]es?|recommends?|adds?|provides?|"
               r"discuss(?:es)?|focus(?:es)?\s+on|expands?\s+on)\s*(?:that\s*)?[:,]?\s*", re.I),
    re.compile(r"^\s*passages?\s*\d+\s*:\s*", re.I),
    re.compile(r"^\s*(?:it\s+)?(?:appears|seems)\s+that\s+", re.I),
]
_TRAIL = re.compile(r"\s*\(\s*(?:as\s+)?(?:mentioned|stated|described|noted|see|source|from)?\s*(?:in\s+)?"
                    r"(?:the\s+)?passages?\s*[\d,&\sand]*\)\s*", re.I)
_ABSENCE = re.compile(
    r"\b(?:unable\s+to\s+(?:answer|determine|find|provide)|(?:cannot|can't|could\s+not|couldn't|not\s+possible\s+to)"
    r"\s+(?:be\s+)?(?:answer|determine|find|provide|say|tell|confirm)|"
    r"(?:do|does|did)\s+not\s+(?:explicitly\s+|specifically\s+|directly\s+)?(?:provide|mention|contain|include|specify|"
    r"say|state|give|offer|address|discuss|list|answer|indicate|describe|explain|cover)|"
    r"(?:is|are|was|were)\s+not\s+(?:explicitly\s+|specifically\s+|directly\s+|clearly\s+)?(?:mentioned|provided|specified|"
    r"stated|given|listed|available|included|addressed|discussed|described|found)|"
    r"no\s+(?:specific\s+|further\s+|additional\s+|direct\s+)?(?:information|mention|details?|data|answer|indication)|"
    r"(?:insufficient|not\s+enough)\s+(?:information|context))\b", re.I)
_PASSAGE_WORD = re.compile(r"\b(?:passages?|context|information provided|sources?)\b", re.I)
_ADVICE = re.compile(r"\b(?:important|recommend(?:ed)?|consult|should|make sure|ensure|always|never|tips?|"
                     r"consider|may|might|can|help|best|enjoy|remember)\b", re.I)
_LIST = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")

FEATURES = ("recall", "novel", "local", "bigram", "num_novel", "num_elsewhere", "name_novel", "name_elsewhere",
            "neg_mismatch", "disorder", "length", "advice", "list_item", "framed", "long_novel",
            "swap", "changed", "neg_added",
            # alignment (round 2): IDF over the passages' own sentences, the single best sentence, word runs
            "idf_recall", "idf_novel", "single", "run_best", "run_any", "n_words", "novel_share",
            # the rest of the answer (round 3): how weakly its other checked sentences are supported
            "ctx_low", "ctx_mean", "ctx_novel", "ctx_n")
CONTEXT = ("ctx_low", "ctx_mean", "ctx_novel", "ctx_n")

# pleasantries a chat model wraps an answer in: they claim nothing about the world, yet shared no word
# with the passages and so were the judge's surest false alarms (26 sentences on the dev file, none
# labelled by people)
_PLEASANTRY = re.compile(
    r"^\s*(?:(?:sure|certainly|of\s+course|absolutely)[,!.]?\s+(?:i\s+(?:can|could|would\s+be\s+happy\s+to)\s+help"
    r"(?:\s+you)?(?:\s+with\s+that)?)?[!.]?|i\s+hope\s+(?:this|that|these)\b.*\bhelps?\b.*|"
    r"(?:please\s+)?(?:let\s+me\s+know|feel\s+free\s+to\s+ask)\b.*|"
    r"if\s+you\s+have\s+any\s+(?:other|further|more|additional)?\s*questions\b.*)$", re.I)


_LABEL = re.compile(r"^\s*(?:step\s*\d+\s*[:.-]\s*|[^:.!?]{1,40}:\s+(?=\S))", re.I)
_INNER_FRAME = re.compile(
    r",?\s*\b(?:(?:as\s+)?(?:stated|mentioned|described|noted|explained|shown|suggested)\s+in|according\s+to|"
    r"as\s+per)\s+(?:the\s+)?(?:given\s+|provided\s+|first\s+|second\s+|third\s+)?passages?\s*"
    r"(?:\d+(?:\s*(?:and|&|,)\s*(?:passage\s*)?\d+)*)?\s*,?", re.I)


def core_claim(sentence: str) -> tuple[str, bool]:
    """The sentence without its framing ("Based on the passages, ..."), and whether it had any."""
    s = sentence.strip()
    before = s
    s = _TRAIL.sub(" ", s)
    s = _LIST.sub("", s)
    s = _LABEL.sub("", s, count=1)
    s = _INNER_FRAME.sub(" ", s)
    for _ in range(3):
        for rx in _FRAME:
            s = rx.sub("", s, count=1)
    s = " ".join(s.split()).strip(" ,;:-")
    return s, s != " ".join(_LIST.sub("", before).split()).strip(" ,;:-")


def meta_reason(sentence: str) -> str | None:
    """Why a sentence makes no claim about the world, or None when it does.

    Refusals and statements of what the passages lack ("Unable to answer based on the given
    passages", "The passages do not mention the price") describe the sources, not the world; a bare
    pointer ("(Passage 3)") or an introduction ("Here are the steps based on the passages:") neither.
    """
    core, framed = core_claim(sentence)
    if len(words(core)) < 3:
        return "no claim of its own (a pointer to a passage or a heading)"
    if _PLEASANTRY.match(sentence):
        return "a pleasantry, not a claim"
    if sentence.rstrip(" *_").endswith("?"):
        return "a question, not a claim"
    if sentence.rstrip(" *_").endswith(":") and len(words(sentence)) <= 8:
        return "a heading or label, not a claim"
    if sentence.rstrip().endswith(":") and (framed or re.match(r"^\s*(?:here|sure|the following|below)", core, re.I)):
        return "an introduction, not a claim"
    if _ABSENCE.search(sentence) and (_PASSAGE_WORD.search(sentence) or framed or len(words(core)) <= 8):
        return "says what the passages do not contain: not a claim about the world"
    return None


def _content(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w not in _STOP and (len(w) > 2 or w.isdigit())]


def content_stems(text: str) -> list[str]:
    """The stemmed content words this judge compares; public because ``coach.checks.support`` compares
    the same words (contradictions, sentences about the situation)."""
    return _content(text)


# a month or a day is capitalised but names nobody ("by Wednesday", "between June and September"); a month a
# sentence brings in still counts as new to the situation ("the manager you hired in January")
MONTHS = frozenset("january february march april may june july august september october november december".split())
_DAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
CALENDAR = MONTHS | _DAYS | frozenset("christmas easter black".split())


def _names(text: str) -> set[str]:
    """Capitalised words not at the start of a sentence or list item: names, places, products (not a day of
    the week: "by Wednesday" is a step's deadline)."""
    out = set()
    text = text.strip()
    first = re.match(r"[\W_]*([A-Z]{2,}|[A-Z][a-z]+[A-Z]\w*)\b", text)  # an acronym opening the sentence
    if first:
        out.add(stem(first.group(1).lower()))
    for m in re.finditer(r"(?<![.!?:\n]\s)(?<!^)\b([A-Z][a-zA-Z]+|[A-Z]{2,})\b", text):
        w = m.group(1).lower()
        if w not in _STOP and w not in _DAYS and len(w) > 1:
            out.add(stem(w))
    return out


@dataclass
class _Window:
    stems: list[str]
    stem_set: frozenset
    values: list[float]
    negated: bool
    names: frozenset = frozenset()


@dataclass
class _Passages:
    windows: list[_Window]
    singles: list[_Window]
    union: frozenset
    every_word: frozenset  # short words and stop words included: "QA", "US" are names too
    bigrams: frozenset
    values: list[float]
    df: dict  # stem -> how many passage sentences hold it (IDF of a word within these passages)


@lru_cache(maxsize=512)
def _prepare(passages: tuple[str, ...]) -> _Passages:
    """Each passage cut into windows of two neighbouring sentences, with stems, numbers and polarity."""
    windows: list[_Window] = []
    singles: list[_Window] = []
    bigrams: set = set()
    for p in passages:
        p = _PASSAGE_LABEL.sub("", p)
        sents = [p[a:b] for a, b in sentence_spans(p)] or [p]
        for i in range(len(sents)):
            for size, into in ((2, windows), (1, singles)):
                text = " ".join(sents[i:i + size])
                st = _content(text)
                into.append(_Window(st, frozenset(st), [v for _, v in number_values(text)],
                                   bool(_NEG.search(normalize(text))), frozenset(_names(text))))
        st = _content(p)
        for j in range(len(st) - 1):
            bigrams.add((st[j], st[j + 1]))
            if j + 2 < len(st):
                bigrams.add((st[j], st[j + 2]))
    union = frozenset(s for w in windows for s in w.stems)
    values = [v for p in passages for _, v in number_values(_PASSAGE_LABEL.sub("", p))]
    every = frozenset(stem(w) for p in passages for w in words(p))
    df: dict[str, int] = {}
    for w in singles:
        for x in w.stem_set:
            df[x] = df.get(x, 0) + 1
    return _Passages(windows, singles, union, every, frozenset(bigrams), values, df)


def _longest_run(a: list[str], b: list[str]) -> int:
    """Longest run of content words the two texts share in the same order (a copied clause)."""
    best, prev = 0, [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, z in enumerate(b, 1):
            if x == z:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def _discordance(order_s: list[str], window: list[str]) -> float:
    """Share of word pairs the window puts in the opposite order: "A manages B" against "B manages A"."""
    pos: dict[str, int] = {}
    for i, w in enumerate(window):
        pos.setdefault(w, i)
    seq = [pos[w] for w in dict.fromkeys(order_s) if w in pos]
    pairs = bad = 0
    for i in range(len(seq)):
        for j in range(i + 1, len(seq)):
            pairs += 1
            bad += seq[i] > seq[j]
    return bad / pairs if pairs else 0.0


def _main_clause(text: str) -> str:
    """The text without contrastive tails (", not bowel movements") and conditions ("If you don't ..."),
    whose negations do not deny the claim itself."""
    t = normalize(text)
    t = re.sub(r",\s*(?:but\s+)?not\b[^,.;]*", " ", t)
    t = re.sub(r"^(?:if|unless|when|while|whether)\b[^,]*,", " ", t)
    return t


def features(sentence: str, passages: list[str], raw: str | None = None) -> tuple[dict[str, float], list[str]]:
    """The signals the judge weighs, and the concrete problems found (for the user-facing reason).
    ``raw`` is the sentence as written (with its list number or bullet), when ``sentence`` is cleaned."""
    core, framed = core_claim(sentence)
    prep = _prepare(tuple(passages))
    cw = _content(core)
    cset = set(cw)
    problems: list[str] = []
    n = max(len(cset), 1)
    recall = len(cset & prep.union) / n
    novel = sorted(cset - prep.union)
    best, best_local = None, -1.0
    for w in prep.windows:
        loc = len(cset & w.stem_set) / n
        if loc > best_local:
            best, best_local = w, loc
    one, one_local = None, -1.0
    for w in prep.singles:
        loc = len(cset & w.stem_set) / n
        if loc > one_local:
            one, one_local = w, loc
    big = [(cw[i], cw[i + 1]) for i in range(len(cw) - 1)]
    bigram = sum(b in prep.bigrams for b in big) / len(big) if big else 1.0
    num_novel = num_elsewhere = 0
    for written, v in number_values(core):
        if not any(same_number(v, x) for x in prep.values):
            num_novel += 1
            problems.append(f"the number {written} is not in the passages")
        elif best is not None and not any(same_number(v, x) for x in best.values):
            num_elsewhere += 1
            problems.append(f"{written} appears in the passages, but not with what this sentence says")
    names = _names(core)
    name_novel = sorted(names - prep.union - prep.every_word)
    name_elsewhere = sorted((names & prep.union) - (one.stem_set if one else frozenset()))
    if name_novel:
        problems.append(f"names {', '.join(name_novel[:3])}, which the passages do not mention")
    # a swap: the closest sentence says the same of another name ("the ADA" -> "FEHA")
    swapped = (bool(name_elsewhere) and one_local >= 0.7 and one is not None and len(cset - one.stem_set) <= len(name_elsewhere) + 1
               and bool(one.names - names))
    if name_elsewhere:
        problems.append(f"puts {', '.join(name_elsewhere[:3])} with what the passages say of something else")
    changed = 0.0
    sent_values = [v for _, v in number_values(core)]
    if (num_novel and one is not None and one_local >= 0.7
            and any(not any(same_number(x, v) for v in sent_values) for x in one.values)):
        changed = 1.0
        problems.append("changed quantity: the closest passage sentence gives another number")
    neg_mismatch = 0.0
    if one is not None and one_local >= 0.8 and _NEG.search(_main_clause(core)) and not one.negated:
        neg_mismatch = 1.0
        problems.append("negation: the closest passage says the opposite")
    # a negation the passages never make, on a sentence that otherwise matches one of theirs
    neg_added = float(one is not None and one_local >= 0.8 and bool(_NEG.search(_main_clause(core)))
                      and not any(w.negated for w in prep.singles))
    if neg_added:
        problems.append("negation: the passages never say this with a “not”")
    disorder = _discordance(cw, best.stems) if best is not None and best_local >= 0.5 else 0.0
    if best is not None and disorder >= 0.5 and len(cset & best.stem_set) >= 3:
        problems.append("the passage puts these words in the opposite roles")
    if novel and not problems and recall < 0.7:
        problems.append(f"words not in the passages: {', '.join(novel[:4])}")
    feats = {
        "recall": recall, "novel": math.log1p(len(novel)), "local": max(best_local, 0.0), "bigram": bigram,
        "num_novel": float(min(num_novel, 3)), "num_elsewhere": float(min(num_elsewhere, 3)),
        "name_novel": float(min(len(name_novel), 3)), "name_elsewhere": float(min(len(name_elsewhere), 3)),
        "neg_mismatch": neg_mismatch, "disorder": disorder, "length": math.log1p(len(cset)),
        "advice": float(len(_ADVICE.findall(core)) > 0), "list_item": float(bool(_LIST.match(raw if raw is not None else sentence))),
        "framed": float(framed), "long_novel": math.log1p(sum(len(w) >= 7 for w in novel)),
        "swap": float(swapped), "changed": changed, "neg_added": neg_added,
        **_alignment(cw, cset, prep, one, one_local, core),
    }
    return feats, problems


def _alignment(cw: list[str], cset: set, prep: _Passages, one: _Window | None, one_local: float,
               core: str) -> dict[str, float]:
    """How the sentence lines up with the passages beyond plain word recall: words weighted by how rare
    they are in these passages (a rare word from nowhere weighs more than "help"), the one passage
    sentence that covers most of it, and the longest run of words copied in order."""
    if not cw:
        return {"idf_recall": 1.0, "idf_novel": 0.0, "single": 1.0, "run_best": 1.0, "run_any": 1.0,
                "n_words": 0.0, "novel_share": 0.0}
    n_sent = len(prep.singles)
    idf = {w: math.log((n_sent + 1) / (prep.df.get(w, 0) + 0.5)) for w in cset}
    total = sum(idf.values()) or 1.0
    return {
        "idf_recall": sum(v for w, v in idf.items() if w in prep.df) / total,
        "idf_novel": sum(v for w, v in idf.items() if w not in prep.df),
        "single": max(one_local, 0.0),
        "run_best": _longest_run(cw, one.stems) / len(cw) if one is not None else 0.0,
        "run_any": max((_longest_run(cw, w.stems) for w in prep.singles), default=0) / len(cw),
        "n_words": math.log1p(len(words(core))),
        "novel_share": len(cset - prep.df.keys()) / len(cset),
    }


def _roles(text: str) -> dict[str, str]:
    """Each content word mapped to the role or name that governs it: the nearest one before it
    ("managers are maintainers ... leaders are innovators": maintain -> manag, innovator -> lead)."""
    out: dict[str, str] = {}
    role = None
    for w in words(text):
        if w in _STOP:
            continue
        s = stem(w)
        if s.startswith("manag"):  # noqa: SIM114
            role = "manage"
            continue
        if s.startswith("lead"):
            role = "lead"
            continue
        if role and len(w) > 2:
            out.setdefault(s, role)
    return out


def role_swap(sentence: str, passage: str, min_shared: int = 2, share: float = 0.6) -> bool:
    """Does the sentence give the passage's predicates to the other role ("leaders are maintainers"
    where the passage says "managers are maintainers")? Needs both roles in both texts and at least
    ``min_shared`` shared predicates, more than ``share`` of them switched."""
    a, b = _roles(sentence), _roles(passage)
    if set(a.values()) != {"manage", "lead"} or set(b.values()) != {"manage", "lead"}:
        return False
    shared = [w for w in a if w in b]
    if len(shared) < min_shared:
        return False
    switched = sum(a[w] != b[w] for w in shared)
    return switched / len(shared) > share
