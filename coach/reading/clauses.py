"""Cutting a manager's text into clauses, each read as working, going wrong or neutral context.

Split out of ``coach.reading.situation`` (which reads the clauses for their needs and leaning) because the
cutting is where a manager's own words are kept whole: every clause is a slice of their text, so the
answer can quote it back as theirs. The cues are words, chosen and checked by grouped CV on the dev
split (``python -m training.need_train --cv``): each change to them is kept only if the lens and the
sources do not fall.
"""
from __future__ import annotations

import re

from ..common.seams import Clause
from ..common.text import split_sentences, words
from ..common.words import alternation

_CONTRAST = re.compile(
    r"(?:,|;|—|–| -)?\s+\b(but|yet|however|although|though|even though|while|whereas)\b[,]?\s+", re.I)
# ", though," set off by commas is "however" (it turns against the sentence before), not "although": in
# "Since we moved in the summer, though, repairs go into a box", the move is not what works
_THOUGH_ASIDE = re.compile(r",\s*though\s*,", re.I)
_LEAD_CONTRAST = re.compile(r"^\s*(although|though|even though|while|whereas|despite)\b", re.I)
_SEMI = re.compile(r"\s*;\s*|\s+[—–]\s+")
# what goes wrong, what works, what makes a piece a thought: lists in coach/reading/words.yaml
_PROBLEM = re.compile(r"\b(" + alternation(__file__, "problem") + r")\b", re.I)
_WORKS = re.compile(r"\b(" + alternation(__file__, "works") + r")\b", re.I)
# a fault denied is a strength ("I haven't failed one in eleven years", "we never missed a delivery")
_NO_FAULT = re.compile(r"\b(?:haven't|hasn't|have not|has not|never|not once|no)\s+(?:\w+\s+)?"
                       r"(?:failed|fail|missed|miss|lost|dropped|had a complaint|complaints?)\b"
                       # praise said with a negative word ("the clinical vision here is second to none")
                       r"|\b(?:second to none|without fail|no doubt)\b"
                       # "our values and purpose are never the problem", "nobody is to blame exactly"
                       r"|\b(?:never|not|isn't|aren't|wasn't|weren't) (?:the|a|an) (?:problem|issue)\b"
                       r"|\b(?:nobody|no one|no-one) is (?:really )?to blame\b|\b(?:nobody|no one)'s fault\b", re.I)
# clumsy negations and sameness ("dont know how to do the audit", "cast the same actor")
_SAID = re.compile(r"\b(dont|cant|doesnt|didnt|wont|isnt|arent|wasnt|werent|havent|hasnt|couldnt|wouldnt|same(?!-))\b",
                   re.I)  # "same-day", "same-sex": a compound, not sameness
# what the manager says they need is a need, whatever its words ("I need a process for the handoffs",
# "the board expects a three-year view", "how do I set up ordering for two sites?")
_NEED = re.compile(r"\b(need|needs|must|have to|has to|had to|supposed to|expects?|expected|wants? (?:me|us|them|a|an|the|my|our)|"
                   r"how (?:do|can|should|would) (?:i|we)|what (?:do|should) (?:i|we)|should i|where (?:do|should) (?:i|we))\b", re.I)
# a sentence that opens by setting itself against what came before is what is going wrong ("Still my
# team leads act like clerks", "Meanwhile the board expects…")
_TURN = re.compile(r"\s*(?:but|however|yet)\b", re.I)
_LEAD_AFTER = re.compile(r"(?:^|[.!?;]\s+)(still|yet|meanwhile|however|but|only|except|instead)\b", re.I)


_WORK_AS_JOB = re.compile(r"\bwork(?:s|ing|ed)?\s+(?:on|at|in|as|from|nights?|shifts?|overtime|weekends?)\b", re.I)


def says_it_works(text: str) -> bool:
    """The manager says, in so many words, that this works ("the food is great", "we never missed a
    delivery"): only such a clause is told back as what works, not one merely read as no problem."""
    text = _WORK_AS_JOB.sub(" ", text)   # "going to work on the salmon farms" is a job, not praise
    return bool(_WORKS.search(text) or _NO_FAULT.search(text))


