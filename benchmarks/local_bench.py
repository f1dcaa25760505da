"""The in-process local model (``local/smollm2``): generation speed, load time, time to first token.

Uses ``coach.engines.local.benchmark_local()`` so the README's numbers and this run agree on what
is measured. Without the ``local`` extra the section fails with the reason (and the install hint)
instead of inventing a number.
"""
from __future__ import annotations

from dataclasses import asdict, is_dataclass

from .common import Params, rnd


def run(params: Params) -> dict:
    from coach.engines import local

    st = local.status()
    if not st.extra_installed or not st.model_ok:
        raise RuntimeError(f"the local model is not usable: {st.problem}")
    res = local.benchmark_local(max_tokens=params.local_max_tokens, runs=params.local_runs)
    details = dict(res)
    details["model"] = local.MODEL
    details["status"] = asdict(st) if is_dataclass(st) else str(st)
    return {"local_tokens_per_s": rnd(res.get("tokens_per_s"), 1), "local_details": details}
