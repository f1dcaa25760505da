"""The optional LLM judge: claim-level faithfulness (RAGAS-style) against the cited passages.

Strict on purpose: a reply that is not the JSON verdict, or a failed call, counts as a claim not
shown to be supported, so a flaky judge can only lower the number.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..errors import EngineError
from .suite import CONCURRENCY

JUDGE_SYSTEM = (
    "You check whether a claim is supported by the numbered passages given with it. A claim is supported "
    "only if the passages state it or directly imply it; invented numbers, names, quotes or advice the "
    "passages do not give are not supported. Reply with strict JSON and nothing else: "
    '{"supported": true, "reason": "..."} or {"supported": false, "reason": "..."}.'
)


@dataclass
class JudgeVerdict:
    faithfulness: float | None
    claims: int
    supported: int
    invalid: int   # replies that were not the strict JSON verdict (counted as not supported)
    errors: int    # calls that failed (counted as not supported)
    per_answer: list[dict[str, Any] | None]


def judge_messages(claim: str, passages: list[Any]) -> list[dict[str, str]]:
    body = "\n\n".join(f"[{p.id}] {p.text}" for p in passages)
    return [
        {"role": "system", "content": JUDGE_SYSTEM},
        {"role": "user", "content": f"Passages:\n{body}\n\nClaim: {claim}\n\n"
                                    'Is the claim supported by the passages? Answer {"supported": true|false, "reason": "..."}.'},
    ]


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.I)


def parse_verdict(text: str | None) -> bool | None:
    """True/False from a strict JSON verdict; None for anything else (prose, a missing key, a string)."""
    raw = _FENCE.sub("", (text or "").strip())
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("supported"), bool):
        return None
    return data["supported"]


def _judge_one(judge_model: str, claim: str, passages: list[Any], opts) -> tuple[bool | None, str | None]:
    import litellm

    kw: dict[str, Any] = {"temperature": 0, "max_tokens": 200}
    if opts is not None:
        kw.update(timeout=opts.timeout, num_retries=opts.retries)
        if opts.api_base:
            kw["api_base"] = opts.api_base
        key = opts.api_key or ("sk-no-key" if opts.api_base else None)
        if key:
            kw["api_key"] = key
    try:
        resp = litellm.completion(model=judge_model, messages=judge_messages(claim, passages), **kw)
        content = resp.choices[0].message.content
    except Exception as e:  # litellm raises many kinds; one line per failed call is enough
        return None, f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
    return parse_verdict(content), None


def judge_answers(feedbacks: list[Any], judge_model: str, opts=None) -> JudgeVerdict:
    """Ask ``judge_model`` about every claim of every in-scope answer, against the passages it cites
    (all given passages when it cites none). Strict: an unparseable reply or a failed call is a
    claim not shown to be supported."""
    from concurrent.futures import ThreadPoolExecutor

    from ..config import setup_offline_env

    setup_offline_env()
    jobs: list[tuple[int, str, list[Any]]] = []
    for n, fb in enumerate(feedbacks):
        if fb is None or not fb.in_scope:
            continue
        by_id = {s.id: s for s in fb.sources}
        for s in fb.checks.sentences:
            if not getattr(s, "checked", True):  # headings, labels, questions: not claims
                continue
            passages = [by_id[c] for c in s.cites if c in by_id] or list(fb.sources)
            jobs.append((n, s.text, passages))
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        replies = list(pool.map(lambda j: _judge_one(judge_model, j[1], j[2], opts), jobs))
    if jobs and all(err for _, err in replies):
        raise EngineError(f"the judge model {judge_model} failed on every claim ({replies[0][1]})")
    per: list[dict[str, Any] | None] = [None] * len(feedbacks)
    for (n, claim, _), (ok, err) in zip(jobs, replies):
        slot = per[n] or {"claims": 0, "supported": 0, "unsupported": []}
        slot["claims"] += 1
        if ok:
            slot["supported"] += 1
        else:
            slot["unsupported"].append({"claim": claim, "why": err or ("not supported" if ok is False else "no strict JSON verdict")})
        per[n] = slot
    supported = sum(1 for ok, _ in replies if ok)
    return JudgeVerdict(
        faithfulness=round(supported / len(jobs), 4) if jobs else None, claims=len(jobs), supported=supported,
        invalid=sum(1 for ok, err in replies if ok is None and not err), errors=sum(1 for _, err in replies if err),
        per_answer=per,
    )
