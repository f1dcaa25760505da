"""`coach eval`: the labelled suite through the full pipeline; metrics, thresholds, a CI exit code.

Exit 0 when every metric meets its threshold, 1 when one does not (usable as a CI gate), 2 on usage
errors (a missing or broken cases file is one line naming the file). Files are read and checked
before anything heavy is imported, so a broken file fails in well under a second.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .common import print_json
from .reflect import add_model_args, engine_options


def register(sub) -> None:
    p = sub.add_parser(
        "eval", help="run the eval suite: metrics against thresholds, exit 1 when one slips",
        description="Run every case of the eval suite through the full pipeline with each engine, measure the "
        "verifier on seeded defects, and compare the metrics with the thresholds in the cases file. "
        "Exit 0: all thresholds met; 1: a metric is under its threshold (false_alarm_rate, latency: over); "
        "2: usage error.")
    add_model_args(p, multiple=True)
    p.add_argument("--cases", type=Path, default=None, metavar="FILE",
                   help="cases file (default: evals/cases.yaml)")
    p.add_argument("--defects", type=Path, default=None, metavar="FILE",
                   help="seeded-defect answers (default: defects.yaml beside the cases file, else evals/defects.yaml)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="write results.json and report.html here")
    p.add_argument("--json", action="store_true",
                   help='print {"metrics","thresholds","passed","cases",...} (several --model: {"models":{...},...})')
    p.add_argument("--judge-model", default=None, metavar="J",
                   help="a litellm model that judges each claim against its cited passages (adds judge_faithfulness)")
    p.add_argument("--judge-api-base", default=None, metavar="URL", help="the judge's server (default: --api-base)")
    p.add_argument("--judge-api-key", default=None, metavar="K", help="the judge's key (default: --api-key)")
    p.add_argument("--ragtruth", type=Path, default=None, metavar="FILE",
                   help="instead of the suite: the verifier on human-labelled answers in RAGTruth's format "
                   "(response P/R/F1, sentence balanced accuracy, flagged share per model, ms per sentence)")
    p.set_defaults(func=cmd_eval)


def _files(args):
    from ..errors import UsageError
    from ..evals.suite import find_eval_file, load_defects, load_suite

    cases_path = args.cases or find_eval_file("cases")
    if cases_path is None:
        raise UsageError("no evals/cases.yaml here: give the suite with --cases FILE")
    suite = load_suite(cases_path)
    defects_path = args.defects or find_eval_file("defects", near=Path(cases_path).parent)
    if defects_path is None:
        raise UsageError("no evals/defects.yaml found: give the seeded defects with --defects FILE")
    return suite, load_defects(defects_path), Path(defects_path)


def cmd_eval(args) -> int:
    if getattr(args, "ragtruth", None) is not None:
        from ..checks.ragtruth import run_cli

        return run_cli(args.ragtruth, as_json=args.json)
    from dataclasses import replace

    from ..errors import UsageError
    from ..evals.output import format_table, previous_metrics, write_outputs
    from ..common.progress import live
    from ..evals.run import run_eval

    suite, defects, defects_path = _files(args)
    models = list(dict.fromkeys(m.strip() for m in (args.model or ["extractive"]) if m and m.strip()))
    if not models:
        raise UsageError("--model needs an engine name")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise UsageError(f"{args.out}: exists and is not a folder")
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    opts = engine_options(args)
    judge_opts = replace(opts, api_base=args.judge_api_base or opts.api_base,
                         api_key=args.judge_api_key or opts.api_key)

    with live("cases", sys.stderr) as bar:  # the printer every command shares (a rich bar on a terminal)
        def progress(model: str, done: int, total: int) -> None:
            bar.update(model, done, total, model, f"coach eval: {model} {done}/{total} cases")

        run = run_eval(suite, models, opts, defects=defects, defects_path=defects_path,
                       judge_model=args.judge_model, judge_opts=judge_opts,
                       progress=None if args.json else progress)  # --json: machine use, a quiet stderr
    before = previous_metrics(args.out)  # an earlier run's results.json in --out, read before it is replaced
    written = write_outputs(run, args.out) if args.out is not None else None
    if args.json:
        print_json(run.to_dict())
    else:
        sys.stdout.write(format_table(run, before) + "\n")
        if written:
            sys.stdout.write(f"wrote {written[0]} and {written[1]}\n")
    return 0 if run.passed else 1
