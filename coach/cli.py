"""The `coach` command. Every subcommand lives in a module of its own with a ``register(sub)``
function; this file only wires them and turns user errors into one line and an exit code.

Command modules must import nothing heavy at import time (torch, sentence-transformers, chromadb,
litellm, streamlit): `coach --help` builds every parser and should stay instant.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import CoachError

# (module, in the order `coach --help` lists them)
COMMAND_MODULES = [
    "coach.commands.core",      # ingest, search, quotes
    "coach.commands.reflect",   # reflect, verify
    "coach.commands.journal",   # journal list/show/export/delete
    "coach.commands.eval",      # eval
    "coach.commands.batch",     # batch
    "coach.commands.app",       # app
    "coach.commands.models",    # models
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coach",
        description="Reflection Coach: grounded feedback for managers, from a curated corpus on management and leadership.",
        epilog="Environment: COACH_DATA_DIR (store folder), COACH_CHROMA_URL (a Chroma server), "
        "COACH_MODEL (default engine), COACH_CORPUS_DIR. Run `coach COMMAND --help` for details.",
    )
    parser.add_argument("--version", action="version", version=f"coach {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # as typed: `coach batch` prints its resume command
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CoachError as e:
        print(f"coach: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("coach: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