# A sentence that announces what is wrong ("The problem is the basics.", "What goes wrong is the ordinary
# stuff.", "What worries me is outside the gate.") heads the problems the sentences after it list in plain
# words ("Routes are planned by whoever arrives first", "Two of our biggest buyers are building their own
# mills"): those are problems, and the heading itself, when short, is not a need to answer on its own.
_ANNOUNCE = re.compile(
    r"^\s*(?:but\s+|and\s+|so\s+)?(?:(?:the|my|our)\s+(?:real\s+|main\s+|big\s+|bigger\s+|biggest\s+|only\s+|one\s+)?"
    r"(?:problem|issue|trouble|worry|headache|difficulty|challenge|snag|catch)s?\s+(?:is|are|was|were)\b|"
    r"what (?:goes|is going|went|keeps going|has gone) wrong\b|what (?:worries|bothers|concerns|scares) me\b|"
    r"(?:here'?s|this is) (?:the|my) (?:problem|issue|thing)\b|(?:the )?(?:problems?|issues?)\s*:)", re.I)
# words at most of a sentence that only announces the problems ("The problem is the basics."): longer ones say one
HEADING_MAX = 8


def _clean(text: str) -> str:
    return " ".join(text.strip(" ,;:-–—").split())


# words past which a clause is cut again at a comma or joining word: grouped CV on dev (training.need_train --cv) kept 25
LONG_CLAUSE = 25
# a lower-case "i" opens a new thought in run-on English only when a verb of saying, knowing or having
# follows ("…every week i dont know who…"); "the same guys i drink beer with" is one thought
_NEW_I = r"(?-i:i)(?=\s+(?:dont|don't|cant|can't|need|want|think|feel|try|tried|say|said|have|had|am|was|will|must|" \
         r"find|found|know|never|always|also|just|really|still|do|did|told|asked|tell|see|saw)\b)"
_JOINS = re.compile(r",\s+(?=\w)|\s+(?=\b(?:and then|and now|so|then|because|which|who|when|and they|and i|and we|"
                    r"and he|and she|and it|they|nobody|" + _NEW_I + r")\b)", re.I)
# a thought does not end on the word that opens its next part ("they dont listen when | i say…")
_OPENS = re.compile(r"\b(?:when|that|if|because|where|as|than|before|after|until|while|whether|what|how|why|who)\s*$",
                    re.I)


# "nobody set rules for who takes app jobs": after a preposition or a verb of knowing, "who/which/when"
# opens the object of the thought, not a new one
_OBJECT_CLAUSE = re.compile(r"(?:who|which|when)\b", re.I)
# "half of them are scared | they'll be pushed out": what one is afraid or sure of is part of the thought
# … and what one says or thinks ("my general managers say | they don't know what I expect of them")
_FEELS = re.compile(r"\b(?:scared|afraid|worried|convinced|certain|aware|say|says|said|think|thinks|thought|feel|feels|"
                    r"felt|claim|claims|claimed|insist|insists|insisted|complain|complains|complained)\s*$", re.I)
_PRONOUN = re.compile(r"(?:they|i|we|he|she|it|nobody)\b", re.I)
_PRONOUN_ANY = re.compile(r"\b(?:they|i|we|he|she|it|nobody|you)\b", re.I)
_TAKES_OBJECT = re.compile(r"\b(?:for|about|of|to|on|with|over|at|in|by|from|into|know|knows|knew|ask|asks|asked|"
                           r"decide|decides|decided|sure|clear|unclear|idea|"
                           r"(?:tell|tells|told|show|shows|showed|remind|reminded) (?:you|me|us|them|him|her))\s*$", re.I)
# "…and nobody here, me included, | has asked what the business looks like in five years": a piece that
# opens on a verb is the predicate of the piece before it (its subject set off by commas), not a thought
_VERB_FIRST = re.compile(r"(?:has|have|had|is|are|was|were|will|would|can|could|should|does|did|do|keeps|kept)\s",
                         re.I)
