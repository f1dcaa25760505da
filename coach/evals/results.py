"""What an eval run produced, per case, per seeded defect and per engine, and its JSON form.

``EvalRun.to_dict`` is the contract of ``--json`` and ``results.json`` (documented in docs/evals.md):
these types are the floor the scoring, the terminal view and the HTML report all stand on.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .suite import Suite, Threshold


@dataclass
class CaseResult:
    id: str
    kind: str
    model: str
    scenario: str
    expect: dict[str, Any]
    passed: bool = True
    failures: list[str] = field(default_factory=list)
    in_scope: bool | None = None
    leaning: str | None = None
    retrieved: list[dict[str, Any]] = field(default_factory=list)
    hit_rank: int | None = None       # 1-based rank of the first expected doc/passage, None if absent
    passage_rank: int | None = None   # 1-based rank of the labelled best passage
    answer: str = ""
    invalid_citations: list[str] = field(default_factory=list)
    unverified_quotes: list[dict[str, Any]] = field(default_factory=list)
    unsupported_sentences: int = 0
    sentences: int = 0
    on_corpus: float | None = None
    quotes: int = 0
    leaked: list[str] = field(default_factory=list)
    latency_s: float = 0.0
    error: str | None = None
    judge: dict[str, Any] | None = None
    split: str | None = None
    needed_rank: int | None = None    # 1-based position of the first needed passage among the sources
    facts_found: list[str] = field(default_factory=list)
    lifted: list[str] = field(default_factory=list)
    coaching: dict[str, Any] = field(default_factory=dict)   # coach.evals.coaching.score_coaching


@dataclass
class DefectResult:
    id: str
    expected: list[str]
    detected: list[str]
    missed: list[str]
    flags: dict[str, Any]
    false_alarm: bool | None = None  # clean controls only

    @property
    def passed(self) -> bool:
        return not self.missed and not self.false_alarm


@dataclass
class ModelResult:
    model: str
    metrics: dict[str, float | None]
    verdicts: dict[str, bool | None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def failing(self) -> list[str]:
        return [m for m, ok in self.verdicts.items() if ok is False]

    @property
    def passed(self) -> bool:
        return not self.failing


@dataclass
class EvalRun:
    suite: Suite
    defects_path: Path | None
    models: list[ModelResult]
    cases: list[CaseResult]
    defects: list[DefectResult]
    judge_model: str | None = None
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return all(m.passed for m in self.models)

    @property
    def thresholds(self) -> dict[str, Threshold]:
        return self.suite.thresholds

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` / results.json shape (documented in docs/evals.md).

        One engine: ``{"metrics", "thresholds", "passed", "cases", ...}``; several: the metrics move
        under ``"models": {name: {"metrics", "passed", ...}}``. Thresholds are plain numbers; the
        ones in ``"maximum_metrics"`` are upper bounds, all others lower bounds.
        """
        out: dict[str, Any] = {}
        per_model = {m.model: {"metrics": m.metrics, "passed": m.passed, "failing": m.failing, "counts": m.counts}
                     for m in self.models}
        if len(self.models) == 1:
            only = self.models[0]
            out.update({"model": only.model, "metrics": only.metrics})
        else:
            out["models"] = per_model
        out["thresholds"] = {n: t.value for n, t in self.thresholds.items()}
        out["maximum_metrics"] = [n for n, t in self.thresholds.items() if t.direction == "max"]
        out["passed"] = self.passed
        if len(self.models) == 1:
            out["failing"] = self.models[0].failing
            out["counts"] = self.models[0].counts
        out["cases"] = [asdict(c) for c in self.cases]
        out["defects"] = [dict(asdict(d), passed=d.passed) for d in self.defects]
        out["k"] = self.suite.k
        out["cases_file"] = str(self.suite.path)
        out["defects_file"] = str(self.defects_path) if self.defects_path else None
        out["judge_model"] = self.judge_model
        out["duration_s"] = round(self.duration_s, 2)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
