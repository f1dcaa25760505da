"""Reading a situation for what it lacks, not for the words it uses.

A manager who writes "every process is documented, our ticket metrics are green, yet two of my best
people feel like cogs" uses management's vocabulary and needs leadership: what already works is not a
need. So the text is cut into clauses (sentences, then at contrast markers: but, yet, however,
although...), each clause is read as *working* or *going wrong* (after a contrast, negations,
"nobody", "never", "keeps", loss and complaint words), and only the going-wrong clauses are placed on
the corpus's axes. Each problem clause gets a side from a small logistic model over its MiniLM
embedding (``need_model.json``: trained by ``python -m coach.situation --train`` on the dev split of
``evals/situations.yaml`` and the labelled situations of ``evals/cases.yaml``, never on the test
split); the leaning is where the unmet needs sit, ``both`` when they sit on both sides.

The problem clauses are also the *needs*: retrieval searches with each of them, and the built-in
engine mirrors them back to the manager in their own words.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .text import split_sentences, words

MODEL_PATH = Path(__file__).with_name("need_model.json")
# a leaning needs this much probability mass behind it; "both" when problem clauses pull both ways
BOTH_MARGIN = 0.02      # |mean(p_leadership) - 0.5| below this: both (5-fold CV on dev: 0.59)
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
    r"harder|hard|difficult|tough|nightmare|stress\w*|sick|absent\w*|crying|cried|shouting|yell\w*)\b",
    re.I)
_WORKS = re.compile(
    r"\b(great|good|green|love|loves|loved|fine|well|strong|solid|proud|happy|excellent|smooth\w*|"
    r"on time|on track|on budget|hit|hits|met|meet|documented|clear|clean|tidy|efficient|reliable|"
    r"talented|brilliant|smart|motivated|engaged|passionate|enthusias\w*|excited|popular|liked|"
    r"always deliver\w*|delivers?|works?|working)\b", re.I)
_AFTER_CONTRAST = {"but", "yet", "however", "still", "only", "except"}


@dataclass
class Clause:
    text: str
    problem: bool
    sentence: int          # index of the sentence it comes from
    p_leadership: float = 0.5
    neutral: bool = False  # neither working nor wrong on its face: context ("I manage the night shift")
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


def _clean(text: str) -> str:
    return " ".join(text.strip(" ,;:-–—").split())


LONG_CLAUSE = 25
_JOINS = re.compile(r",\s+(?=\w)|\s+(?=\b(?:and then|and now|so|then|because|which|who|when|and they|and i|and we|and he|and she|and it|they|nobody|i)\b)", re.I)


def _split_long(text: str) -> list[str]:
    """A clause of more than LONG_CLAUSE words (run-on English, no punctuation) cut where it joins
    another thought, into pieces of at least four words, so each can be quoted whole."""
    if len(text.split()) <= LONG_CLAUSE:
        return [text]
    out: list[str] = []
    for piece in _JOINS.split(text):
        if out and (len(piece.split()) < 4 or len(out[-1].split()) < 4):
            out[-1] = f"{out[-1]} {piece}" if not out[-1].endswith(",") else f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


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
            for sub in _SEMI.split(t):
                for part in _split_long(sub):
                    split_more.append((part, role))
        for t, role in split_more:
            t = _clean(t)
            if len(words(t)) < 2:
                continue
            neg = bool(_PROBLEM.search(t))
            pos = bool(_WORKS.search(t))
            if neg:
                problem = True
            elif role == "after":
                problem = True
            elif role == "before" or pos:
                problem = False
            else:
                problem = None  # neutral: decided below
            out.append(Clause(t, bool(problem), n, neutral=problem is None))
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
# the side of a need: a logistic model over MiniLM embeddings
# ------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _model() -> tuple[object, float]:
    import numpy as np

    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    return np.asarray(data["coef"], dtype="float32"), float(data["intercept"])


def p_leadership(vecs) -> list[float]:
    """P(the need is a leadership need) for each embedded clause."""
    import numpy as np

    coef, b = _model()
    z = np.asarray(vecs, dtype="float32") @ coef + b
    return [float(x) for x in 1 / (1 + np.exp(-z))]


def decide(ps: list[float], margin: float = BOTH_MARGIN, strong: float = SPLIT_STRONG) -> tuple[str, float]:
    """The leaning from the needs' probabilities: where the mass is, or both."""
    if not ps:
        return "both", 0.0
    score = sum(ps) / len(ps) - 0.5
    lead = any(p >= strong for p in ps)
    mgmt = any(p <= 1 - strong for p in ps)
    if (lead and mgmt) or abs(score) < margin:
        return "both", round(score, 4)
    return ("leadership" if score > 0 else "management"), round(score, 4)


