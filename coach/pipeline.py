"""The pipeline in one direction: scenario -> retrieve -> lens/scope -> compose -> verify -> Feedback.

Front ends call ``reflect`` (one scenario, optionally streaming) or, for many at once,
``prepare_many`` (one embedding pass for the whole batch) then ``finish`` / ``areflect`` per case.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from . import config
from .engines import Draft, EngineOptions, OnToken, Request, acompose, compose, is_extractive
from .errors import UsageError
from .feedback import Feedback, Lens, Source
from .retrieval.hybrid import Hit
from .corpus.store import Store
from .retrieval.sources import LENS_SOURCES


@dataclass
class Prepared:
    """Everything about a scenario that does not depend on the engine."""

    scenario: str
    sources: list[Source]
    lens: Lens
    in_scope: bool
    notices: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    prep_s: float = 0.0


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


def _as_hit(p, vec) -> Hit:
    import numpy as np

    from .retrieval.hybrid import hit_for

    cos = float(np.asarray(p.embedding, dtype="float32") @ np.asarray(vec, dtype="float32"))
    return hit_for(p, cos, cos)


def _sources(hits: list[Hit]) -> list[Source]:
    return [
        Source(id=f"S{n}", doc_id=h.doc_id, title=h.title, author=h.author, text=h.text, score=h.score,
               passage_id=h.id, origin=h.origin)
        for n, h in enumerate(hits, 1)
    ]


def prepare_many(scenarios: list[str], k: int = config.DEFAULT_K, store=None) -> list[Prepared]:
    """Validate, read each situation for its needs, retrieve for the text and each need, place it on the lens.

    Everything that embeds does so once for the whole batch: the scenarios, then their clauses."""
    import numpy as np

    from .embedding import embed
    from .reading.lens import lens_for_reading
    from .retrieval.hybrid import passage_index, retrieve_situations
    from .reading.scope import assess_scope
    from .retrieval.sources import rank_sources
    from .reading.situation import read_many

    t0 = time.perf_counter()
    store = store or Store()
    checked = [check_scenario(s) for s in scenarios]
    texts = [c[0] for c in checked]
    vecs = embed.encode_array(texts)
    readings = read_many(texts, vectors=vecs)
    needs = [r.needs() if len(r.clauses) > 1 else [] for r in readings]
    need_vecs = [c.vec for ns in needs for c in ns]
    all_hits = retrieve_situations(texts, k, store=store, vectors=vecs, needs=[[c.text for c in ns] for ns in needs],
                                   need_vectors=np.asarray(need_vecs) if need_vecs else None)
    scopes = [assess_scope(t, v, h) for t, v, h in zip(texts, vecs, all_hits)]
    index = passage_index(store)
    keys, sides = _ranker_inputs(index)
    out = []
    for (text, notices), vec, hits, scope, rd in zip(checked, vecs, all_hits, scopes, readings):
        notices = notices + scope.notices
        if not scope.in_scope:
            out.append(Prepared(text, [], Lens(), False, notices, hits))
            continue
        # the sources: the k + LENS_SOURCES passages the situation's needs most likely call for (a small
        # general ranker over similarity to the text and to each need, the passage's side against the
        # needs' side, and retrieval's own picks; see coach/situation.py), each shown with its relevance
        # to the needs or the text
        by_pos = {index.pos[h.id]: h for h in hits if h.id in index.pos}
        need_vec = _need_vector(rd, vec)
        picks = rank_sources(vec, rd, index.vecs, keys, list(by_pos), k + LENS_SOURCES, sides=sides) if keys else []
        chosen = [by_pos.get(n) or max((_as_hit(index.passages[n], need_vec), _as_hit(index.passages[n], vec)),
                                       key=lambda h: h.cosine) for n in picks]
        chosen = chosen or list(hits)
        sources = _sources(chosen)
        ids = {s.passage_id: s.id for s in sources}
        out.append(Prepared(text, sources, lens_for_reading(rd, vec, ids), True, notices, hits))
    per = (time.perf_counter() - t0) / max(1, len(out))
    for p in out:
        p.prep_s = per
    return out


_RANKER: dict[int, tuple] = {}


def _ranker_inputs(index):
    """Passage keys and sides for the source ranker, once per in-memory index."""
    from .retrieval.sources import passage_key, passage_sides

    got = _RANKER.get(id(index))
    if got is None or got[0] is not index:
        keys = [passage_key(p.text) for p in index.passages]
        got = (index, keys, passage_sides(index.vecs) if keys else None)
        _RANKER.clear()
        _RANKER[id(index)] = got
    return got[1], got[2]


def _need_vector(reading, vec):
    from .reading.lens import need_vector

    return need_vector(reading, vec)


def _backs(dim, leaning: str) -> bool:
    """Does this axis point the way the headline does? (a passage shown under a headline supports it)"""
    if leaning == "both":
        return True
    return (dim.leadership > dim.management) == (leaning == "leadership")


def prepare(scenario: str, k: int = config.DEFAULT_K, store=None) -> Prepared:
    return prepare_many([scenario], k, store)[0]


def search(query: str, k: int = 5, store: Store | None = None) -> list[Hit]:
    """What ``coach search`` shows: for a situation, what the coach would draw on: its sources, ranked
    for its needs (see ``prepare``): retrieval's passages and the framework passages its needs call for.

    Here, not in ``coach.retrieval.hybrid``: it runs the pipeline's own preparation, and retrieval sits below
    the pipeline (a search there would make the two import each other)."""
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


def lens_of(scenario: str, source_ids: dict[str, str] | None = None) -> Lens:
    """One scenario's lens: the situation read for its needs, then placed on the lens's axes.

    Here, not in ``coach.reading.lens``: the reading (``coach.reading.situation``) already stands on the lens's
    poles, so the lens composing the two would make them import each other."""
    from .embedding import embed
    from .reading.lens import lens_for_reading
    from .reading.situation import read

    return lens_for_reading(read(scenario), embed.encode_array([scenario])[0], source_ids)


def out_of_scope_answer() -> str:
    from .reading.scope import OUT_OF_SCOPE_MESSAGE

    return OUT_OF_SCOPE_MESSAGE


def finish(prep: Prepared, draft: Draft, model: str, elapsed_s: float = 0.0) -> Feedback:
    """Verify a draft against the sources it was given and assemble the Feedback."""
    from .checks.answer import verify_answer

    if not prep.in_scope:
        return Feedback(scenario=prep.scenario, model=model, answer_markdown=draft.text, raw_answer=draft.text,
                        in_scope=False, notices=prep.notices + draft.notices, usage=draft.usage,
                        elapsed_s=round(elapsed_s, 3))
    try:  # the manager's own words are the second source of truth for sentences about the situation
        result = verify_answer(draft.text, prep.sources, scenario=prep.scenario)
    except TypeError:  # a verifier without that parameter yet
        result = verify_answer(draft.text, prep.sources)
    return Feedback(
        scenario=prep.scenario, model=model, answer_markdown=result.annotated, raw_answer=draft.text,
        sources=prep.sources, quotes=result.quotes, checks=result.checks, lens=prep.lens, in_scope=True,
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
    prep = prepare(scenario, k, store)
    return answer(prep, model, opts, on_token, reply, history, since=t0, prep_done=False)


def _request(prep: Prepared, reply: str | None, history: list[tuple[str, str]] | None) -> Request:
    return Request(prep.scenario, prep.sources, prep.lens, reply=reply, history=list(history or []))


def answer(prep: Prepared, model: str, opts: EngineOptions | None = None, on_token: OnToken | None = None,
           reply: str | None = None, history: list[tuple[str, str]] | None = None,
           since: float | None = None, prep_done: bool = True) -> Feedback:
    """One prepared case through an engine: the canned answer when out of scope, else the engine's
    draft, then verification. The one place that decides this for the CLI, the page, the eval and the
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
    engine's draft (the batch runner verifies it on its worker thread)."""
    if not prep.in_scope:
        return Draft(out_of_scope_answer(), model)
    return await acompose(model, _request(prep, reply, history), opts)


async def areflect(prep: Prepared, model: str, opts: EngineOptions | None = None, reply: str | None = None,
                   history: list[tuple[str, str]] | None = None) -> Feedback:
    """One prepared case through an engine, asynchronously: ``adraft``, then verification."""
    t0 = time.perf_counter()
    draft = await adraft(prep, model, opts, reply, history)
    return finish(prep, draft, model, prep.prep_s + time.perf_counter() - t0)


def is_remote_model(model: str | None) -> bool:
    """Would this engine send the text off this process? (the privacy guard's question)"""
    if is_extractive(model):
        return False
    return not (model or "").lower().startswith("local/")


__all__: list[Any] = ["Prepared", "prepare", "prepare_many", "finish", "reflect", "areflect", "check_scenario", "is_remote_model",
                     "search", "lens_of", "answer", "adraft"]
