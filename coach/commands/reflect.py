"""`coach reflect` and `coach verify`: one situation in, grounded and checked feedback out."""
from __future__ import annotations

import sys

from ..config import DEFAULT_K, MAX_K
from .common import is_tty, print_json, read_text_arg


def add_model_args(p, multiple: bool = False) -> None:
    """--model / --api-base / --api-key, shared by reflect, batch and eval."""
    if multiple:
        p.add_argument("--model", action="append", default=None, metavar="M",
                       help="engine: 'extractive' (built in, default) or a litellm model; repeat to compare")
    else:
        p.add_argument("--model", default=None, metavar="M",
                       help="engine: 'extractive' (built in, default; or COACH_MODEL) or a litellm model such as "
                       "openai/gpt-4o-mini, ollama/llama3.1, local/smollm2")
    p.add_argument("--api-base", default=None, metavar="URL", help="base URL of an OpenAI-compatible server")
    p.add_argument("--api-key", default=None, metavar="K",
                   help="API key (default: the provider's usual variable, e.g. OPENAI_API_KEY); never logged")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the model (default 60)")


def engine_options(args):
    from ..engines import EngineOptions

    return EngineOptions(api_base=args.api_base, api_key=args.api_key or None, timeout=args.timeout)


def register(sub) -> None:
    p = sub.add_parser("reflect", help="feedback on one situation, grounded in the corpus and checked",
                       description="Describe a situation with your team; get feedback grounded in the corpus, "
                       "with cited passages, verified quotes and the management/leadership lens.")
    p.add_argument("scenario", nargs="?", default=None, metavar="SCENARIO", help="the situation, or '-' for stdin")
    add_model_args(p)
    p.add_argument("-k", type=int, default=DEFAULT_K, help=f"passages to retrieve (default {DEFAULT_K}, at most {MAX_K})")
    p.add_argument("--json", action="store_true", help="print the Feedback JSON")
    p.add_argument("--follow-up", type=int, default=None, metavar="THREAD_ID",
                   help="continue a thread of your journal: SCENARIO is your answer to the coach or what happened "
                   "next; the coach reads the whole thread again (see `coach journal list`)")
    p.add_argument("--no-save", action="store_true",
                   help="do not keep this turn in the journal (a SQLite file under COACH_DATA_DIR)")
    pii = p.add_mutually_exclusive_group()
    pii.add_argument("--redact-pii", action="store_true",
                     help="replace e-mail addresses, phone numbers, ... with placeholders before a remote model sees them")
    pii.add_argument("--allow-pii", action="store_true",
                     help="send personal data to a remote model as it is (by default such a turn is held back)")
    p.set_defaults(func=cmd_reflect)

    p = sub.add_parser("verify", help="check any answer's quotes and claims (against the corpus or its own passages)",
                       description="Run the coach's checks on answers written elsewhere: one answer (FILE|-), "
                       "or many with --jsonl. Invalid citations, unverified quotes and invented facts about the "
                       "situation always fail; unsupported sentences only with --fail-on unsupported or "
                       "--min-on-corpus. Exit 0: nothing failed; 1: something did; 2: usage error.")
    from .verify import add_arguments as _verify_arguments

    _verify_arguments(p)
    p.set_defaults(func=cmd_verify)


CLI_QUOTE_CHARS = 600  # the situation echoed above the answer in a terminal: its first sentences, then "…"


def cmd_reflect(args) -> int:
    from .. import config
    from ..engines import get_engine
    from ..errors import CoachError
    from ..journal.store import Journal
    from ..turn import HeldBack, answer_text, take_turn

    config.check_k(args.k)
    text = read_text_arg(args.scenario, "reply" if args.follow_up is not None else "situation")
    model = args.model or config.default_model()
    streaming = not args.json and not get_engine(model).is_builtin
    journal = Journal()
    earlier = None
    if args.follow_up is not None:
        thread = journal.thread(args.follow_up)
        earlier = [(t.text, answer_text(t.feedback)) for t in thread.turns]

    def on_token(piece: str) -> None:
        sys.stdout.write(piece)
        sys.stdout.flush()

    try:
        out = take_turn(text, model=model, opts=engine_options(args), k=args.k, earlier=earlier,
                        thread_id=args.follow_up, save=not args.no_save, journal=journal,
                        pii_mode="redact" if args.redact_pii else "allow" if args.allow_pii else "hold",
                        on_token=on_token if streaming else None)
    except HeldBack as e:
        raise CoachError(f"{e} (--redact-pii, --allow-pii)") from None
    fb = out.feedback
    saved = (out.thread_id, out.turn) if out.thread_id is not None else None
    if args.json:
        d = fb.to_dict()
        d["journal"] = ({"thread_id": saved[0], "turn": saved[1], "path": str(journal.path)} if saved else None)
        print_json(d)
    else:
        if streaming:
            sys.stdout.write("\n\n--- checked ---\n\n")
        from ..reports.answer import feedback_markdown

        # the terminal quotes the situation cut at a sentence boundary ("…"); a follow-up's reply is quoted too
        md = feedback_markdown(fb, reply=text if args.follow_up is not None else None, quote_chars=CLI_QUOTE_CHARS)
        if is_tty():
            from rich.console import Console
            from rich.markdown import Markdown

            Console().print(Markdown(md, hyperlinks=False))
        else:
            sys.stdout.write(md + "\n")
        sys.stdout.flush()
    if saved:
        print(f"coach: saved to your journal as thread {saved[0]}, turn {saved[1]} "
              f"(continue with: coach reflect --follow-up {saved[0]} \"...\")", file=sys.stderr)
    if out.not_saved:
        print(f"coach: error: not saved: {out.not_saved}", file=sys.stderr)
        return 1
    return 0


def cmd_verify(args) -> int:
    from .verify import cmd_verify as run

    return run(args)
