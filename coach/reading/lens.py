"""The management/leadership lens: where a situation sits on the corpus's own axes.

Each axis is one the articles themselves name (DESIGN.md lists them), with a management pole and a
leadership pole. A pole is represented by the corpus's own words for it (each ``anchor`` must be
found verbatim in the corpus; the passage that holds it backs the axis) plus a few short phrasings
of how that pole shows up in a manager's week. The scenario is embedded once; on each axis the
two poles' cosine similarities are turned into shares with a softmax at temperature ``TEMP``; the
leaning is the relevance-weighted mean of (leadership − management) across axes, and ``both`` when
it lies within ``MARGIN`` of zero or when relevant axes pull strongly both ways (``BOTH_RATIO``).

The pipeline's leaning no longer comes from this vocabulary reading (on 34 unseen situations it was at
chance): ``lens_for_reading`` takes the leaning from ``coach.reading.situation`` (where the unmet needs sit;
cross-validated in ``training.need_train``)
and orders the axes by the needs' embedding; ``lens_for`` remains the per-axis view.

TEMP, MARGIN and BOTH_RATIO were tuned on the labelled situations in ``evals/cases.yaml`` (the ``leaning``
labels) with ``python -m training.lens_tune``; the test suite re-checks the agreement on them.
"""
from __future__ import annotations


from ..feedback import Lens
from ..models.poles import lens_for


def need_vector(reading, scenario_vec):
    """Where the unmet needs point: the mean embedding of the going-wrong clauses (the whole text
    when none was read)."""
    import numpy as np

    vs = [c.vec for c in reading.problems if c.vec is not None]
    if not vs:
        return np.asarray(scenario_vec, dtype="float32")
    m = np.mean(np.asarray(vs, dtype="float32"), axis=0)
    return m / (np.linalg.norm(m) or 1.0)


def lens_for_reading(reading, scenario_vec, source_ids: dict[str, str] | None = None) -> Lens:
    """The lens of a read situation: the axes its needs are about, and the leaning of the needs.

    The axes are ordered by how close the *needs* (not the whole text, which also says what works)
    are to them; the leaning is the reading's (``coach.reading.situation``), not the vocabulary's."""
    base = lens_for(need_vector(reading, scenario_vec), source_ids)
    return Lens(leaning=reading.leaning, dimensions=base.dimensions, score=reading.score)
