"""The built-in engine: feedback assembled from the retrieved passages themselves, no model at all.

Every sentence is either the corpus's own words with their marker, or framing written for this
project (labels and reflective questions), which the verifier lists as "not a claim". It picks
what to say by meaning: sentences of the given sources ranked by similarity to the scenario, the
lens's strongest axes in the corpus's words, a Drucker or Maxwell line only when a given source
holds it, and next steps from the sources' own descriptions of practice.
"""
from __future__ import annotations

import re

from ..feedback import Lens, Source
from ..text import split_sentences, words
from . import Draft, Request

MAX_SAYS = 4
MAX_STEPS = 3

LEANING_PHRASE = {
    "management": "mostly a management question: getting the work organised, measured and done",
    "leadership": "mostly a leadership question: direction, people and change",
    "both": "a question for both roles: a manager's structure and a leader's direction",
}

# One reflective question per axis pole: framing written for the project, not a claim.
QUESTIONS: dict[str, tuple[str, str]] = {
    "focus": ("Which part of this needs a plan, an owner and a date before anything else?",
              "Where do you want this team to be a year from now, and have you told them?"),
    "processes vs people": ("What would you measure here, so that you and the team can see whether it is on track?",
                            "What does each person on the team want from their work, and when did you last ask?"),
    "playbook vs a better way": ("Is the playbook clear to everyone, and is it actually being followed?",
                                 "If you set aside how it has always been done, what would a better way look like?"),
    "tactics vs strategy": ("Is the goal clear enough that your team can turn it into concrete tasks?",
                            "Can you state the end point you are leading toward in one sentence?"),
    "change vs transformation": ("Who oversees the work the change requires, step by step?",
                                 "Why should people follow you through this change, in their own words?"),
    "specifics vs imagination": ("What specific work does the vision require this month?",
                                 "What could this team become that nobody has pictured yet?"),
    "concrete data vs abstract thinking": ("Which numbers would tell you whether this is getting better?",
                                           "What pattern connects the problems you are seeing?"),
    "inside vs outside": ("With the resources you have, how does the work actually get done today?",
                          "What is changing outside your team that should change how it works?"),
    "commitment vs uncertainty": ("What has the team committed to deliver, and is that still understood?",
                                  "What would you decide now, with confidence, even without all the facts?"),
    "team vs whole organization": ("Is each person on your team equipped to do what is required?",
                                   "How does this decision land on the rest of the organization?"),
    "current roles vs developing the next leaders": ("Does each person know what is expected of them, and how they are doing?",
                                                     "Who on your team could you be developing to lead?"),
}

_PRACTICE = re.compile(
    r"\b(1-on-1|one-on-one|expectations|accountab|appreciation|awards|accolades|coaching|mentoring|equipping|"
    r"relationships|development|develop|communicat|feedback|vision|direction|inspire|empower|metrics|measure|"
    r"process|standards|celebrate|meetings|tracking|succession|mission|values)",
    re.I,
)
_ENUM = re.compile(r"^(?:[-*+]\s*|\d+[.)]\s+)")
_DIRECT = re.compile(r"[“\"]|\bsaid\b|\bsays\b|\bclaimed\b")


_PRONOUN_START = re.compile(r"^(?:They|It|This|These|That|He|She|Their|Its)\b")


def passage_sentences(text: str) -> list[str]:
    """A passage's sentences as a reader needs them: headings apart, enumerations off, and a sentence
    that opens with a pronoun ("They have a playbook…") joined to the one before it."""
    out: list[str] = []
    joined = False
    for line in text.splitlines():
        for sent in split_sentences(line):
            sent = _ENUM.sub("", sent).strip()
            if out and not joined and _PRONOUN_START.match(sent) and not out[-1].endswith((":", "?")):
                out[-1] = f"{out[-1]} {sent}"
                joined = True
            else:
                out.append(sent)
                joined = False
    return out


def _sentences(sources: list[Source]) -> list[tuple[str, str]]:
    """(source id, sentence) for every usable sentence of the sources."""
    out = []
    for s in sources:
        for sent in passage_sentences(s.text):
            if len(words(sent)) < 6 or sent.endswith(("?", ":")) or _DIRECT.search(sent) or _PRONOUN_START.match(sent):
                continue
            out.append((s.id, sent))
    return out