# "…to forty people | who like the old way", "suppliers get paid late | because invoices sit on my desk": a
# relative clause without a comma, or a cause, completes the thought before it; quoted alone it reads as a
# fragment ("because no one explained the aftercare"). Joined while the whole stays quotable.
_BOUND = re.compile(r"(?:who|whom|whose|because)\b", re.I)
# words at most of a clause joined with its relative or causal tail: past it the whole is too long to quote back
BOUND_MAX = 22
# ", uniforms or the budget": the end of a list ("what it means for check-in, uniforms or the budget") is
# not a thought of its own
_LIST_END = re.compile(r"(?:[\w'-]+\s+){1,3}(?:or|and|and the|or the|or a)\s+[\w'-]+(?:\s+[\w'-]+)?\s*[.!?]?\s*$", re.I)
_SUBORDINATE = re.compile(r"\s*(?:since|ever since|now that|when|whenever|after|before|once|as soon as|if|until|"
                          r"because|as)\b", re.I)
# "the director has handed me the unit's budget, | the freezer contracts, | the testing schedules…": a piece
# after a comma that opens on a determiner and holds no verb is the next item of a list, not a thought
_NOUN_ITEM = re.compile(r"(?:and\s+|or\s+)?(?:the|a|an|our|my|their|his|her|its|this|that|these|those|some|all|"
                        r"every|each|two|three|four|five|six|\d+)\b", re.I)
_VERBISH = re.compile(r"\b(?:" + alternation(__file__, "verbs") + r")\b", re.I)
_TAIL_AND = re.compile(r",?\s+(?:and|or|but|so)$", re.I)
_LEAD_AND = re.compile(r"^(?:and then|and|so)\s+(?=\w)", re.I)
_BARE = {"and", "or", "so", "but", "then", "and then", "and now"}
_QUOTED = re.compile(r"(?:^|(?<=\s))['‘\"“][^\s'‘’\"“”].*?['’\"”](?=[\s,.;:!?)]|$)")


def _semi_split(text: str) -> list[str]:
    """``text`` cut at semicolons and dashes, except that what a dash sets off as a list or a "with…"
    ("I'm good at running a home — rotas, budgets, inspections", "the October tour to Japan — flights,
    freight, visas — with no handover notes") stays with the thought it belongs to. Pieces are slices."""
    cuts = list(_SEMI.finditer(text))
    spans: list[tuple[int, int, str]] = []   # (start, end, the separator after the piece)
    start = 0
    for m in cuts + [None]:
        end = m.start() if m else len(text)
        spans.append((start, end, m.group() if m else ""))
        start = m.end() if m else len(text)
    out: list[tuple[int, int, str]] = []
    for a, b, sep in spans:
        piece = text[a:b]
        after_dash = bool(out) and out[-1][2].strip() in ("—", "–")
        if after_dash and ("," in piece or piece.lower().startswith(("with ", "without "))):
            out[-1] = (out[-1][0], b, sep)  # joined: the slice runs on to this piece's end
        else:
            out.append((a, b, sep))
    return [text[a:b] for a, b, _ in out]


def _split_long(text: str) -> list[str]:
    """A clause of more than LONG_CLAUSE words (run-on English, no punctuation) cut where it joins
    another thought, into pieces of at least four words, so each can be quoted whole. Pieces are
    slices of the text: rejoined short pieces keep their commas (a quotation is the manager's exact
    words, punctuation included)."""
    if len(text.split()) <= LONG_CLAUSE:
        return [text]
    spans: list[list[int]] = []   # [start, end] of each piece in ``text``
    start = 0
    # words the manager quotes ("I've already heard 'he's one of us, he'll understand'") stay whole
    quoted = [q.span() for q in _QUOTED.finditer(text)]
    joins = [m for m in _JOINS.finditer(text) if not any(a < m.start() < b for a, b in quoted)
             and not (_OBJECT_CLAUSE.match(text, m.end()) and _TAKES_OBJECT.search(text, 0, m.start()))
             and not _OPENS.search(text, 0, m.start())
             and not (_PRONOUN.match(text, m.end()) and _FEELS.search(text, 0, m.start()))]
    opening = bool(_SUBORDINATE.match(text))  # "Since we moved in the summer, | repairs go into a box"
    for m in joins + [None]:
        end = m.start() if m else len(text)
        piece = text[start:end]
        after_comma = text[start - 2:start - 1] == ","
        if opening and len(spans) == 1 and after_comma and len(piece.split()) >= 4:
            opening = False
            spans[-1][1] = end  # the clause it opens is the thought; the opening alone is not one
            start = m.end() if m else len(text)
            continue
        if m is not None and piece.strip(" ,").lower() in _BARE:
            start = m.end()  # "…who like the old way, | and | nobody has told me": the bare "and" is dropped
            continue
        joined = len(text[spans[-1][0]:end].split()) if spans else 0
        if spans and (len(piece.split()) < 4 or len(text[spans[-1][0]:spans[-1][1]].split()) < 4
                      or _VERB_FIRST.match(piece)
                      or (_BOUND.match(piece) and not after_comma and joined <= BOUND_MAX)
                      or (len(piece.split()) <= 5 and _LIST_END.fullmatch(piece) and _PRONOUN_ANY.search(piece) is None)
                      or (after_comma and _NOUN_ITEM.match(piece)
                          and not _VERBISH.search(piece) and _PRONOUN_ANY.search(piece) is None)):
            spans[-1][1] = end
        else:
            spans.append([start, end])
        start = m.end() if m else len(text)
    # a piece quoted back does not open or end on the "and" that joins it to the next
    return [_TAIL_AND.sub("", _LEAD_AND.sub("", text[a:b].strip(" ,"))) for a, b in spans]


