"""Helpers shared by the subcommands: reading text arguments, printing for a terminal or a pipe."""
from __future__ import annotations

import json
import sys

from ..errors import UsageError


def read_text_arg(value: str | None, what: str = "text") -> str:
    """An argument that may be the text itself or '-' for standard input."""
    if value is None or value == "-":
        if value is None and sys.stdin.isatty():
            raise UsageError(f"give the {what} as an argument, or '-' to read it from standard input")
        data = sys.stdin.buffer.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"the {what} on standard input is not UTF-8 text") from None
    return value


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def is_tty() -> bool:
    return sys.stdout.isatty()
