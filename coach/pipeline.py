"""The pipeline in one direction: scenario -> reading -> retrieval -> engine -> checks -> Feedback.

Each stage takes what the one before produced and hands its result on: the ``Reading`` (``coach.reading``)
travels inside ``Prepared`` and the engine's ``Request``, so no later stage reads the scenario again.
Front ends call ``reflect`` (one scenario, optionally streaming) or, for many at once, ``prepare_many``
(one embedding pass for the whole batch) then ``answer`` / ``areflect`` per case; ``coach.turn`` wraps
``reflect`` with what a manager's turn also needs (checks before sending, the personal-data guard, the
journal).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import config
from .corpus.store import Store
from .engines import Draft, EngineOptions, OnToken, Request, acompose, compose
from .errors import UsageError
from .feedback import Feedback, Lens, Plan, Source
from .retrieval.hybrid import Hit

if TYPE_CHECKING:
    from .common.seams import Reading


@dataclass
class Prepared:
    """Everything about a scenario that does not depend on the engine: its reading and its sources."""

    scenario: str
    sources: list[Source]
    lens: Lens
    in_scope: bool
    notices: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    prep_s: float = 0.0
    reading: "Reading | None" = None
    reply_reading: "Reading | None" = None   # a follow-up's newest words, read on their own
    plan: Plan | None = None                 # what a coach would say (coach.plan), for in-scope situations


def check_scenario(text: str | None) -> tuple[str, list[str]]:
    """Reject empty input; cut over-long input with an explicit notice (never a hang)."""
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise UsageError("the situation is empty: describe what is happening with your team")
    notices = []
    limit = config.MAX_SCENARIO_CHARS
    if len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0]
        notices.append(f"Your text was {len(text):,} characters; only the first {len(cut):,} were used (limit {limit:,}).")
        text = cut
    return text, notices


def prepare_many(scenarios: list[str], k: int = config.DEFAULT_K, store=None,
                 replies: list[str | None] | None = None) -> list[Prepared]:
    """Validate and read each situation (and a follow-up's newest words, ``replies``), then retrieve for
    the text and each need.

    Everything that embeds does so once for the whole batch: the scenarios, then their clauses."""
    from .plan import make_plan
    from .reading import read_many
    from .retrieval.sources import find_sources

    t0 = time.perf_counter()
    store = store or Store()
    checked = [check_scenario(s) for s in scenarios]
    readings = read_many([c[0] for c in checked])
    said = [r.strip() if r and r.strip() else None for r in (replies or [None] * len(checked))]
    read_replies = iter(read_many([r for r in said if r]) if any(said) else [])
    reply_readings = [next(read_replies) if r else None for r in said]
    found = find_sources(readings, k, store)
    out = []
    for (text, notices), rd, rr, f in zip(checked, readings, reply_readings, found):
        plan = None
        if f.in_scope:
            scaffold = make_plan(rr or rd, f.sources, whole=rd if rr else None)
            f.sources = f.sources + scaffold.extra_sources   # a practice's passage the ranker left out
            plan = scaffold.plan
        out.append(Prepared(text, f.sources, f.lens, f.in_scope, notices + f.notices, f.hits, reading=rd,
                            reply_reading=rr, plan=plan))
    per = (time.perf_counter() - t0) / max(1, len(out))
    for p in out:
        p.prep_s = per
    return out


def prepare(scenario: str, k: int = config.DEFAULT_K, store=None, reply: str | None = None) -> Prepared:
    return prepare_many([scenario], k, store, replies=[reply])[0]


def search(query: str, k: int = 5, store: Store | None = None) -> list[Hit]:
    """What ``coach search`` shows: for a situation, what the coach would draw on: its sources, ranked
    for its needs (see ``prepare``): retrieval's passages and the framework passages its needs call for.

    Here, not in ``coach.retrieval``: it runs the pipeline's own preparation (reading, then retrieval)."""
    from .retrieval.hybrid import hit_for, need_queries, passage_index, retrieve_situations

    store = store or Store()
    if not need_queries(query):
        return retrieve_situations([query], k, store)[0]
    prep = prepare(query, k, store)
    if not prep.sources:
        return prep.hits
    found = {h.id: h for h in prep.hits}
    index = passage_index(store)
    out = [found.get(s.passage_id) or hit_for(index.passages[index.pos[s.passage_id]], s.score, s.score)
           for s in prep.sources if s.passage_id in found or s.passage_id in index.pos]
    return sorted(out, key=lambda h: -h.score)  # shown by the score it shows (the ranker's order is the engine's)


def out_of_scope_answer() -> str:
    from .reading.scope import OUT_OF_SCOPE_MESSAGE

    return OUT_OF_SCOPE_MESSAGE


def finish(prep: Prepared, draft: Draft, model: str, elapsed_s: float = 0.0) -> Feedback:
    """Check a draft against the sources it was given and the manager's words, and assemble the Feedback."""
    from .checks.answer import verify_answer
    from .checks.support import Situation

    if not prep.in_scope:
        return Feedback(scenario=prep.scenario, model=model, answer_markdown=draft.text, raw_answer=draft.text,
                        in_scope=False, notices=prep.notices + draft.notices, usage=draft.usage,
                        elapsed_s=round(elapsed_s, 3))
    situation = Situation.of(prep.reading) if prep.reading is not None else None
    result = verify_answer(draft.text, prep.sources, situation=situation)
    return Feedback(
        scenario=prep.scenario, model=model, answer_markdown=result.annotated, raw_answer=draft.text,
        sources=prep.sources, quotes=result.quotes, checks=result.checks, lens=prep.lens, in_scope=True, plan=prep.plan,
        notices=prep.notices + draft.notices + result.notices, usage=draft.usage, elapsed_s=round(elapsed_s, 3),
    )


def reflect(
    scenario: str,
    model: str | None = None,
    k: int = config.DEFAULT_K,
    opts: EngineOptions | None = None,
    on_token: OnToken | None = None,
    store=None,
    reply: str | None = None,
    history: list[tuple[str, str]] | None = None,
) -> Feedback:
    """For a follow-up, ``scenario`` is the whole thread's text (see ``engines.Request``), ``reply``
    the manager's newest words and ``history`` the earlier (manager, coach) pairs."""
    t0 = time.perf_counter()
    model = model or config.default_model()
    prep = prepare(scenario, k, store, reply=reply)
    return answer(prep, model, opts, on_token, reply, history, since=t0, prep_done=False)


def _request(prep: Prepared, reply: str | None, history: list[tuple[str, str]] | None) -> Request:
    return Request(prep.scenario, prep.sources, prep.lens, reply=reply, history=list(history or []),
                   reading=prep.reading, reply_reading=prep.reply_reading, plan=prep.plan)


def answer(prep: Prepared, model: str, opts: EngineOptions | None = None, on_token: OnToken | None = None,
           reply: str | None = None, history: list[tuple[str, str]] | None = None,
           since: float | None = None, prep_done: bool = True) -> Feedback:
    """One prepared case through an engine: the canned answer when out of scope, else the engine's
    draft, then the checks. The one place that decides this for the CLI, the page, the eval and the
    batch's built-in engine (``areflect`` is its asynchronous twin). Timing: from ``since`` (default
    now), plus the preparation's own time when it was done before ``since`` (``prep_done``)."""
    t0 = time.perf_counter() if since is None else since
    if not prep.in_scope:
        draft = Draft(out_of_scope_answer(), model)
        if on_token:
            on_token(draft.text)
    else:
        draft = compose(model, _request(prep, reply, history), opts, on_token)
    elapsed = time.perf_counter() - t0 + (prep.prep_s if prep_done else 0.0)
    return finish(prep, draft, model, elapsed)


async def adraft(prep: Prepared, model: str, opts: EngineOptions | None = None, reply: str | None = None,
                 history: list[tuple[str, str]] | None = None) -> Draft:
    """``answer``'s first half, asynchronously: the canned answer when out of scope, else the
    engine's draft (the batch runner checks it on its worker thread)."""
    if not prep.in_scope:
        return Draft(out_of_scope_answer(), model)
    return await acompose(model, _request(prep, reply, history), opts)


async def areflect(prep: Prepared, model: str, opts: EngineOptions | None = None, reply: str | None = None,
                   history: list[tuple[str, str]] | None = None) -> Feedback:
    """One prepared case through an engine, asynchronously: ``adraft``, then the checks."""
    t0 = time.perf_counter()
    draft = await adraft(prep, model, opts, reply, history)
    return finish(prep, draft, model, prep.prep_s + time.perf_counter() - t0)


__all__: list[Any] = ["Prepared", "prepare", "prepare_many", "finish", "reflect", "areflect", "check_scenario",
                      "search", "answer", "adraft"]
