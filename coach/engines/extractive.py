"""The built-in engine: feedback written for this manager from the retrieved passages, no model at all.

It reads the situation (``coach.reading.situation``: what works, what is going wrong, where the needs sit),
then, for each need, mirrors the manager's own words back ("You wrote that “…”.": their text, so the
verifier checks it against the situation) and pairs it with the sentence of the sources that speaks
to that need, cited; up to two more of the manager's thoughts are mirrored without a pairing, so the
answer holds what they told and not only what it could answer. Questions name the manager's own problem; next steps are the sources' own
descriptions of practice, chosen for each need. A sentence that points back ("This is why…", "Or
perhaps…") is only ever used together with the sentence before it, and nothing is said unless it is
close enough to one of this situation's needs: no stock sentence fills every answer.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..feedback import Source
from ..common.text import split_sentences, words
from .base import Draft, Request

if TYPE_CHECKING:  # situation loads its fitted model; it is imported where it is used
    from ..common.seams import Clause

# next steps at most: three things to try this week
MAX_STEPS = 3

LEANING_PHRASE = {
    "management": "mostly a management question: getting the work organised, measured and done",
    "leadership": "mostly a leadership question: direction, people and change",
    "both": "a question for both roles: a manager's structure and a leader's direction",
}

_PRACTICE = re.compile(
    r"\b(1-on-1|one-on-one|expectations|accountab|appreciation|awards|accolades|coaching|mentoring|equipping|"
    r"relationships|development|develop|communicat|feedback|vision|direction|inspire|empower|metrics|measure|"
    r"process|standards|celebrate|meetings|tracking|succession|mission|values)",
    re.I,
)
# a next step is something a manager can do this week: a practice the articles describe, not a
# quality of a role ("they focus on the big picture…, helping to inspire others")
_STEP = re.compile(
    r"\b(1-on-1|one-on-one|expectations|accountab|appreciation|awards|accolades|coaching|mentoring|feedback|"
    r"metrics|measur\w*|tracking|meetings|standards|celebrate|succession|reviews?|goals|process in place|"
    r"relationships|getting to know|equip\w*|deadlines?|budgets?|plan(?:s|ning)?|set direction|specific work|"
    r"drive (?:their|your) teams?)\b", re.I)
# a sentence offered as what the articles say must say something about the roles or their practice
_ABOUT_THE_ROLES = re.compile(r"\b(manag\w*|lead\w*|people|teams?|employees?|staff|organi[sz]ations?|vision|goals?|"
                              r"direct reports?|workers?|followers?)\b", re.I)
# narrower, for the sentence that answers a need: managing or leading itself, not only people or
# organisations (the articles' aside on retiring Baby Boomers passes the filter above, not this)
_ABOUT_MANAGING_OR_LEADING = re.compile(r"\b(?:manag|lead)\w*", re.I)
# "Leadership is accountable to the entire organization, …": what a role is, not something to do next
_DEFINES = re.compile(r"^(?:the\s+|a\s+|good\s+|great\s+)?(?:leadership|management|leaders?|managers?)\s+(?:is|are)\b",
                      re.I)
# "For an organization to succeed, it needs both good managers and good leaders.": true of every
# situation, so it answers none in particular; a need is paired with it only when nothing else is close
_BOTH_ROLES = re.compile(r"\b(?:needs? both|both roles|hand[- ]in[- ]hand|the two do not)\b", re.I)
# score taken off a sentence true of every situation ("needs both"): dev, paired answer phrase
GENERIC_PENALTY = 0.15
_ENUM = re.compile(r"^(?:[-*+]\s*|\d+[.)]\s+)")
# The article talking about itself or its author, not about what a manager does: "Allow me to give
# you my perspective, which comes from 15 years…", "I think they are different.", "To better
# understand the differences between management and leadership, think about…". Paired with a need it
# reads as a non-answer; and a sentence after it stands on its own instead of being joined to it.
_PREFACE = re.compile(
    r"^(?:I\b|I['’](?:m|ve|d|ll)\b|allow me|let me|let['’]s|to me\b|don['’]t get me|there['’]s actually)|"
    r"\b(?:differences? between|distinction between|synonyms?|interchangeabl\w*|countless books|"
    r"this (?:article|post|blog))\b", re.I)
_DIRECT = re.compile(r"[“\"]|\bsaid\b|\bsays\b|\bclaimed\b")


from ..common.fragments import DEPENDENT_START as _PRONOUN_START  # noqa: E402  (one definition for engine and eval)


def _picks_up(prev: str, sent: str) -> bool:
    """Does ``sent`` open by taking up a word of ``prev`` ("…inspire people to follow them." / "The
    process of following often requires great change.")? Then it is read with ``prev``."""
    from ..common.text import stem

    head = [stem(w) for w in words(sent)[:4] if len(w) >= 5]
    before = {stem(w) for w in words(prev) if len(w) >= 5}
    return bool(head) and any(h in before for h in head)


def passage_sentences(text: str) -> list[str]:
    """A passage's sentences as a reader needs them: headings apart, enumerations off, and a sentence
    that opens with a pronoun ("They have a playbook…") joined to the one before it."""
    out: list[str] = []
    joined = 0
    for line in text.splitlines():
        for n, sent in enumerate(split_sentences(line)):
            sent = _ENUM.sub("", sent).strip()
            picks_up = n > 0 and not _PREFACE.search(out[-1]) and _picks_up(out[-1], sent) if out else False
            if out and joined < 2 and (_PRONOUN_START.match(sent) or picks_up) and not out[-1].endswith((":", "?")):
                out[-1] = f"{out[-1]} {sent}"
                joined += 1
            else:
                out.append(sent)
                joined = 0
    return out


def _sentences(sources: list[Source]) -> list[tuple[str, str]]:
    """(source id, sentence) for every usable sentence of the sources."""
    out = []
    for s in sources:
        for sent in passage_sentences(s.text):
            parts = split_sentences(sent) if sent.endswith(":") else []
            if parts and _PRONOUN_START.match(parts[-1]):
                # "Managers will focus on the process… They focus on:": the list's lead-in goes, the
                # sentence before it stands on its own
                sent = " ".join(parts[:-1])
            if len(words(sent)) < 6 or sent.endswith(("?", ":")) or _DIRECT.search(sent) or _PRONOUN_START.match(sent) \
                    or _PREFACE.search(split_sentences(sent)[0]):
                continue
            if not (_ABOUT_THE_ROLES.search(sent) or _PRACTICE.search(sent)):
                continue  # "To me the distinction is clear.": true of the article, says nothing to a manager
            out.append((s.id, sent))
    return out


def _quote_line(sources: list[Source], leaning: str) -> str | None:
    """A Drucker or Maxwell line, only when a given source holds it in the corpus's own words, and
    only when it speaks to the situation's side: a line about leaders alone ("Leaders become great…
    empower others") is no answer to a management need (a skipped handover checklist)."""
    from ..corpus.statements import corpus_statements

    by_passage = {s.passage_id: s for s in sources}
    for st in corpus_statements():
        src = by_passage.get(st.passage_id)
        if leaning == "management" and "manag" not in st.text.lower():
            continue
        if src and st.direct:
            text = st.text.rstrip(".")
            return f"As {st.speaker} put it, “{text}.” [{src.id}]"
    return None


# needs engaged at most (the reading's own cap)
MAX_NEEDS = 4
NEED_MIN = 0.10     # a corpus sentence less similar than this to a need is not offered as speaking to it
QUOTE_MAX_WORDS = 30  # over clauses.LONG_CLAUSE: a clause is quoted whole, its facts with it
_TRAIL = re.compile(r"[\s.!?,;:]+$")
# the joining word a clause kept from its sentence is not part of the thought: "and honestly I'm not sure…"
# is quoted as "honestly I'm not sure…" (still the manager's exact words, a substring of the situation)
# "…to three of them and" loses its "and"; "openly says so" keeps its "so" (only ", so" dangles)
_TAIL_JOIN = re.compile(r"(?:[\s,]+(?:and|but|or|then|and then)|,\s*so)+$", re.I)
_LEAD_JOIN = re.compile(r"^(?:(?:and|but|so|yet|or|also|then|and then)\b[\s,]*)+(?=\S)", re.I)


# "which helps and hurts: the brass section treat my emails as suggestions": the aside before the colon
# belongs to the thought before; the quotation starts where this one does
_LEAD_ASIDE = re.compile(r"^(?:which|who|that|and|but)\b[^:]{0,40}:\s+(?=\S)", re.I)


def _quote(text: str) -> str:
    """The manager's clause as a quotation: their exact words, cut to a readable length."""
    ws = _LEAD_JOIN.sub("", _LEAD_ASIDE.sub("", _TAIL_JOIN.sub("", _TRAIL.sub("", text.replace("“", "‘").replace(
        "”", "’").replace('"', "'"))))).split()
    q = " ".join(ws[:QUOTE_MAX_WORDS])
    q = q[0].lower() + q[1:] if q[:1].isupper() and not q[:2].isupper() and not q.startswith("I ") else q
    return f"“{q}”" + ("…" if len(ws) > QUOTE_MAX_WORDS else "")


def _needs(req: Request):
    """(clause, is_reply) for what this answer must engage: the reply's needs first on a follow-up."""
    out = []
    if req.reply and req.reply.strip() and req.reply_reading is not None:
        r = req.reply_reading
        out += [(c, True) for c in (r.needs(MAX_NEEDS) or r.clauses[:1]) if c.quotable]
    assert req.reading is not None, "the pipeline reads the situation before any engine writes"
    r = req.reading
    have = {c.text for c, _ in out}
    out += [(c, False) for c in r.to_engage(MAX_NEEDS + 2) if c.quotable and c.text not in have
            and not any(c.text in h for h in have)]
    return out[:MAX_NEEDS], r


# the floor for a need sure of its side, whose side (not the cosine) is the evidence: dev, paired answer phrase
NEED_MIN_SIDE = 0.03
# weight of "the labelled situations nearest to this need were answered by this sentence" (their vote
# shares sum to 1): on dev (each situation's own row never votes) the sentence paired with a need is a
# labelled answer phrase for 0.132 of situations at 0, 0.217 at 1.0, 0.236 at 1.5 and at 2.5
PHRASE_WEIGHT = 1.5
# |p(leadership) - 0.5| of a need at which only sentences (and questions) of its side may answer it: the
# cut that puts about half of the training needs past it (47% with the shipped clause model)
SURE_SIDE = 0.29


def _same_side(clause, p_sentence: float) -> bool:
    return (p_sentence >= 0.5) == (clause.p_leadership >= 0.5)


def _sure(clause) -> bool:
    """Is the need sure enough of its side that the side, not the cosine, is the evidence?"""
    return abs(clause.p_leadership - 0.5) >= SURE_SIDE


_NAMES_MANAGERS = re.compile(r"\bmanag(?:er|ers|ement)\b", re.I)
_NAMES_LEADERS = re.compile(r"\blead(?:er|ers|ership)\b", re.I)


def sentence_sides(texts: list[str], vecs) -> list[float]:
    """Which role an article's sentence speaks for, as a P(leadership) like a need's.

    The clause model reads managers' complaints, not the articles' prose: it put "Managers facilitate
    1-on-1's with their direct reports…" on leadership's side (0.71) and "When the metrics are in
    place…" on the fence, so needs sure of leadership's side were answered with them. An article
    sentence that names one role is that role's; otherwise its words are the evidence
    (``situation.vocabulary_score``: in the articles' own sentences the vocabulary is the side, unlike
    in a manager's). On dev, the sentence paired with a need held a labelled answer phrase for 0.302
    of situations instead of 0.292 (counting role words instead: 0.292; a sentence naming neither
    taking its passage's role: 0.283)."""
    import numpy as np

    from ..models.features import vocabulary_score

    out = []
    for text, vec in zip(texts, vecs):
        mgr, ldr = bool(_NAMES_MANAGERS.search(text)), bool(_NAMES_LEADERS.search(text))
        out.append(0.9 if ldr and not mgr else 0.1 if mgr and not ldr else 0.5 + 0.4 * float(np.tanh(vocabulary_score(vec))))
    return out


def _pairs(needs, cands: list[tuple[str, str]], sources: list[Source], scenario: str, leaning: str = "both"):
    """For each need, the best sentence of the sources about it (unused by another need).

    A need on the side the whole situation leans to (``leaning``) is answered from that side like a
    need sure of its side: the clause model put "we have no idea which system goes live first, who
    tests it, or when the old one is switched off" at 0.29, short of sure, and no sentence of the
    sources was close enough by cosine alone, so the situation's one problem went unanswered."""
    import numpy as np

    from ..embedding.cache import vectors

    if not cands or not needs:
        return [None] * len(needs), {}, []
    from ..models.neighbours import phrase_vote
    from ..common.text import normalize

    score = {s.id: s.score for s in sources}
    vecs = np.asarray(vectors([c[1] for c in cands]), dtype="float32")
    side = sentence_sides([c[1] for c in cands], vecs)
    svec = np.asarray(vectors([scenario])[0], dtype="float32")
    whole = vecs @ svec
    folded = [normalize(c[1]) for c in cands]
    practice = [bool(_PRACTICE.search(c[1])) for c in cands]
    # "what the articles say about it" is a sentence about managing, leading or one of their practices,
    # not the articles' asides ("We are at a turning point in this country with hordes of Baby Boomers…"
    # was paired with "the freezers were left open", its cosine 0.12 against the process line's 0.06)
    topical = [p or bool(_ABOUT_MANAGING_OR_LEADING.search(c[1])) for p, c in zip(practice, cands)]
    generic = [bool(_BOTH_ROLES.search(c[1])) for c in cands]
    sims = {}
    out, used = [], set()
    for clause, _ in needs:
        nv = np.asarray(clause.vec, dtype="float32")
        cos = vecs @ nv
        sims[clause.text] = cos
        agree = [_same_side(clause, p) for p in side]
        # what answered the labelled situations nearest to this need (their labelled phrases)
        votes = phrase_vote(svec, nv)
        answered = [sum(w for ph, w in votes.items() if ph in f) for f in folded]
        ranked = sorted(range(len(cands)), key=lambda i: -(cos[i] + 0.4 * whole[i] + 0.15 * score.get(cands[i][0], 0.0)
                                                            + 0.08 * agree[i] + 0.05 * practice[i]
                                                            + PHRASE_WEIGHT * answered[i]
                                                            - GENERIC_PENALTY * generic[i]))
        floor = NEED_MIN
        if (_sure(clause) or clause.side == leaning) and any(agree):
            # MiniLM's cosine between a manager's concrete words and the articles' abstract sentences is
            # small (0.0-0.2) and noisy: a need sure of its side is answered from that side only, and
            # the side, not the cosine, is then the main evidence that a sentence speaks to it
            ranked = [i for i in ranked if agree[i]]
            floor = NEED_MIN_SIDE
        pick = next((i for i in ranked if cands[i][1] not in used and cos[i] >= floor and topical[i]), None)
        if pick is not None:
            used.add(cands[pick][1])
        out.append(pick)
    return out, sims, side


def _question(clause) -> str | None:
    """The reflective question for this need (``coach.engines.questions``: chosen by what the need is about)."""
    from ..models.poles import lens_for
    from .questions import question_for

    if clause.vec is None:
        return None
    axes = tuple(d.name for d in lens_for(clause.vec).dimensions[:2])
    return question_for(clause.vec, clause.side, _sure(clause), axes).text


# more of the manager's thoughts mirrored without a pairing
MAX_ALSO = 2
# "who's been put in charge of…" leans on the clause before it: quoted alone it reads as a fragment
_RELATIVE = re.compile(r"(?:who|who's|which|whom|whose)\b", re.I)


def _also(reading, quoted: set[str]) -> list:
    """Up to MAX_ALSO more of the manager's thoughts, so the answer holds what they told (the tour to
    Japan, "they already call us 'the old ones'") and not only the needs it pairs with passages:
    problems not yet answered first, then what they name in other words, then the rest; in text order."""
    def free(c) -> bool:
        return (c.text not in quoted and not any(c.text in q or q in c.text for q in quoted)
                and len(words(c.text)) >= 4 and c.quotable and not _RELATIVE.match(_LEAD_ASIDE.sub("", c.text))
                and not c.heading)  # "the problem is the basics" says less than the problems it announces

    rest = [c for c in reading.clauses if free(c)]
    # the fullest thoughts first: a four-word aside ("I know every musician") says less than the tour
    ranked = sorted(rest, key=lambda c: (not c.problem, not c.named, -len(words(c.text))))[:MAX_ALSO]
    return sorted(ranked, key=reading.clauses.index)


def compose(req: Request) -> Draft:
    sources = req.sources
    needs, reading = _needs(req)
    cands = _sentences(sources)
    picks, sims, side = _pairs(needs, cands, sources, req.scenario, req.lens.leaning)

    parts = [f"**Where your situation sits: {LEANING_PHRASE.get(req.lens.leaning, LEANING_PHRASE['both'])}.**"]
    mirror: list[str] = []
    engage = {c.text for c, _ in needs}
    works = [c for c in reading.works if len(words(c.text)) >= 3 and c.quotable and c.text not in engage]
    if works and not req.reply:
        # what works (a strength is not a need), or the setting the manager starts from; a second
        # strength too, when the manager names one: it is what the needs are set against
        strengths = [c for c in works[1:] if not c.neutral][:1]
        said = ", and that ".join(_quote(c.text) for c in works[:1] + strengths)
        working = sum(not c.neutral for c in works[:1] + strengths)
        tail = ("", ", and that part is working" if not strengths else ": that part is working",
                ": those parts are working")[working]
        mirror.append(f"You wrote that {said}{tail}.")
        engage |= {c.text for c in works[:1] + strengths}
    used: set[str] = set()
    for (clause, is_reply), pick in zip(needs, picks):
        said = "You replied that" if is_reply else "You wrote that"
        line = f"{said} {_quote(clause.text)}."
        if pick is not None:
            sid, sent = cands[pick]
            used.add(sent)
            line += f" {sent} [{sid}]"
        mirror.append(line)
    also = [] if req.reply else _also(reading, engage)
    if also:
        mirror.append("You also wrote that " + ", and that ".join(_quote(c.text) for c in also) + ".")
    parts.append("**What you describe, and what the articles say about it.**")
    parts.append("\n\n".join(mirror))

    quote = _quote_line([s for s in sources if s.score >= QUOTE_SOURCE_MIN], req.lens.leaning)
    if quote:
        parts.append(quote)

    qs: list[tuple[Clause, str]] = []
    for clause, _ in needs:
        q = _question(clause)
        if q and q not in {x[1] for x in qs}:
            qs.append((clause, q))
    if qs:
        parts.append("**Questions about your situation.**")
        parts.append("\n".join(f"- About {_quote(c.text)}: {q[0].lower() + q[1:]}" for c, q in qs))

    steps: list[tuple[Clause, str]] = []
    if cands and needs:
        best_per: list[tuple[float, str, str, Clause]] = []
        for n, (sid, sent) in enumerate(cands):
            if sent in used or not _STEP.search(sent) or _DEFINES.match(sent):
                continue
            # as in the pairing, a need sure of its side takes steps from that side only ("feel like cogs"
            # was given "When the metrics are in place, we can then hold our people accountable")
            allowed = [(float(sims[c.text][n]), c) for c, _ in needs if not _sure(c) or _same_side(c, side[n])]
            if not allowed:
                continue
            best = max(allowed, key=lambda x: x[0])
            sure = _sure(best[1]) and _same_side(best[1], side[n])
            if best[0] >= (NEED_MIN_SIDE if sure else NEED_MIN):
                best_per.append((best[0], sid, sent, best[1]))
        for _, sid, sent, clause in sorted(best_per, key=lambda x: -x[0]):
            if sent in used:
                continue
            steps.append((clause, f"- {sent} [{sid}]"))
            used.add(sent)
            if len(steps) == MAX_STEPS:
                break
    if steps:
        focus = list(dict.fromkeys(c.text for c, _ in steps))
        parts.append(f"**Next steps the articles describe, for {' and '.join(_quote(t) for t in focus[:2])}.**")
        parts.append("\n".join(line for _, line in steps))
    return Draft(text="\n\n".join(parts) + "\n", model="extractive")


QUOTE_SOURCE_MIN = 0.5  # a Drucker or Maxwell line only when its passage is this relevant to the situation
