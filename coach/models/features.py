"""What the fitted models read of a situation: its vocabulary's side, and the direct models' features.

Shared by the reading (the leaning) and retrieval (the per-passage direct models), so both read the same
features the same way, and neither reaches into the other for them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported where it is used
    import numpy as np

    from .lexicon import Lexicon

LEANINGS = ("both", "leadership", "management")


def vocabulary_score(scenario_vec) -> float:
    """Whose words the whole text uses: mean over the lens's axes of cos(leadership pole) minus
    cos(management pole), x10. The case model learns how much the *opposite* of this matters."""
    import numpy as np

    from .poles import pole_vectors

    v = np.asarray(scenario_vec, dtype="float32")
    poles, _ = pole_vectors()
    return float(np.mean([float(v @ l - v @ m) for m, l in poles]) * 10)


def logit(ps) -> np.ndarray:
    import numpy as np

    p = np.clip(np.asarray(ps, dtype="float64"), 1e-3, 1 - 1e-3)
    return np.log(p / (1 - p))


def direct_features(scenario_vec, problems: list, text: str = "", lexicon: "Lexicon | None" = None) -> np.ndarray:
    """What the direct leaning model reads: the text's vector and the mean direction of its going-wrong
    clauses, side by side (the whole situation, and what it lacks), then, when the model has a
    ``lexicon``, the text's words and word pairs (``coach.models.lexicon``)."""
    import numpy as np

    from .neighbours import needs_vector

    v = np.asarray(scenario_vec, dtype="float32")
    parts = [v, np.asarray(needs_vector(v, [c.vec for c in problems]), dtype="float32")]
    if lexicon is not None:
        parts.append(lexicon.vector(text))
    return np.concatenate(parts)
