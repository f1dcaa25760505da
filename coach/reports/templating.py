"""One Jinja2 environment for the reports, with autoescape on and the standard library's escaping.

Why ``finalize``: every ``{{ value }}`` goes through ``html.escape`` (None becomes ''), the same escaping
the reports had before templates, so a quote is ``&#x27;`` as before; text already marked safe
(``Markup``: the Markdown renderer's output, a rendered chart) passes through. Autoescape stays on, so
a value that skipped ``finalize`` would still be escaped by Jinja2.
"""
from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"


def _escape(value: Any) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, finalize=_escape,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def chart_svg(chart: Any) -> Markup:
    """One chart (``charts.Chart``, or None for nothing) as inline SVG markup."""
    if chart is None:
        return Markup("")
    return Markup(environment().get_template("charts.html.j2").module.svg(chart))  # type: ignore[attr-defined]