def read_many(texts: list[str]) -> list[Reading]:
    """Read every situation, embedding all their clauses in one pass."""
    from . import embed

    per = [clauses(t) for t in texts]
    flat = [c.text for cs in per for c in cs]
    vecs = embed.encode_array(flat) if flat else []
    ps = p_leadership(vecs) if flat else []
    out, i = [], 0
    for text, cs in zip(texts, per):
        for c in cs:
            c.p_leadership = ps[i]
            c.vec = vecs[i]
            i += 1
        leaning, score = decide([c.p_leadership for c in cs if c.problem])
        out.append(Reading(cs, leaning, score, [s for s in split_sentences(text)]))
    return out


@lru_cache(maxsize=64)
def read(text: str) -> Reading:
    """One situation's reading (cached: the pipeline and the built-in engine both ask for it)."""
    return read_many([text])[0]


# ------------------------------------------------------------------------------------------------
# training (offline, on the dev split only)
# ------------------------------------------------------------------------------------------------
def training_cases(situations: str = "evals/situations.yaml", cases: str = "evals/cases.yaml") -> list[dict]:
    """Labelled situations allowed for tuning: ``split: dev`` of the new set and the old labelled ones."""
    import yaml

    out = []
    if Path(situations).exists():
        for c in yaml.safe_load(open(situations, encoding="utf-8"))["cases"]:
            if c.get("split") == "dev" and c.get("leaning"):
                out.append({"id": c["id"], "scenario": c["scenario"], "leaning": c["leaning"],
                            "needs": c.get("needs") or []})
    for c in yaml.safe_load(open(cases, encoding="utf-8"))["cases"]:
        lean = (c.get("expect") or {}).get("leaning")
        if lean:
            out.append({"id": c["id"], "scenario": c["scenario"], "leaning": lean, "needs": []})
    return out


def _examples(cases: list[dict]) -> tuple[list[str], list[int]]:
    """(text, 1 = leadership need) for the problem clauses and labelled needs of one-sided cases."""
    X, y = [], []
    for c in cases:
        if c["leaning"] == "both":
            continue
        lab = int(c["leaning"] == "leadership")
        for cl in clauses(c["scenario"]):
            if cl.problem:
                X.append(cl.text), y.append(lab)
        for n in c["needs"]:
            X.append(n), y.append(lab)
    return X, y


def fit(cases: list[dict], C: float = 1.0):
    from sklearn.linear_model import LogisticRegression

    from . import embed

    X, y = _examples(cases)
    clf = LogisticRegression(C=C, max_iter=2000, class_weight="balanced")
    clf.fit(embed.encode_array(X), y)
    return clf


def cross_validate(cases: list[dict], folds: int = 5, C: float = 1.0, margin: float = BOTH_MARGIN,
                   strong: float = SPLIT_STRONG) -> float:
    """Leaning agreement with the model trained on the other folds (case-level folds)."""
    import numpy as np

    from . import embed

    hits = 0
    for f in range(folds):
        train = [c for n, c in enumerate(cases) if n % folds != f]
        test = [c for n, c in enumerate(cases) if n % folds == f]
        clf = fit(train, C)
        for c in test:
            cs = [cl for cl in clauses(c["scenario"]) if cl.problem]
            ps = list(clf.predict_proba(embed.encode_array([cl.text for cl in cs]))[:, 1]) if cs else []
            hits += decide(ps, margin, strong)[0] == c["leaning"]
    return hits / max(1, len(cases))


def train_and_save(C: float = 3.0) -> dict:
    cases = training_cases()
    clf = fit(cases, C)
    MODEL_PATH.write_text(json.dumps({
        "about": "P(leadership need) of a problem clause: logistic regression on all-MiniLM-L6-v2 embeddings, "
                 "trained by `python -m coach.situation --train` on evals/situations.yaml split=dev and the "
                 "labelled situations of evals/cases.yaml (never the test split)",
        "n_cases": len(cases), "C": C,
        "coef": [round(float(x), 6) for x in clf.coef_[0]], "intercept": round(float(clf.intercept_[0]), 6),
    }) + "\n", encoding="utf-8")
    _model.cache_clear()
    return {"cases": len(cases), "examples": len(_examples(cases)[0])}


