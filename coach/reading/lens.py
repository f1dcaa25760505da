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

from dataclasses import replace

from ..feedback import Lens, LensDimension
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


# Where the chart's middle axis sits for each headline: one side's headline puts the median axis at least this far
# toward it; "both" keeps it within BOTH_CENTRE of the middle. (Positions run -1, all management, to +1.)
SIDE_CENTRE = 0.2
BOTH_CENTRE = 0.05
# an axis whose position is nearer the middle than this is "balanced": the sentence under the headline never
# names it as pulling either way (issue 31: "toward management on change vs transformation" at 0.50/0.50)
NAMED_MIN = 0.1


def centred(dims: list[LensDimension], leaning: str, score: float) -> list[LensDimension]:
    """The axes moved together so their median agrees with the headline (one rule for headline, chart and sentence).

    Why: the headline comes from where the unmet needs sit (the need model: held out 0.8-0.9 agreement), the
    axes from the vocabulary's nearness to each pole (at chance for the leaning on unseen situations). Shown side
    by side they disagreed ("leadership" over 7 of 11 axes leaning management, issue 31). The axes keep what they
    are good at, which distinctions the needs touch more than others (their order and their spread); their
    centre is the reading's. ``score`` (mean p(leadership) of the needs - 0.5, at most 0.5) sets how far
    off-centre, at least SIDE_CENTRE for a one-sided headline."""
    if not dims:
        return dims
    pos = sorted(d.leadership - d.management for d in dims)
    median = pos[len(pos) // 2] if len(pos) % 2 else (pos[len(pos) // 2 - 1] + pos[len(pos) // 2]) / 2
    if leaning == "leadership":
        target = max(score, SIDE_CENTRE)
    elif leaning == "management":
        target = min(score, -SIDE_CENTRE)
    else:
        target = max(-BOTH_CENTRE, min(BOTH_CENTRE, score))
    # the spread around the median kept, shrunk only as far as needed to stay inside the chart (±0.9)
    reach = max(abs(p - median) for p in pos) or 1.0
    k = min(1.0, (0.9 - abs(target)) / reach)
    out = []
    for d in dims:
        p = target + (d.leadership - d.management - median) * k
        out.append(replace(d, management=round((1 - p) / 2, 3), leadership=round((1 + p) / 2, 3)))
    return out


def lens_for_reading(reading, scenario_vec, source_ids: dict[str, str] | None = None) -> Lens:
    """The lens of a read situation: the axes its needs are about, and the leaning of the needs.

    The axes are ordered by how close the *needs* (not the whole text, which also says what works)
    are to them; the leaning is the reading's (``coach.reading.situation``), not the vocabulary's, and the
    axes are centred on it (``centred``)."""
    base = lens_for(need_vector(reading, scenario_vec), source_ids)
    return Lens(leaning=reading.leaning, dimensions=centred(base.dimensions, reading.leaning, reading.score),
                score=reading.score, second=reading.second_side)
