"""One vocabulary for what the checks found, the same in every front end (issue 28).

Why one table: the page said "✓ verified in the corpus" for the manager's own words, the CLI counted them
as corpus quotes, and the built-in engine's sentences read "· from the passage" on the page and "taken
from the articles" in the download. Each part of a sentence is now one of three kinds, each with its own
truth, and a failure names what failed:

| label | shown as | what it means |
| --- | --- | --- |
| your words | ✓ your words | the manager's situation says it (quoted, or restated) |
| the articles | ✓ the articles [S3] | the cited passage says it; a quotation is word for word, credited as the corpus credits it |
| a suggestion | a suggestion based on [S3] | the coach's step, question or reading, tied to the idea it cites, with no fact from nowhere |
| not in the articles | ⚠ not in the articles | a claim, quote or reversal the passages do not hold |
| not in your situation | ⚠ not in your situation | a fact about the manager's world they never wrote |
| an outside fact | ⚠ an outside fact | a number, study or authority from neither the situation nor the articles |
"""
from __future__ import annotations

from ..common.text import plural

YOUR_WORDS, ARTICLES, SUGGESTION = "your words", "the articles", "a suggestion"
NOT_IN_ARTICLES, NOT_IN_SITUATION, OUTSIDE_FACT = "not in the articles", "not in your situation", "an outside fact"

PASSED = (YOUR_WORDS, ARTICLES, SUGGESTION)
FAILED = (NOT_IN_ARTICLES, NOT_IN_SITUATION, OUTSIDE_FACT)

# the marks the checks put in the answer text (the page turns them into badges; Markdown shows them as they are)
MARK_YOUR_WORDS = " ✓ *your words*"
MARK_ARTICLES = " ✓ *the articles*"


def mark_failed(label: str, reason: str = "") -> str:
    """The inline mark of a failed part or quote: ``⚠ *not in the articles: no passage credits…*``."""
    return f" ⚠ *{label}{': ' + reason if reason else ''}*"


def shown(label: str, cites: list[str] | None = None) -> str:
    """A part's label as a person reads it, with the sources it rests on."""
    refs = f" [{', '.join(cites)}]" if cites else ""
    if label == SUGGESTION:
        return f"a suggestion based on{refs}" if refs else "a suggestion"
    if label in FAILED:
        return f"⚠ {label}"
    return f"✓ {label}{refs if label == ARTICLES else ''}"


def tally(sentences) -> dict[str, int]:
    """How many parts of the answer's checked sentences carry each label."""
    out = {label: 0 for label in PASSED + FAILED}
    for s in sentences:
        for p in getattr(s, "parts", None) or []:
            label = p.label if not isinstance(p, dict) else p.get("label", "")
            if label in out:
                out[label] += 1
    return out


def summary_line(fb) -> str:
    """The one line under every answer (CLI, download, page, report): what was checked, by kind."""
    c = fb.checks
    counts = tally(c.sentences)
    corpus_quotes = [q for q in fb.quotes if q.speaker != "the manager"]
    own_quotes = [q for q in fb.quotes if q.speaker == "the manager"]
    bits = []
    if any(counts.values()):
        bits.append(plural(counts[YOUR_WORDS], "part") + " in your words ✓" if counts[YOUR_WORDS] else "")
        bits.append(plural(counts[ARTICLES], "part") + " from the articles ✓" if counts[ARTICLES] else "")
        bits.append(plural(counts[SUGGESTION], "suggestion") + " based on the articles" if counts[SUGGESTION] else "")
        bits += [f"{plural(counts[lab], 'part')} ⚠ {lab}" for lab in FAILED if counts[lab]]
    else:
        claims = [s for s in c.sentences if s.checked]
        bad = sum(not s.supported for s in claims)
        bits.append(f"{plural(len(claims), 'sentence')} checked against the passages"
                    + (f", {bad} ⚠ not in the articles" if bad else ""))
    verified = sum(q.verified for q in corpus_quotes)
    if corpus_quotes:
        bits.append(f"{verified} of {plural(len(corpus_quotes), 'quote')} from the articles ✓"
                    + (f", {len(corpus_quotes) - verified} ⚠ not in the articles" if verified < len(corpus_quotes) else ""))
    if own_quotes:
        bits.append(plural(len(own_quotes), "quote") + " of your words ✓")
    if c.invalid_citations:
        bits.append(f"{plural(len(c.invalid_citations), 'citation')} to no source ({', '.join(c.invalid_citations)})")
    return "; ".join(b for b in bits if b) + "."


__all__ = ["YOUR_WORDS", "ARTICLES", "SUGGESTION", "NOT_IN_ARTICLES", "NOT_IN_SITUATION", "OUTSIDE_FACT", "PASSED", "FAILED", "MARK_YOUR_WORDS", "MARK_ARTICLES", "mark_failed", "shown", "tally", "summary_line"]