def clauses(text: str) -> list[Clause]:
    """Sentences cut at contrast markers, each read as working or going wrong."""
    out: list[Clause] = []
    announced = False
    sents = [s for s in split_sentences(" ".join(text.split())) if words(s)]
    if len(sents) == 1 and len(words(sents[0])) > 60:  # one run-on paragraph without punctuation
        sents = [s for s in re.split(r"\s+(?=\band then\b|\bso\b|\band now\b)", sents[0]) if words(s)]
    for n, sent in enumerate(sents):
        pieces: list[tuple[str, str | None]] = []   # (text, "before" | "after" | None contrast role)
        lead = _LEAD_CONTRAST.match(sent)
        if _THOUGH_ASIDE.search(sent) and len(_CONTRAST.findall(sent)) == 1:
            pieces = [(sent, "after")]  # one thought, turned against the sentence before
        elif lead and "," in sent:
            head, tail = sent.split(",", 1)
            pieces = [(head, "before"), (tail, "after")]
        else:
            parts = _CONTRAST.split(sent)
            # parts = [text, marker, text, marker, text...]
            first = parts[0]
            # "…every checklist is signed. But when I ask whether anything worries them, 60 people stare at the
            # floor": a sentence that opens by turning against the one before is what is going wrong
            pieces.append((first, "before" if len(parts) > 1 else ("after" if _TURN.match(sent) else None)))
            for i in range(1, len(parts) - 1, 2):
                marker, rest = parts[i].lower(), parts[i + 1]
                if marker in ("although", "though", "even though", "while", "whereas"):
                    # "X although Y": Y is what works, X what is wrong
                    prev_text, _ = pieces[-1]
                    pieces[-1] = (prev_text, "after")
                    pieces.append((rest, "before"))
                else:
                    pieces.append((rest, "after"))
        split_more: list[tuple[str, str | None]] = []
        for t, role in pieces:
            for sub in _semi_split(t):
                for part in _split_long(sub):
                    split_more.append((part, role))
        for t, role in split_more:
            t = _clean(t)
            if len(words(t)) < 2:
                continue
            neg = bool(_PROBLEM.search(_NO_FAULT.sub(" ", t)))
            pos = bool(_WORKS.search(t))
            named = bool(_NEED.search(t) or _SAID.search(t) or _LEAD_AFTER.search(t))
            if neg:
                problem = True
            elif role == "after" or (announced and not pos):
                problem = True
            elif role == "before" or pos:
                problem = False
            else:
                problem = None  # neutral: decided below
            announces = bool(_ANNOUNCE.match(t))
            if announces:
                problem = True
            out.append(Clause(t, bool(problem), n, neutral=problem is None, named=named,
                              heading=announces and len(words(t)) <= HEADING_MAX, praised=says_it_works(t)))
        announced = announced or bool(_ANNOUNCE.match(sent))
    if out and not any(c.problem for c in out):
        # nothing reads as going wrong: the whole text is the need (a terse "how do I..." question)
        for c in out:
            if c.neutral or not _WORKS.search(c.text):
                c.problem = True
        if not any(c.problem for c in out):
            for c in out:
                c.problem = True
    return out
