"""Reading a situation for what it lacks, not for the words it uses.

A manager who writes "every process is documented, our ticket metrics are green, yet two of my best
people feel like cogs" uses management's vocabulary and needs leadership: what already works is not a
need. So the text is cut into clauses (sentences, then at contrast markers: but, yet, however,
although...), each clause is read as *working* or *going wrong* (after a contrast, negations,
"nobody", "never", "keeps", loss and complaint words), and only the going-wrong clauses are placed on
the corpus's axes. Each problem clause gets a side from a small logistic model over its MiniLM
embedding; a second, 3-class model decides the leaning (``both`` included) from what those sides add
up to, the side of what already works and the text's vocabulary. Both live in ``need_model.json``,
trained and cross-validated by ``python -m coach.need_train`` on the dev split of
``evals/situations.yaml`` and the labelled situations of ``evals/cases.yaml``, never on the test split
(grouped 5-fold CV on dev: 0.645; held out: 0.61; round 1's hand margins: 0.62 in CV).

The problem clauses are also the *needs*: retrieval searches with each of them, the source ranker
(``need_passages.json``) scores passages against them, and the built-in engine mirrors them back to
the manager in their own words.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .text import split_sentences, words

if TYPE_CHECKING:  # numpy is imported where it is used
    import numpy as np

MODEL_PATH = Path(__file__).with_name("need_model.json")
# a leaning needs this much probability mass behind it; "both" when problem clauses pull both ways
BOTH_MARGIN = 0.02      # fallback only (no case model): |mean(p_leadership) - 0.5| below this: both
SPLIT_STRONG = 0.80     # a clause this sure of each side: both
MAX_NEEDS = 4

_CONTRAST = re.compile(
    r"(?:,|;|—|–| -)?\s+\b(but|yet|however|although|though|even though|while|whereas)\b[,]?\s+", re.I)
_LEAD_CONTRAST = re.compile(r"^\s*(although|though|even though|while|whereas|despite)\b", re.I)
_SEMI = re.compile(r"\s*;\s*|\s+[—–]\s+")
_PROBLEM = re.compile(
    r"\b(not|no|nobody|no one|noone|nothing|none|never|neither|nor|without|can't|cannot|can not|couldn't|don't|"
    r"doesn't|didn't|won't|wouldn't|isn't|aren't|wasn't|weren't|haven't|hasn't|hardly|barely|"
    r"keeps?|kept|again|missing|missed|miss|misses|lost|lose|losing|loses|late|later|slip\w*|behind|overdue|"
    r"complain\w*|frustrat\w*|burn\w*|quit\w*|resign\w*|leav\w*|left|disengag\w*|demotivat\w*|unmotivat\w*|"
    r"bored|stuck|cogs?|drop\w*|fell|falling|worse|worst|conflict\w*|blame\w*|ignor\w*|confus\w*|chaos|"
    r"chaotic|mess\w*|fail\w*|problem\w*|struggl\w*|worr\w*|anxious|afraid|fear\w*|unclear|overwhelm\w*|"
    r"exhaust\w*|tired|angry|upset|argu\w*|fight\w*|tension|toxic|low|lack\w*|errors?|mistakes?|wrong|"
    r"delay\w*|overrun\w*|over budget|rework|duplicat\w*|forgot\w*|forget\w*|skip\w*|broke\w*|bad|poor\w*|"
    r"turnover|apath\w*|cynic\w*|eye-?roll\w*|roll their eyes|sighs?|grumbl\w*|resent\w*|silent|quiet|"
    r"nobody knows|hate\w*|avoid\w*|resist\w*|push(?:ed|es)? back|pushback|refus\w*|lied|hid\w*|"
    r"stopped|cancel\w*|gave up|give up|dread\w*|panic\w*|scramble\w*|firefight\w*|surprise\w*|unhappy|hurt|"
    # "hard", but not the effort of "I try hard" or "they work hard"
    r"harder|(?<!try )(?<!tries )(?<!tried )(?<!trying )(?<!work )(?<!works )(?<!worked )(?<!working )hard|"
    r"difficult|tough|nightmare|stress\w*|sick|absent\w*|crying|cried|shouting|yell\w*|"
    r"bottleneck\w*|unchecked|unsigned|untracked|unassigned|unanswered|unplanned|blank|wast\w*|throw away|"
    r"thrown away|double[- ]booked|ran out|run out|runs out|scared|pushed out|waiting|"
    # harm and loss said as events, without a complaint word ("two of them came to blows", "billed twice")
    r"against a target|below (?:target|plan|budget)|under target|came to blows|"
    r"(?:billed|charged|paid|invoiced|shipped|sent) twice|overcharg\w*|short by|shortfall|stolen|"
    r"theft|bull(?:y|ied|ying)|harass\w*|rude|insult\w*|injur\w*|accidents?|damaged|outages?|crash(?:ed|es)?)\b",
    re.I)
_WORKS = re.compile(
    r"\b(great|good|green|love|loves|loved|fine|well|strong|solid|proud|happy|excellent|smooth\w*|"
    r"on time|on track|on budget|hit|hits|met|meet|documented|clear|clean|tidy|efficient|reliable|"
    r"talented|brilliant|smart|motivated|engaged|passionate|enthusias\w*|excited|popular|liked|"
    r"always deliver\w*|delivers?|works?|working|"
    # strengths said warmly rather than as results ("Wonderful community spirit, everyone inspired by…")
    r"wonderful|inspired|inspiring|amazing|fantastic|terrific|positive|supportive|loyal|dedicated|friendly|"
    r"thriving|booming|perfect|textbook|spotless|respected|trusted|capable|skilled|hard-?working|"
    r"close-?knit|tight-?knit|get(?:s)? along|morale is (?:great|high|good))\b", re.I)
# a fault denied is a strength ("I haven't failed one in eleven years", "we never missed a delivery")
_NO_FAULT = re.compile(r"\b(?:haven't|hasn't|have not|has not|never|not once|no)\s+(?:\w+\s+)?"
                       r"(?:failed|fail|missed|miss|lost|dropped|had a complaint|complaints?)\b", re.I)
# clumsy negations and sameness ("dont know how to do the audit", "cast the same actor")
_SAID = re.compile(r"\b(dont|cant|doesnt|didnt|wont|isnt|arent|wasnt|werent|havent|hasnt|couldnt|wouldnt|same(?!-))\b",
                   re.I)  # "same-day", "same-sex": a compound, not sameness
# what the manager says they need is a need, whatever its words ("I need a process for the handoffs",
# "the board expects a three-year view", "how do I set up ordering for two sites?")
_NEED = re.compile(r"\b(need|needs|must|have to|has to|had to|supposed to|expects?|expected|wants? (?:me|us|them|a|an|the|my|our)|"
                   r"how (?:do|can|should|would) (?:i|we)|what (?:do|should) (?:i|we)|should i|where (?:do|should) (?:i|we))\b", re.I)
# a sentence that opens by setting itself against what came before is what is going wrong ("Still my
# team leads act like clerks", "Meanwhile the board expects…")
_LEAD_AFTER = re.compile(r"(?:^|[.!?;]\s+)(still|yet|meanwhile|however|but|only|except|instead)\b", re.I)


@dataclass
class Clause:
    text: str
    problem: bool
    sentence: int          # index of the sentence it comes from
    p_leadership: float = 0.5
    neutral: bool = False  # neither working nor wrong on its face: context ("I manage the night shift")
    # the manager names a need or a fault in words the problem cues leave out ("I need a process for the
    # handoffs", clumsy "dont", "Still my leads act like clerks"): the answer engages it, the leaning
    # does not count it (counting it cost 0.03-0.05 of grouped CV lens agreement on dev)
    named: bool = False
    vec: object = field(default=None, repr=False, compare=False)

    @property
    def side(self) -> str:
        return "leadership" if self.p_leadership >= 0.5 else "management"


@dataclass
class Reading:
    """What the manager says works, what is going wrong, and where the unmet needs sit."""

    clauses: list[Clause]
    leaning: str
    score: float                                   # mean p(leadership) of the needs, minus 0.5
    sentences: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Clause]:
        return [c for c in self.clauses if c.problem]

    @property
    def works(self) -> list[Clause]:
        return [c for c in self.clauses if not c.problem]

    def needs(self, limit: int = MAX_NEEDS) -> list[Clause]:
        """The problem clauses most worth answering: the surest about their side first, in text order."""
        ranked = sorted(self.problems, key=lambda c: -abs(c.p_leadership - 0.5))[:limit]
        return sorted(ranked, key=lambda c: self.clauses.index(c))

    def to_engage(self, limit: int = MAX_NEEDS + 1) -> list[Clause]:
        """What an answer must speak to: the needs, then what the manager names as a need in other
        words, in text order."""
        named = [c for c in self.clauses if c.named and not c.problem][:2]
        chosen = self.needs(limit - len(named)) + named
        return sorted(chosen, key=lambda c: self.clauses.index(c))


def _clean(text: str) -> str:
    return " ".join(text.strip(" ,;:-–—").split())


LONG_CLAUSE = 25
# a lower-case "i" opens a new thought in run-on English only when a verb of saying, knowing or having
# follows ("…every week i dont know who…"); "the same guys i drink beer with" is one thought
_NEW_I = r"(?-i:i)(?=\s+(?:dont|don't|cant|can't|need|want|think|feel|try|tried|say|said|have|had|am|was|will|must|" \
         r"find|found|know|never|always|also|just|really|still|do|did|told|asked|tell|see|saw)\b)"
_JOINS = re.compile(r",\s+(?=\w)|\s+(?=\b(?:and then|and now|so|then|because|which|who|when|and they|and i|and we|"
                    r"and he|and she|and it|they|nobody|" + _NEW_I + r")\b)", re.I)
# a thought does not end on the word that opens its next part ("they dont listen when | i say…")
_OPENS = re.compile(r"\b(?:when|that|if|because|where|as|than|before|after|until|while|whether|what|how|why|who)\s*$",
                    re.I)


# "nobody set rules for who takes app jobs": after a preposition or a verb of knowing, "who/which/when"
# opens the object of the thought, not a new one
_OBJECT_CLAUSE = re.compile(r"(?:who|which|when)\b", re.I)
# "half of them are scared | they'll be pushed out": what one is afraid or sure of is part of the thought
_FEELS = re.compile(r"\b(?:scared|afraid|worried|convinced|certain|aware)\s*$", re.I)
_PRONOUN = re.compile(r"(?:they|i|we|he|she|it|nobody)\b", re.I)
_TAKES_OBJECT = re.compile(r"\b(?:for|about|of|to|on|with|over|at|in|by|from|into|know|knows|knew|ask|asks|asked|"
                           r"decide|decides|decided|sure|clear|unclear|idea)\s*$", re.I)
_QUOTED = re.compile(r"(?:^|(?<=\s))['‘\"“][^\s'‘’\"“”].*?['’\"”](?=[\s,.;:!?)]|$)")


def _semi_split(text: str) -> list[str]:
    """``text`` cut at semicolons and dashes, except that what a dash sets off as a list or a "with…"
    ("I'm good at running a home — rotas, budgets, inspections", "the October tour to Japan — flights,
    freight, visas — with no handover notes") stays with the thought it belongs to. Pieces are slices."""
    cuts = list(_SEMI.finditer(text))
    spans: list[tuple[int, int, str]] = []   # (start, end, the separator after the piece)
    start = 0
    for m in cuts + [None]:
        end = m.start() if m else len(text)
        spans.append((start, end, m.group() if m else ""))
        start = m.end() if m else len(text)
    out: list[tuple[int, int, str]] = []
    for a, b, sep in spans:
        piece = text[a:b]
        after_dash = bool(out) and out[-1][2].strip() in ("—", "–")
        if after_dash and ("," in piece or piece.lower().startswith(("with ", "without "))):
            out[-1] = (out[-1][0], b, sep)  # joined: the slice runs on to this piece's end
        else:
            out.append((a, b, sep))
    return [text[a:b] for a, b, _ in out]


def _split_long(text: str) -> list[str]:
    """A clause of more than LONG_CLAUSE words (run-on English, no punctuation) cut where it joins
    another thought, into pieces of at least four words, so each can be quoted whole. Pieces are
    slices of the text: rejoined short pieces keep their commas (a quotation is the manager's exact
    words, punctuation included)."""
    if len(text.split()) <= LONG_CLAUSE:
        return [text]
    spans: list[list[int]] = []   # [start, end] of each piece in ``text``
    start = 0
    # words the manager quotes ("I've already heard 'he's one of us, he'll understand'") stay whole
    quoted = [q.span() for q in _QUOTED.finditer(text)]
    joins = [m for m in _JOINS.finditer(text) if not any(a < m.start() < b for a, b in quoted)
             and not (_OBJECT_CLAUSE.match(text, m.end()) and _TAKES_OBJECT.search(text, 0, m.start()))
             and not _OPENS.search(text, 0, m.start())
             and not (_PRONOUN.match(text, m.end()) and _FEELS.search(text, 0, m.start()))]
    for m in joins + [None]:
        end = m.start() if m else len(text)
        piece = text[start:end]
        if spans and (len(piece.split()) < 4 or len(text[spans[-1][0]:spans[-1][1]].split()) < 4):
            spans[-1][1] = end
        else:
            spans.append([start, end])
        start = m.end() if m else len(text)
    return [text[a:b].strip(" ,") for a, b in spans]


def clauses(text: str) -> list[Clause]:
    """Sentences cut at contrast markers, each read as working or going wrong."""
    out: list[Clause] = []
    sents = [s for s in split_sentences(" ".join(text.split())) if words(s)]
    if len(sents) == 1 and len(words(sents[0])) > 60:  # one run-on paragraph without punctuation
        sents = [s for s in re.split(r"\s+(?=\band then\b|\bso\b|\band now\b)", sents[0]) if words(s)]
    for n, sent in enumerate(sents):
        pieces: list[tuple[str, str | None]] = []   # (text, "before" | "after" | None contrast role)
        lead = _LEAD_CONTRAST.match(sent)
        if lead and "," in sent:
            head, tail = sent.split(",", 1)
            pieces = [(head, "before"), (tail, "after")]
        else:
            parts = _CONTRAST.split(sent)
            # parts = [text, marker, text, marker, text...]
            first = parts[0]
            pieces.append((first, "before" if len(parts) > 1 else None))
            for i in range(1, len(parts) - 1, 2):
                marker, rest = parts[i].lower(), parts[i + 1]
                if marker in ("although", "though", "even though", "while", "whereas"):
                    # "X although Y": Y is what works, X what is wrong
                    prev_text, _ = pieces[-1]
                    pieces[-1] = (prev_text, "after")
                    pieces.append((rest, "before"))
                else:
                    pieces.append((rest, "after"))
        split_more: list[tuple[str, str | None]] = []
        for t, role in pieces:
            for sub in _semi_split(t):
                for part in _split_long(sub):
                    split_more.append((part, role))
        for t, role in split_more:
            t = _clean(t)
            if len(words(t)) < 2:
                continue
            neg = bool(_PROBLEM.search(_NO_FAULT.sub(" ", t)))
            pos = bool(_WORKS.search(t))
            named = bool(_NEED.search(t) or _SAID.search(t) or _LEAD_AFTER.search(t))
            if neg:
                problem = True
            elif role == "after":
                problem = True
            elif role == "before" or pos:
                problem = False
            else:
                problem = None  # neutral: decided below
            out.append(Clause(t, bool(problem), n, neutral=problem is None, named=named))
    if out and not any(c.problem for c in out):
        # nothing reads as going wrong: the whole text is the need (a terse "how do I..." question)
        for c in out:
            if c.neutral or not _WORKS.search(c.text):
                c.problem = True
        if not any(c.problem for c in out):
            for c in out:
                c.problem = True
    return out


# ------------------------------------------------------------------------------------------------
# the side of a need (a logistic model over MiniLM embeddings of one clause), then the leaning of the
# situation (a 3-class logistic model over what the needs' sides add up to); both in need_model.json,
# trained by ``python -m coach.need_train --train`` (dev split + evals/cases.yaml, never the test split)
# ------------------------------------------------------------------------------------------------
LEANINGS = ("both", "leadership", "management")


@lru_cache(maxsize=1)
def _model() -> dict:
    import numpy as np

    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    out = {"coef": np.asarray(data["coef"], dtype="float32"), "intercept": float(data["intercept"])}
    case = data.get("case")
    if case:
        out["case"] = (list(case["classes"]), np.asarray(case["coef"], dtype="float64"),
                       np.asarray(case["intercept"], dtype="float64"))
    return out


def p_leadership(vecs, model: dict | None = None) -> list[float]:
    """P(the need is a leadership need) for each embedded clause."""
    import numpy as np

    m = model or _model()
    z = np.asarray(vecs, dtype="float32") @ m["coef"] + m["intercept"]
    return [float(x) for x in 1 / (1 + np.exp(-z))]


def decide(ps: list[float], margin: float = BOTH_MARGIN, strong: float = SPLIT_STRONG) -> tuple[str, float]:
    """The leaning from the needs' probabilities alone, by hand-set margins (the fallback when the
    model file holds no case-level model; 5-fold CV on dev: 0.62)."""
    if not ps:
        return "both", 0.0
    score = sum(ps) / len(ps) - 0.5
    lead = any(p >= strong for p in ps)
    mgmt = any(p <= 1 - strong for p in ps)
    if (lead and mgmt) or abs(score) < margin:
        return "both", round(score, 4)
    return ("leadership" if score > 0 else "management"), round(score, 4)


def vocabulary_score(scenario_vec) -> float:
    """Whose words the whole text uses: mean over the lens's axes of cos(leadership pole) minus
    cos(management pole), x10. The case model learns how much the *opposite* of this matters."""
    import numpy as np

    from .lens import pole_vectors

    v = np.asarray(scenario_vec, dtype="float32")
    poles, _ = pole_vectors()
    return float(np.mean([float(v @ l - v @ m) for m, l in poles]) * 10)


def _logit(ps) -> np.ndarray:
    import numpy as np

    p = np.clip(np.asarray(ps, dtype="float64"), 1e-3, 1 - 1e-3)
    return np.log(p / (1 - p))


def case_features(problem_ps: list[float], works_ps: list[float], vocab: float):
    """What the leaning is decided from: the needs' sides (mean, strongest each way, spread), the
    side of what already works, and the text's vocabulary."""
    import numpy as np

    L = _logit(problem_ps or [0.5])
    W = _logit(works_ps or [0.5])
    return np.array([L.mean(), L.max(), L.min(), np.abs(L).mean(), W.mean(), vocab, len(problem_ps), L.std()])


def decide_case(problem_ps: list[float], works_ps: list[float], vocab: float, model: dict | None = None,
                vote: dict[str, float] | None = None) -> tuple[str, float]:
    """The leaning of a situation: the case model's most probable class (``decide`` without one),
    fused with the leanings of the most similar labelled situations (``vote``, see
    ``neighbours.leaning_vote``) when there are any."""
    import numpy as np

    from .neighbours import LENS_VOTE_WEIGHT

    m = model or _model()
    score = round(sum(problem_ps) / len(problem_ps) - 0.5, 4) if problem_ps else 0.0
    if "case" not in m:
        return decide(problem_ps)[0], score
    classes, W, b = m["case"]
    z = W @ case_features(problem_ps, works_ps, vocab) + b
    p = np.exp(z - z.max())
    p /= p.sum()
    if vote:
        p = (1 - LENS_VOTE_WEIGHT) * p + LENS_VOTE_WEIGHT * np.array([vote.get(c, 0.0) for c in classes])
    return classes[int(np.argmax(p))], score


def vote_of(scenario_vec, problems: list, tab: dict | None = None) -> dict[str, float] | None:
    """The labelled neighbours' leaning vote for a situation with these going-wrong clauses (``tab``:
    a neighbour table, the packaged one by default)."""
    from .neighbours import leaning_vote, needs_vector

    return leaning_vote(scenario_vec, needs_vector(scenario_vec, [c.vec for c in problems]), tab)


def read_many(texts: list[str], vectors=None) -> list[Reading]:
    """Read every situation, embedding all their clauses (and the texts, unless given) in one pass."""
    import numpy as np

    from . import embed

    per = [clauses(t) for t in texts]
    flat = [c.text for cs in per for c in cs]
    if vectors is None:
        allv = embed.encode_array(list(texts) + flat)
        svecs, vecs = allv[:len(texts)], allv[len(texts):]
    else:
        svecs, vecs = np.asarray(vectors, dtype="float32"), (embed.encode_array(flat) if flat else [])
    ps = p_leadership(vecs) if flat else []
    out, i = [], 0
    for text, cs, sv in zip(texts, per, svecs):
        for c in cs:
            c.p_leadership = ps[i]
            c.vec = vecs[i]
            i += 1
        leaning, score = decide_case([c.p_leadership for c in cs if c.problem],
                                     [c.p_leadership for c in cs if not c.problem], vocabulary_score(sv),
                                     vote=vote_of(sv, [c for c in cs if c.problem]))
        out.append(Reading(cs, leaning, score, [s for s in split_sentences(text)]))
    return out


@lru_cache(maxsize=64)
def read(text: str) -> Reading:
    """One situation's reading (cached: the pipeline and the built-in engine both ask for it)."""
    return read_many([text])[0]


def training_cases(situations: str = "evals/situations.yaml", cases: str = "evals/cases.yaml",
                   train: str = "evals/situations_train.yaml") -> list[dict]:
    """Labelled situations allowed for tuning: ``split: dev`` of the new set, the training-only set
    (``split: train``, never scored) and the old labelled ones. Never ``split: test``."""
    import yaml

    out = []
    for path, split in ((situations, "dev"), (train, "train")):
        if not Path(path).exists():
            continue
        for c in yaml.safe_load(open(path, encoding="utf-8"))["cases"]:
            if c.get("split") == split and c.get("leaning") and c.get("in_scope", True):
                out.append({"id": c["id"], "src": split, "scenario": c["scenario"], "leaning": c["leaning"],
                            "needs": c.get("needs") or [], "passages": list(c.get("passages") or [])})
    for c in yaml.safe_load(open(cases, encoding="utf-8"))["cases"]:
        e = c.get("expect") or {}
        if e.get("leaning"):
            pc = e.get("passage_contains") or []
            out.append({"id": c["id"], "src": "old", "scenario": c["scenario"], "leaning": e["leaning"], "needs": [],
                        "passages": [pc] if isinstance(pc, str) else list(pc)})
    return out


# ------------------------------------------------------------------------------------------------
# which passages a situation needs. The labelled needed passages are mostly the corpus's abstract
# framework passages ("Leadership is about getting results through people"), which rarely resemble a
# manager's words, so similarity alone finds a third of them. The sources are instead ranked by one
# small general model over (situation, passage) pairs (need_passages.json): similarity to the text and
# to each need, the passage's side on the lens's axes times the needs' side, how often the passage
# answered labelled situations (overall and for the predicted leaning), and whether retrieval found it;
# its order is fused with what the nearest labelled situations needed (coach/neighbours.py: grouped
# 5-fold CV on dev with k + 2 sources, 0.66 -> 0.77).
# ------------------------------------------------------------------------------------------------
PASSAGE_MODEL_PATH = Path(__file__).with_name("need_passages.json")


def passage_key(text: str) -> str:
    from .text import normalize

    return normalize(text)[:80]


def passage_sides(pvecs):
    """Each passage's side on the lens's axes (leadership minus management), standardised over the corpus."""
    import numpy as np

    from .lens import pole_vectors

    poles, _ = pole_vectors()
    P = np.asarray(pvecs, dtype="float32")
    side = np.mean([P @ l - P @ m for m, l in poles], axis=0)
    return (side - side.mean()) / (side.std() or 1.0)


def pair_features(scenario_vec, reading: "Reading", pvecs, sides, in_hits, prior, side_prior):
    """One row per passage: the features the source ranker scores (see the section comment)."""
    import numpy as np

    P = np.asarray(pvecs, dtype="float32")
    s = np.asarray(scenario_vec, dtype="float32")
    probs = [c for c in reading.problems if c.vec is not None]
    cl = np.asarray([c.vec for c in probs], dtype="float32") if probs else s[None]
    sims = cl @ P.T
    L = _logit([c.p_leadership for c in probs] or [0.5])
    mx, mn = float(np.max(1 / (1 + np.exp(-L)))), float(np.min(1 / (1 + np.exp(-L))))
    return np.column_stack([P @ s, sims.max(axis=0), sims.mean(axis=0), sides * float(L.mean()), sides * (mx - .5),
                            sides * (mn - .5), np.abs(sides), prior, in_hits, side_prior])


@lru_cache(maxsize=1)
def _passage_model():
    if not PASSAGE_MODEL_PATH.exists():
        return None
    return json.loads(PASSAGE_MODEL_PATH.read_text(encoding="utf-8"))


def prior_vectors(keys: list[str], model: dict):
    """log(1 + times each passage answered a labelled situation), overall and per leaning."""
    import numpy as np

    prior = np.log1p(np.asarray([model["prior"].get(k, 0) for k in keys], dtype="float64"))
    side = {L: np.log1p(np.asarray([model["side_prior"].get(L, {}).get(k, 0) for k in keys], dtype="float64"))
            for L in LEANINGS}
    return prior, side


KEEP_HITS = 1  # retrieval's best hit always stays (its words may be the manager's own: "doing things right")


def rank_sources(scenario_vec, reading: "Reading", pvecs, keys: list[str], hit_pos: list[int], n: int,
                 model: dict | None = None, sides=None, keep: int | None = None, neighbours=None) -> list[int]:
    """Positions of the ``n`` passages this situation most likely needs: retrieval's ``keep`` best
    first, then the ranker's order fused with what the nearest labelled situations needed
    (``coach.neighbours``; ``neighbours``: that table, None for the packaged one, False for none).
    The retrieval hits in their own order when no model is saved."""
    import numpy as np

    from .neighbours import fuse, needs_vector, table, vote

    m = model or _passage_model()
    if not m:
        return list(hit_pos)[:n]
    sides = passage_sides(pvecs) if sides is None else sides
    in_hits = np.zeros(len(keys))
    in_hits[list(hit_pos)] = 1.0
    prior, side = prior_vectors(keys, m)
    F = pair_features(scenario_vec, reading, pvecs, sides, in_hits, prior, side[reading.leaning])
    z = F @ np.asarray(m["coef"], dtype="float64") + float(m["intercept"])
    order = [int(i) for i in np.argsort(-z, kind="stable")]
    tab = table() if neighbours is None else neighbours
    votes = vote(scenario_vec, needs_vector(scenario_vec, [c.vec for c in reading.problems]), keys, tab) if tab else None
    if votes is not None:
        order = fuse(votes, order)
    first = list(hit_pos)[:KEEP_HITS if keep is None else keep]
    return (first + [i for i in order if i not in first])[:n]
