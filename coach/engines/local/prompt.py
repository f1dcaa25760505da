"""The prompt a 135M-parameter model can follow (``build_messages``), measured against the verifier."""
from __future__ import annotations

import re

# what a 135M-parameter model can follow (measured against the checker, docs/engines.md): two passages,
# each cut to PASSAGE_CHARS, and the situation cut to SCENARIO_CHARS; more text made it ignore the passages
MAX_PASSAGES = 2
PASSAGE_CHARS = 420
SCENARIO_CHARS = 500


def _trim(text: str, limit: int) -> str:
    """Whole sentences up to ``limit`` characters (a cut mid-word only when one sentence is longer)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    from ...common.text import sentence_spans

    out = ""
    for s, e in sentence_spans(text):
        piece = text[s:e].strip()
        if len(out) + len(piece) + 1 > limit:
            break
        out = f"{out} {piece}".strip()
    return out or text[:limit].rsplit(" ", 1)[0] + "…"


def _pick(sources: list, n: int = MAX_PASSAGES, min_words: int = 25) -> list:
    """The best-ranked passages with something to rewrite: a one-line lead-in ("Learn more about how,
    in 6 key instances, ...") gives a small model nothing to say but invention. Keeps their S# ids."""
    full = [s for s in sources if len(s.text.split()) >= min_words]
    chosen = (full + [s for s in sources if s not in full])[:n]
    return sorted(chosen, key=sources.index)


def build_messages(req) -> list[dict[str, str]]:
    """A compact prompt for SmolLM2-135M: the situation, two trimmed passages, one rewriting task.

    A model this small loses a long system prompt and most of a five-passage context. Asking it to
    *rewrite each passage as advice* keeps it closest to the passages' own words. Measured with the
    verifier on the first 8 situations of evals/cases.yaml (seed 0, temperature 0.2, 100 tokens): mean
    on_corpus 0.60 and 0.63 cited-and-supported sentences per answer with this prompt; 0.40 / 0.38 when
    one-line lead-in passages were not skipped; 0.20 / 0.38 with "write 2 sentences of advice" under a
    system message; ~0.1 with this prompt under a system message; a numbered answer template
    ("1. ... [S1]") made it drop the markers (0 cited-and-supported)."""
    sources = _pick(list(req.sources))
    passages = "\n".join(f"[{s.id}] {_trim(s.text, PASSAGE_CHARS)}" for s in sources)
    first = sources[0].id if sources else "S1"
    scenario = _trim(req.scenario, SCENARIO_CHARS)
    user = (
        f"Situation: {scenario}\n\n"
        f"Passages:\n{passages}\n\n"
        f"{TASK} {MARKER_TASK.format(first=first)}"
    )
    return [{"role": "user", "content": user}]


TASK = "Rewrite each passage as one sentence of advice for this manager."
MARKER_TASK = "Put the passage marker at the end of the sentence, for example: ... [{first}]."

# What SmolLM2-135M writes back of its task (measured on 16 situations of evals/cases.yaml, seed 0: 8 of
# the 16 answers had one): the task itself ("Rewrite each passage as one sentence of advice:"), a variant
# of it ("Rewrite each passage in a narrative format with one sentence of advice at the end: [S2].",
# "Rewrite: [S2] For an organization ..."), in brackets ("[Rewrite each passage ... manager: S2]."), or
# the marker rule. Only a phrase that opens with the task's verb *and* names its objects (a passage,
# advice, a marker), or a bare "Rewrite:", is cut: "Rewrite the process with your team." is advice.
_END = r"(?::|(?=\s*\[?S\d)|\.(?=\s|$)|$)"
_ECHO = re.compile(
    r"\[?\b(?:rewrite\s*:"
    r"|rewrite\b[^:\n\[\]]{0,160}?\b(?:passages?|advice|markers?)\b[^:\n\[\]]{0,100}?" + _END +
    r"|put\s+the\s+passage\s+marker\b[^\n]*?(?:for\s+example:\s*(?:\.\.\.|…)?\s*\[?S\d+\]?\.?|" + _END[3:] + r")",
    re.I | re.M)
_ONLY_MARKERS = re.compile(r"^[\s\[\]().,;:S\d]*$")


def strip_task_echo(text: str) -> tuple[str, bool]:
    """``text`` without the model's copies of its own task (``_ECHO``), and whether there were any.
    A line left with nothing but markers and punctuation ("[S3].") goes too; the rest of a line stays."""
    if not _ECHO.search(text):
        return text, False
    lines = []
    for line in text.splitlines():
        cut = _ECHO.sub("", line)
        if cut != line:
            cut = cut.strip()
            if _ONLY_MARKERS.match(cut):
                continue
        lines.append(cut)
    return "\n".join(lines).strip("\n"), True