SOURCE_WEIGHT = 0.5  # a sentence from a well-retrieved passage beats a lucky match in a weak one


def _rank(scenario: str, cands: list[tuple[str, str]], sources: list[Source]) -> list[tuple[float, str, str]]:
    import numpy as np

    from ..verify import _vectors

    if not cands:
        return []
    score = {s.id: s.score for s in sources}
    vecs = _vectors([scenario] + [c[1] for c in cands])
    q = np.asarray(vecs[0])
    return sorted(((float(np.asarray(v) @ q) + SOURCE_WEIGHT * score.get(sid, 0.0), sid, sent)
                   for v, (sid, sent) in zip(vecs[1:], cands)), reverse=True)


def _lens_lines(lens: Lens, sources: list[Source]) -> list[str]:
    from ..lens import AXES

    anchors = {a.name: a.anchor for a in AXES}
    by_passage = {s.passage_id: s for s in sources}
    lines = []
    for d in lens.dimensions[:3]:
        src = by_passage.get(d.passage_id)
        if not src:
            continue
        # the axis in the corpus's own words: the sentence of the backing passage that names it
        anchor = anchors.get(d.name, "").lower()[:40]
        usable = [x for x in passage_sentences(src.text)
                  if len(words(x)) >= 6 and not x.endswith((":", "?")) and not _PRONOUN_START.match(x)]
        sent = next((x for x in usable if anchor and anchor in x.lower()), usable[0] if usable else None)
        if not sent:
            continue
        lines.append(f"- {sent} [{src.id}]")
        if len(lines) == 2:
            break
    return lines


def _questions(lens: Lens) -> list[str]:
    qs = []
    for d in lens.dimensions[:3]:
        pair = QUESTIONS.get(d.name)
        if not pair:
            continue
        if lens.leaning == "both" or abs(d.leadership - d.management) < 0.1:
            qs.append(pair[0] if d.management >= d.leadership else pair[1])
        else:
            qs.append(pair[1] if lens.leaning == "leadership" else pair[0])
    return list(dict.fromkeys(qs))


def _quote_line(sources: list[Source]) -> str | None:
    """A Drucker or Maxwell line, only when a given source holds it in the corpus's own words."""
    from ..quotes import corpus_statements

    by_passage = {s.passage_id: s for s in sources}
    for st in corpus_statements():
        src = by_passage.get(st.passage_id)
        if src and st.direct:
            text = st.text.rstrip(".")
            return f"As {st.speaker} put it, “{text}.” [{src.id}]"
    return None


def compose_extractive(req: Request) -> Draft:
    sources = req.sources
    ranked = _rank(req.scenario, _sentences(sources), sources)
    lens_lines = _lens_lines(req.lens, sources)
    used = {ln.split(" [")[0][2:] for ln in lens_lines}

    says, per_source = [], {}
    for _, sid, sent in ranked:
        if sent in used or per_source.get(sid, 0) >= 1:
            continue
        says.append(f"{sent} [{sid}]")
        used.add(sent)
        per_source[sid] = per_source.get(sid, 0) + 1
        if len(says) == MAX_SAYS:
            break
    steps = []
    for _, sid, sent in ranked:
        if sent in used or not _PRACTICE.search(sent):
            continue
        steps.append(f"- {sent} [{sid}]")
        used.add(sent)
        if len(steps) == MAX_STEPS:
            break

    parts = [f"**Where your situation sits: {LEANING_PHRASE.get(req.lens.leaning, LEANING_PHRASE['both'])}.**"]
    if lens_lines:
        parts.append("\n".join(lens_lines))
    parts.append("**What the corpus says about situations like yours.**")
    quote = _quote_line(sources)
    body = " ".join(says[:2])
    if quote:
        body = f"{body}\n\n{quote}" if body else quote
    if len(says) > 2:
        body += "\n\n" + " ".join(says[2:])
    parts.append(body or "The retrieved passages say little that is specific to this situation.")
    qs = _questions(req.lens)
    if qs:
        parts.append("**Questions to reflect on.**")
        parts.append("\n".join(f"- {q}" for q in qs))
    if steps:
        parts.append("**Next steps the articles describe.**")
        parts.append("\n".join(steps))
    return Draft(text="\n\n".join(parts) + "\n", model="extractive")
