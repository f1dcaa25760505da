"""The words and word pairs of a situation, weighted as TF-IDF, for the direct leaning model.

MiniLM's sentence vector blurs the short cues that say where a need sits ("feel like cogs", "nobody
owns", "no one noticed"); a bag of words and word pairs, learned from the labelled situations, keeps
them. It is not a vocabulary lens: its weights are learned against the labelled *need* (mismatch cases
included), not against whose jargon the text uses. Each writer group held out in turn
(``need_train --groups``, nine groups with the old cases), the lens went 0.767 -> 0.851 with it
(mismatch cases 233 -> 249 of 261, cases in their own side's words 36 -> 35 of 40).

Written out here rather than kept as a pickled scikit-learn object so the model file stays JSON and
reading a situation needs numpy only; it reproduces ``TfidfVectorizer(ngram_range=(1, 2),
min_df=2, sublinear_tf=True)`` (tests/test_lexicon.py checks it against scikit-learn).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

_TOKEN = re.compile(r"(?u)\b\w\w+\b")   # scikit-learn's default token pattern
# The TF-IDF part's scale next to the two unit-length MiniLM vectors in the direct features: at 1 the
# regulariser all but silences it. Writer groups held out, the lens: 1 -> 0.790, 2 -> 0.809,
# 3 -> 0.830, 4 -> 0.839, 6 -> 0.851, 8 -> 0.846, 12 -> 0.835.
WEIGHT = 6.0
MIN_DF = 2


def terms(text: str) -> list[str]:
    """The text's words and adjacent word pairs, lower-cased."""
    words = _TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


@dataclass(frozen=True)
class Lexicon:
    """The terms seen in at least ``MIN_DF`` labelled situations, each with its inverse document
    frequency."""

    index: dict[str, int]
    idf: tuple[float, ...]
    weight: float = WEIGHT

    @classmethod
    def fit(cls, texts: list[str], min_df: int = MIN_DF, weight: float = WEIGHT) -> "Lexicon":
        df = Counter(t for text in texts for t in set(terms(text)))
        kept = sorted(t for t, n in df.items() if n >= min_df)
        n = len(texts)
        return cls({t: i for i, t in enumerate(kept)},
                   tuple(math.log((1 + n) / (1 + df[t])) + 1 for t in kept), weight)

    def vector(self, text: str) -> "np.ndarray":
        """Sublinear term frequency times IDF, unit length, times ``weight``."""
        import numpy as np

        v = np.zeros(len(self.index), dtype="float32")
        for t, k in Counter(terms(text)).items():
            j = self.index.get(t)
            if j is not None:
                v[j] = (1 + math.log(k)) * self.idf[j]
        norm = float(np.linalg.norm(v))
        return v * (self.weight / norm) if norm else v

    def to_json(self) -> dict:
        return {"terms": list(self.index), "idf": [round(x, 5) for x in self.idf], "weight": self.weight}

    @classmethod
    def from_json(cls, data: dict) -> "Lexicon":
        return cls({t: i for i, t in enumerate(data["terms"])}, tuple(data["idf"]), data["weight"])
