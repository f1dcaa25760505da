"""Split out of coach.reading.lens by the stage restructuring; see the package docstring."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..feedback import Lens, LensDimension

# softmax temperature and the margin around 0 that reads "both": chosen by python -m training.lens_tune on the
# labelled cases of evals/cases.yaml (grid search for agreement with their leanings)
TEMP = 0.03
MARGIN = 0.17
BOTH_RATIO = 0.225        # pulls both ways: the weaker side's mass is at least this share of the stronger's
TOP_WEIGHT_POWER = 8.0    # relevance^8: the few axes a situation is really about dominate the mean


@dataclass(frozen=True)
class Axis:
    name: str
    management_label: str
    leadership_label: str
    anchor: str                  # verbatim corpus text that names the axis: backs it with a passage
    management: tuple[str, ...]  # corpus words first, then situation phrasings
    leadership: tuple[str, ...]


AXES: tuple[Axis, ...] = (
    Axis("focus", "planning, organizing, controlling", "direction, vision, motivation",
         "They focus on:",
         ("Managers will focus on the process, procedures, and all the little details necessary to take care of maintaining the business.",
          "planning schedules, organizing the work, administering budgets, controlling and enforcing the rules"),
         ("Leadership is about aligning people into high-performing teams to create useful change that brings about a desired future state in the business.",
          "giving the team direction and a vision, motivating, inspiring and empowering people")),
    Axis("processes vs people", "results through processes and metrics", "results through people, coaching and relationships",
         "Management is about getting results through processes.",
         ("Management is about getting results through processes.",
          "processes in place that produce a measurable result; metrics, tracking and holding people accountable",
          "deadlines are missed because nobody tracks the work; there is no process or system"),
         ("Leadership is about getting results through people.",
          "coaching, mentoring, building relationships, knowing what motivates and inspires each person",
          "my people are disengaged and unmotivated; morale is low and nobody feels heard")),
    Axis("playbook vs a better way", "follow the playbook", "look for a better way",
         "They have a playbook that they follow.",
         ("Managers have set operational responsibilities. They have a playbook that they follow.",
          "make sure operations run smoothly and play by the rules"),
         ("Leaders look to build a better mousetrap. They look at what they are doing and see if there is a better way.",
          "step outside the box and the way we have always done it; try something different")),
    Axis("tactics vs strategy", "tactics: making it happen", "strategy: setting the direction",
         "the difference between strategy and tactics",
         ("Managers are tacticians–they are responsible for doing the things that need to be done to achieve the goal(s).",
          "executing the plan and getting the work done"),
         ("Leadership sets the vision and direction; management makes it happen.",
          "setting strategy and a clearly articulated goal at a high level")),
    Axis("change vs transformation", "manage the transformation", "inspire the change",
         "Leadership inspires change, management manages transformation.",
         ("It’s the manager’s job to oversee the work needed to implement the necessary changes and realize the organizational transformation set forth by the leadership.",
          "rolling out and implementing a change that has already been decided"),
         ("A leader must set direction and inspire people to follow them. The process of following often requires great change.",
          "getting people to buy into a change and follow a new direction")),
    Axis("specifics vs imagination", "specifics", "imagination",
         "Leadership requires imagination, management requires specifics.",
         ("Managers must understand that vision and drive their teams to do the specific work necessary to accomplish what has been expressed.",),
         ("A great leader can cultivate their imagination to inform their vision. It helps them to “see” what can be.",
          "imagining what the team could become")),
    Axis("concrete data vs abstract thinking", "concrete data", "abstract thinking",
         "Leadership requires abstract thinking, management requires concrete data.",
         ("a manager must be able to work with, and analyze, concrete data in order to ensure optimal results.",
          "analyzing numbers, dashboards and reports"),
         ("abstract thinking enables a person to make connections among, and see patterns within, seemingly unrelated information.",
          "reimagining what the organization can become")),
    Axis("inside vs outside", "how work gets done inside", "the external environment",
         "Leadership requires understanding of the external environment, management requires understanding of how work gets done inside the organization.",
         ("a manager is relied on to figure out how to get things done using the resources available to the business.",
          "getting things done with limited resources, staff and budget"),
         ("A leader must understand the business environment in which the enterprise operates so to better anticipate opportunities and evade misfortune",
          "the market, competitors and customers are changing around us")),
    Axis("commitment vs uncertainty", "commitment to the task at hand", "confidence in uncertainty",
         "Leadership requires confidence in the face of uncertainty, management requires blind commitment to completing the task at hand.",
         ("Once the course is set, managers are duty-bound to follow the stated direction and commit to delivering the results expected.",
          "delivering the committed results on schedule"),
         ("A leader’s life is filled with uncertainty. They’re setting a course for their company in unchartered waters.",
          "nobody knows what will happen and we have to decide anyway")),
    Axis("team vs whole organization", "accountable to the team", "accountable to the whole organization",
         "Leadership is accountable to the entire organization, management is accountable to the team.",
         ("managers are responsible for their teams. They must ensure that their teams are prepared to deliver and that each member is equipped to do what is required for success.",),
         ("leaders must consider the impact of their decisions on the whole organization.",
          "a decision that affects every department and the whole company")),
    Axis("current roles vs developing the next leaders", "filling today's roles", "developing the next leaders",
         "succession planning and leadership (or management) development",
         ("Managers facilitate 1-on-1’s with their direct reports, creating clear expectations and holding their team accountable for meeting them.",
          "reviewing each person's performance against clear expectations"),
         ("There is opportunity for line staff to be developed to move into management roles and, in turn, for management staff to be developed to move into leadership roles",
          "A sound approach when training your team would be to develop more leaders within your organization for greater impact.",
          "preparing someone to take over; developing my people into future leaders")),
)


def pole_vectors():
    """Mean embedding of each pole's texts, and the corpus passage that backs each axis.

    Cached per corpus folder and stamp (file names, sizes, mtimes): a long-running page sees an edited
    corpus at once instead of citing the passages it had at start-up."""
    from ..config import corpus_dir
    from ..corpus.documents import corpus_stamp

    folder = corpus_dir()
    return _pole_vectors_for(str(folder), corpus_stamp(folder))


@lru_cache(maxsize=4)
def _pole_vectors_for(folder: str, stamp: tuple):
    import numpy as np

    from ..embedding import embed
    from ..corpus.documents import load_corpus
    from ..corpus.passages import split_document
    from ..common.text import normalize

    docs, _ = load_corpus(Path(folder))
    passages = [p for d in docs for p in split_document(d)]
    backing: dict[str, str] = {}
    for ax in AXES:
        hit = next((p for p in passages if normalize(ax.anchor) in normalize(p.text)), None)
        backing[ax.name] = hit.id if hit else ""
    texts = [t for ax in AXES for t in ax.management + ax.leadership]
    vecs = embed.encode_cached(texts)  # constant texts: read from disk after the first run
    out, i = [], 0
    for ax in AXES:
        m = vecs[i:i + len(ax.management)].mean(axis=0)
        i += len(ax.management)
        l = vecs[i:i + len(ax.leadership)].mean(axis=0)
        i += len(ax.leadership)
        out.append((m / np.linalg.norm(m), l / np.linalg.norm(l)))
    return out, backing


def lens_for(scenario_vec, source_ids: dict[str, str] | None = None, temp: float = TEMP, margin: float = MARGIN,
             ratio: float = BOTH_RATIO) -> Lens:
    """The lens for one embedded scenario. ``source_ids`` maps passage id -> S-id of the given sources."""
    import numpy as np

    poles, backing = pole_vectors()
    v = np.asarray(scenario_vec, dtype="float32")
    dims, weights, leans = [], [], []
    for ax, (m, l) in zip(AXES, poles):
        sm, sl = float(v @ m), float(v @ l)
        em, el = np.exp(sm / temp), np.exp(sl / temp)
        share_l = float(el / (em + el))
        dims.append(LensDimension(
            name=ax.name, management=round(1 - share_l, 3), leadership=round(share_l, 3),
            source_id=(source_ids or {}).get(backing[ax.name]), management_label=ax.management_label,
            leadership_label=ax.leadership_label, passage_id=backing[ax.name],
        ))
        weights.append(max(sm, sl, 0.0) ** TOP_WEIGHT_POWER)
        leans.append(share_l - 0.5)
    w, lean = np.asarray(weights), np.asarray(leans)
    score = float((w * lean).sum() / w.sum()) if w.sum() > 0 else 0.0
    pos, neg = float((w * np.maximum(lean, 0)).sum()), float((w * np.maximum(-lean, 0)).sum())
    split = min(pos, neg) / max(pos, neg, 1e-9)
    leaning = "both" if abs(score) <= margin or split >= ratio else ("leadership" if score > 0 else "management")
    # most relevant axes first: that is the order a manager should read them in
    order = np.argsort(-w)
    return Lens(leaning=leaning, dimensions=[dims[i] for i in order], score=round(score, 4))
