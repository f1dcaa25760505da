"""Scope and language: what the coach is for, and which text is English."""
from __future__ import annotations

import pytest

from coach.scope import is_english


@pytest.mark.parametrize("text,english", [
    ("My team keeps missing deadlines and nobody tracks the work.", True),
    ("<img src=x onerror=alert(1)><b>URGENT</b> My team keeps missing deadlines and I do not know why. "
     "![x](http://127.0.0.1:9/x.png) [click](javascript:alert(1))", True),
    ("Mi equipo cumple todos los plazos pero nadie sabe hacia dónde vamos.", False),
    ("Ich leite seit drei Monaten ein Team von acht Entwicklern und die Stimmung ist schlecht.", False),
    ("Hi", True),
])
def test_language(text, english):
    assert is_english(text) is english
