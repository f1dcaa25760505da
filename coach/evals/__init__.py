"""`coach eval`: proof, in a minute and offline, that answers stay on-corpus.

A maintainer who changes a prompt, an engine or the corpus runs the labelled suite
(``evals/cases.yaml``: situations and adversarial inputs) through the full pipeline and gets metrics
with thresholds that live in the same file; the verifier itself is measured on seeded defects
(``evals/defects.yaml``), because a checker that stops catching invented quotes would otherwise
make every other number look better. Think promptfoo / RAGAS, made for this corpus, no API key.

The pieces, in the order they run:
- ``load_suite`` / ``load_defects``: read and validate the files (every problem is a ``UsageError``
  naming the file, so the CLI prints one line and exits 2);
- ``run_eval``: ``prepare_many`` once for all cases (one embedding pass), then every engine over
  every prepared case, the verifier over every seeded defect, an optional LLM judge;
- ``EvalRun``: metrics per engine, threshold verdicts, per-case pass/fail; ``to_dict`` is the JSON
  that ``--json`` prints and ``results.json`` holds; ``format_table`` is the terminal view.

The package, one floor per module (lower floors never import higher ones):
- ``suite``: the metric table, the case and defect types, the loaders; ``schema``: the files' keys;
- ``index``: the corpus look-ups the labels are checked against;
- ``results``: per-case, per-defect and per-engine results, the JSON contract;
- ``score``: one case against its labels, and the metrics;
- ``judge``: the optional LLM judge; ``run``: the whole eval; ``output``: the table and the files.
"""
from __future__ import annotations

from .index import CorpusIndex, check_labels, defect_sources
from .judge import JudgeVerdict, judge_answers, judge_messages, parse_verdict
from .output import format_table, write_outputs
from .results import CaseResult, DefectResult, EvalRun, ModelResult
from .run import Progress, answer_all, run_defects, run_eval, warm_vectors
from .score import case_metrics, defect_metrics, engaged, score_case
from .suite import (
    CONCURRENCY,
    DEFECT_CHECKS,
    LEANINGS,
    METRICS,
    Case,
    DefectItem,
    Suite,
    Threshold,
    find_eval_file,
    load_defects,
    load_situations,
    load_suite,
    parse_thresholds,
)

__all__ = [
    "METRICS", "DEFECT_CHECKS", "LEANINGS", "CONCURRENCY", "Threshold", "Case", "Suite", "DefectItem",
    "CaseResult", "DefectResult", "ModelResult", "EvalRun", "CorpusIndex", "Progress",
    "load_suite", "load_situations", "load_defects", "parse_thresholds", "find_eval_file",
    "check_labels", "defect_sources", "score_case", "engaged", "case_metrics", "defect_metrics",
    "answer_all", "run_defects", "warm_vectors", "run_eval", "format_table", "write_outputs",
    "judge_answers", "judge_messages", "parse_verdict", "JudgeVerdict",
]
