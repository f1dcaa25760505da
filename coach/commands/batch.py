"""`coach batch`: the coach's command for many cases at once (the work is in ``coach.batch``).

This module only parses arguments and prints; it imports nothing heavy, so `coach --help` stays fast.
"""
from __future__ import annotations

import argparse
import sys

from ..config import DEFAULT_K, MAX_K
from .reflect import add_model_args, engine_options


def register(sub) -> None:
    p = sub.add_parser(
        "batch", help="run many anonymized cases (JSONL or CSV): concurrent, resumable, with an HTML report",
        description="Run every case of INPUT through the coach and write DIR/results.jsonl (one line per case, "
        "saved as each finishes) and DIR/report.html (one self-contained file to open, print or share). "
        "Running the same command again resumes: cases already ok are not sent again. "
        "Before a case goes to a remote model it is checked for personal data (e-mail addresses, phone numbers, "
        "IBAN, card and national id numbers, profile links); such a case is skipped unless you pass "
        "--redact-pii or --allow-pii. results.jsonl keeps the cases as written; report.html, made for sharing, "
        "shows personal data as placeholders such as [EMAIL] unless --allow-pii. "
        "Exit 0 when every case is ok, 1 when any failed or was skipped, 2 on usage errors.",
        epilog="INPUT is JSONL ({\"id\": ..., \"scenario\": ...} per line, other fields are carried through) "
        "or CSV with id,scenario columns (any case; 'situation' works for 'scenario'); '-' reads standard input.",
    )
    p.add_argument("input", metavar="INPUT", nargs="?", default=None, help="JSONL or CSV file, or '-' for stdin")
    p.add_argument("--out", default=None, metavar="DIR", help="output folder (created if missing; required)")
    add_model_args(p)
    p.add_argument("--concurrency", type=int, default=8, metavar="N",
                   help="cases sent to the model at the same time (default 8)")
    p.add_argument("-k", type=int, default=DEFAULT_K,
                   help=f"passages to retrieve per case (default {DEFAULT_K}, at most {MAX_K})")
    p.add_argument("--retries", type=int, default=3, metavar="N",
                   help="retries per case on rate limits and server errors (default 3)")
    pii = p.add_argument_group("personal data (only matters for remote models unless you redact)")
    pii.add_argument("--redact-pii", action="store_true",
                     help="replace personal data with placeholders such as [EMAIL] before retrieval and sending")
    pii.add_argument("--allow-pii", action="store_true",
                     help="send cases with personal data as they are, and show it as written in report.html")
    p.add_argument("--retry-errors", action="store_true", help="send again the cases that failed in an earlier run")
    p.add_argument("--format", choices=("auto", "jsonl", "csv"), default="auto",
                   help="input format (default: from the file name, else from the content)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines on stderr")
    p.add_argument("--json", action="store_true", help="print the counts as JSON on stdout")
    p.set_defaults(func=cmd_batch)


def resume_command(argv: list[str]) -> str:
    """The command that was run (``argv``: its arguments), as `coach batch ...`, with --retry-errors (the
    cases that failed while a service was away are sent again; cases already ok never are)."""
    import shlex

    args = list(argv)
    if "batch" in args:
        args = args[args.index("batch"):]
    if "--retry-errors" not in args:
        args.append("--retry-errors")
    return "coach " + shlex.join(args)


def cmd_batch(args: argparse.Namespace) -> int:
    from ..batch import run_batch
    from ..errors import UsageError

    if args.input is None:
        raise UsageError("give the INPUT file (JSONL or CSV), or '-' to read standard input")
    if not args.out:
        raise UsageError("give an output folder with --out DIR")
    if args.redact_pii and args.allow_pii:
        raise UsageError("choose one of --redact-pii and --allow-pii")
    from ..config import check_k

    check_k(args.k)
    if args.retries < 0 or args.retries > 10:
        raise UsageError("--retries must be between 0 and 10")
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    if args.input == "-" and sys.stdin.isatty():
        raise UsageError("'-' reads the cases from standard input, but nothing is piped in")
    opts = engine_options(args)
    opts.retries = args.retries
    from ..batch import BatchGaveUp

    try:
        counts = run_batch(
            args.input, args.out, args.model, opts, k=args.k, concurrency=args.concurrency,
            pii_mode="redact" if args.redact_pii else "allow" if args.allow_pii else "hold",
            retry_errors=args.retry_errors, fmt=args.format, progress=False if args.no_progress else None,
        )
    except BatchGaveUp as e:  # one line, with the exact command that resumes
        raise BatchGaveUp(str(e).replace("run the same command again with --retry-errors to resume",
                                         "resume with: " + resume_command(getattr(args, "argv", sys.argv[1:]))),
                          e.counts) from None
    if args.json:
        from .common import print_json

        print_json(counts.to_dict())
    else:
        extra = f" ({counts.already_ok} already ok before this run)" if counts.already_ok else ""
        cost = f", ${counts.cost_usd:.4f}" if counts.cost_usd is not None else ""
        tokens = counts.prompt_tokens + counts.completion_tokens
        scope = f" ({counts.answered} answered, {counts.out_of_scope} out of scope)" if counts.out_of_scope else ""
        from ..common.text import plural

        print(f"{plural(counts.total, 'case')}: {counts.ok} ok{scope}, {counts.error} error, {counts.skipped} skipped{extra}; "
              f"{counts.ran} finished in {counts.elapsed_s:.1f} s" + (f", {tokens:,} tokens{cost}" if tokens else ""))
        if counts.out_of_scope:
            print(f"out of scope: {plural(counts.out_of_scope, 'case')} not about managing or leading people; "
                  "the coach declined them")
        print(f"results: {counts.results_path}")
        print(f"report:  {counts.report_path}")
        if counts.pii_raw_kept:
            shown = ("as written too (--allow-pii)" if counts.report_pii == "as written"
                     else "with placeholders such as [EMAIL]")
            print(f"personal data: results.jsonl keeps {plural(counts.pii_raw_kept, 'case')} with personal data as written "
                  f"(keep it on this machine); the report shows them {shown}")
    return counts.exit_code