if __name__ == "__main__":  # python -m coach.situation --train | --cv
    import sys

    if "--cv" in sys.argv:
        cs = training_cases()
        for C in (0.3, 1.0, 3.0):
            print(C, round(cross_validate(cs, C=C), 4), len(cs))
    if "--train" in sys.argv:
        print(train_and_save())


# ------------------------------------------------------------------------------------------------
# which passages a situation needs: the corpus's framework passages are abstract ("Leadership is
# about getting results through people") and rarely resemble a manager's words, so similarity alone
# misses them; a one-vs-rest logistic model per passage, over (situation, needs) embeddings, learned
# from the labelled needed passages of the dev split and evals/cases.yaml, proposes them.
# ------------------------------------------------------------------------------------------------
PASSAGE_MODEL_PATH = Path(__file__).with_name("need_passages.json")


def situation_features(scenario_vec, reading: "Reading"):
    import numpy as np

    s = np.asarray(scenario_vec, dtype="float32")
    vs = [c.vec for c in reading.problems if c.vec is not None]
    p = np.mean(np.asarray(vs, dtype="float32"), axis=0) if vs else s
    return np.concatenate([s, p])


@lru_cache(maxsize=1)
def _passage_model():
    import numpy as np

    if not PASSAGE_MODEL_PATH.exists():
        return [], None, None
    data = json.loads(PASSAGE_MODEL_PATH.read_text(encoding="utf-8"))
    keys = [m["passage"] for m in data["models"]]
    W = np.asarray([m["coef"] for m in data["models"]], dtype="float32")
    b = np.asarray([m["intercept"] for m in data["models"]], dtype="float32")
    return keys, W, b


def passage_key(text: str) -> str:
    from .text import normalize

    return normalize(text)[:80]


def needed_passages(scenario_vec, reading: "Reading", limit: int = 2, min_p: float = 0.2) -> list[tuple[str, float]]:
    """(passage key, probability) of the framework passages this situation most likely needs."""
    import numpy as np

    keys, W, b = _passage_model()
    if not keys:
        return []
    z = W @ situation_features(scenario_vec, reading) + b
    p = 1 / (1 + np.exp(-z))
    order = np.argsort(-p)[:limit]
    return [(keys[i], float(p[i])) for i in order if p[i] >= min_p]


def train_passages(C: float = 3.0) -> dict:
    """Fit and save the per-passage models (dev split + evals/cases.yaml labels only)."""
    import yaml
    from sklearn.linear_model import LogisticRegression

    from . import config
    from .corpus import load_corpus
    from .passages import split_document
    from .text import normalize

    docs, _ = load_corpus(config.corpus_dir())
    passages = [p for d in docs for p in split_document(d)]
    cases = []
    for c in yaml.safe_load(open("evals/situations.yaml", encoding="utf-8"))["cases"]:
        if c.get("split") == "dev" and c.get("in_scope", True) and c.get("passages"):
            cases.append((c["scenario"], list(c["passages"])))
    for c in yaml.safe_load(open("evals/cases.yaml", encoding="utf-8"))["cases"]:
        pc = (c.get("expect") or {}).get("passage_contains")
        if pc:
            cases.append((c["scenario"], [pc] if isinstance(pc, str) else list(pc)))
    readings = read_many([s for s, _ in cases])
    from . import embed

    svecs = embed.encode_array([s for s, _ in cases])
    import numpy as np

    X = np.asarray([situation_features(v, r) for v, r in zip(svecs, readings)])
    models = []
    for p in passages:
        y = [int(any(normalize(x) in normalize(p.text) for x in want)) for _, want in cases]
        if sum(y) < 2:
            continue
        clf = LogisticRegression(C=C, max_iter=2000).fit(X, y)
        models.append({"passage": passage_key(p.text), "n": sum(y),
                       "coef": [round(float(x), 4) for x in clf.coef_[0]], "intercept": round(float(clf.intercept_[0]), 4)})
    PASSAGE_MODEL_PATH.write_text(json.dumps({
        "about": "P(a situation needs this passage): one-vs-rest logistic regression on [situation, mean of its problem "
                 "clauses] all-MiniLM-L6-v2 embeddings; `python -m coach.situation --train-passages`; trained on "
                 "evals/situations.yaml split=dev and evals/cases.yaml only", "C": C, "cases": len(cases),
        "models": models}) + "\n", encoding="utf-8")
    _passage_model.cache_clear()
    return {"cases": len(cases), "passages": len(models)}


if __name__ == "__main__" and "--train-passages" in __import__("sys").argv:
    print(train_passages())
