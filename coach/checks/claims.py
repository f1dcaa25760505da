"""Claims by kind: a coaching sentence split into its parts, each checked against its own source of truth.

A coach's sentence mixes three kinds of content (../shared/DESIGN.md, "three kinds of content"):
- *your words*: what the manager wrote, quoted or restated; true when their situation says it;
- *the articles*: what the articles, management or leadership say; true when the cited passage says it;
- *a suggestion* (a step, a question, the coach's own reading of the situation): neither true nor false,
  but it must apply an idea the cited passage really holds and smuggle in no new fact, number, study or
  authority.
Scoring every sentence as a copy of one passage marked the most useful sentences ⚠ (a step that applies
a passage to a kitchen adds the kitchen's nouns). So a sentence is cut at its joints (":", ";", dashes) into
parts; quotations are checked on their own (``coach.checks.quotes``); each part gets a kind by its form and
is checked for that kind; the sentence passes when every part does, and a warning names the part that
failed and why.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..common.text import cited_ids, words
from ..common.words import alternation
from ..feedback import ClaimPart
from . import tuning
from .asides import new_number, reported_aside
from .signals import CALENDAR
from .labels import ARTICLES, NOT_IN_ARTICLES, NOT_IN_SITUATION, OUTSIDE_FACT, SUGGESTION, YOUR_WORDS
from .reversals import QUOTE as _QUOTE, hands_off, role_swapped_idea, role_swapped_words, sets_aside

if TYPE_CHECKING:
    from .support import Situation


# a list's own number or a step's label, not a claim: "**1. …", "2) …", "*Step this week:*"
_LABEL = re.compile(r"^\W*(?:\d{1,2}[.)]\s+|(?:step|next step|first step|step this week|question|to think about)\W*:\W*)",
                    re.I)
# a colon right before a quotation introduces it ("The articles call this X: “…”, as Maxwell put it"): the
# quotation is what the words before it mean, so the two are read together, not cut apart
_JOINT = re.compile(r"\s*(?::(?!\s+\x00)|;|\s[—–]\s|\s-\s)\s+")
_CITE = re.compile(r"\[\s*S\d+(?:\s*[,;]\s*S?\d+)*\s*\]")
# the manager's words restated: "you wrote that …", "you say …", "your team is …" (not advice)
_SAYS_YOU = re.compile(r"\b(?:you|the manager)\s+(?:(?:have|had|also)\s+)?(?:said|say|wrote|write|mention(?:ed|s)?|"
                       r"describe[ds]?|told|tell|note[ds]?|explain(?:ed|s)?|report(?:ed|s)?|share[ds]?|add(?:ed|s)?)\b", re.I)
_YOU_STATE = re.compile(r"^\W*(?:you(?:'re|'ve| are| were| have| had| run| lead| manage)|your\s+[\w' -]{1,40}?\s+"
                        r"(?:is|are|was|were|has|have|had|keeps?|kept|feel|feels|say|says|said|do|does|did|don't|"
                        r"doesn't|didn't|can't|won't|ships?|shipped|runs?|ran)\b)", re.I)
# a suggestion: an imperative, a modal of advice, a step's or a question's lead-in, the coach's own reading
_IMPERATIVE = re.compile(
    r"^\W*(?:(?:this|next) week[,:]?\s*|first[,:]?\s*|then,?\s*|also,?\s*|instead,?\s*|today[,:]?\s*|tomorrow[,:]?\s*|"
    r"(?:a |one )?(?:step|next step|first step)[,:]\s*)?"
    r"(?:please\s+)?(?:don't\s+|do not\s+|never\s+|always\s+)?"
    r"(?:" + alternation(__file__, "advice_verbs") + r")\b", re.I)  # the verbs: coach/checks/words.yaml
_MODAL = re.compile(r"\b(?:you|we|they)\s+(?:could|should|might|may|can|will want to|may want to|need to|have to|"
                    r"must|want to|ought to|would do well to)\b|\b(?:it\s+(?:may|might|could|would)\s+help|"
                    r"could help|is worth|would help|worth trying|start(?:ing)? (?:with|by)|the first step|"
                    r"ask yourself|to think about|a good first)\b", re.I)
# the coach's own reading of the situation, said about the manager's words ("what you describe missing is…",
# "your plan … is leadership work"): a suggestion, not a restatement
_READING_FIRST = re.compile(r"\bwhat you describe (?:as )?missing\b|\bwhat you describe (?:points|sounds|looks|is)\b|"
                            r"\bpoints? (?:less |more )?to\b|\bthis is (?:not |mostly |a |an )|\bthat part (?:is )?work|\b(?:is|are) "
                            r"(?:mostly )?(?:management|leadership) work\b|\b(?:will|would) not reach\b|\bfits?\b|"
                            r"\bdoes not fit\b|\bcalls? (?:\w+ )?for\b|\bnot (?:as )?a first step\b|\bnot on its own\b|"
                            r"\bhelps but\b|\bwhere your situation sits\b|\bnothing (?:in )?(?:what )?you (?:wrote|write|"
                            r"said|say|describe)|"
                            # the verdict's own halves: "Leadership is needed to get them talking", "…: management
                            # (the rota, the stock count) and leadership (…)", "management so the sites run without you"
                            r"^\W*(?:management|leadership)(?:\s+(?:is|are)\s+(?:needed|required|what is needed)\b|"
                            r"\s*\(|\s+so\b)", re.I)
_READING = re.compile(r"\b(?:missing|what works|that part works|is working|calls? (?:\w+ )?for|fits?\b|does not fit|"
                      r"won't fit|will not reach|not enough|not on its own|first step|the gap|the need|sits|leans?|"
                      r"a (?:management|leadership) (?:question|problem|need|gap)|(?:management|leadership) work|"
                      r"both roles|not (?:as )?a first step|not yet|yes|no)\b", re.I)
# what the articles say: an explicit reference, or the roles as the subject of a general statement
# ("Managers hold team meetings…", "A leader must set direction…"); "the management side works" or
# "what is missing is leadership" use the words as the coach's reading, not as the articles' claim
_ARTICLES = re.compile(r"\b(?:the articles?|the passages?|the author|according to|drucker|maxwell|s\d+ says|"
                       r"(?:it|they|which|this) (?:says|calls(?! (?:\w+ )?for\b)|describes|puts it|notes|adds))\b|"
                       r"^\W*(?:(?:and|but|so|while|also|yet)\s+)?(?:a |the |good |great |most |strong |every |the best )?"
                       r"(?:managers?|leaders?|management|leadership)(?:['’]s)?[\s,]+(?!side\b|gap|piece|part|work\b|"
                       r"basics|problem|thread|question|need|half|bit|is missing|are missing|is what|in your)", re.I)
# a claim about the articles said outright ("The article recommends…"): checked against them whatever it says
_ARTICLE_CLAIM = re.compile(r"\b(?:the|this|that|these|both) (?:articles?|passages?|author)\s+(?:also\s+|exactly\s+)?"
                            r"(?:recommends?|notes?|says?|suggests?|advises?|warns?|describes?|calls?|puts?|argues?|"
                            r"holds?|credits?|pairs?|adds?|cautions?|shows?|states?|treats?|links?|sees?|frames?)\b|"
                            r"\baccording to the (?:articles?|passages?|author)\b|\bin the (?:article|passage)['’]s words\b", re.I)
# what a suggestion may not bring in: statistics, studies, authorities (numbers of time are a step's own)
_STUDY = re.compile(r"\b(?:stud(?:y|ies)|research|surveys?|data|evidence|statistics|figures|polls?)(?:\s+[\w-]+){0,5}?\s+"
                    r"(?:shows?|showed|found|finds|suggests?|suggested|proves?|proved|indicates?|confirms?|puts?|"
                    r"reports?|estimates?|links?)\b|\b(?:stud(?:y|ies)|surveys?|research) (?:of|on|into)\b|"
                    r"\b(?:researchers?|scientists|psychologists|experts? (?:say|agree|recommend|suggest|found|warn))\b|"
                    r"\b(?:harvard|gallup|mckinsey|deloitte|gartner|forbes)\b|\baccording to (?!the (?:articles?|passages?|"
                    r"author|manager)|you|your)|%|\bper ?cent\b", re.I)
# a lead-in that says the articles are about to speak ("The passages put it directly: …"): it claims nothing itself
_LEAD_IN = re.compile(r"^\W*(?:as\s+)?(?:the|this|that|one|both|these)\s+(?:articles?|passages?|author)\s+(?:\w+\s+){0,2}?"
                      r"(?:it|this|so|that)(?:\s+\w+ly)?\W*$", re.I)
_TIME_NUMBER = re.compile(r"\b(?:minutes?|mins?|hours?|days?|weeks?|months?|quarters?|years?|times?|sessions?|"
                          r"meetings?|steps?|things?|items?|questions?|ideas?|people|person|decisions?|goals?|"
                          r"one-on-ones?|1-on-1s?|minute|hour|day|week|month|weekly|daily|monthly)\b", re.I)


@dataclass
class Context:
    """What a sentence's parts are checked against."""

    by_id: dict
    all_texts: list[str]
    situation: "Situation"
    corpus_text: str
    whole_corpus: bool = False
    corpus_names: set[str] = field(default_factory=set)


def split_parts(raw: str) -> list[str]:
    """The sentence cut at its joints (":", ";", a dash), quotations kept whole; a piece too short to say
    anything on its own ("Yes", "Not yet") stays with the next one."""
    masked, quotes = raw, []

    def keep(m: re.Match) -> str:
        quotes.append(m.group(0))
        return f"\x00{len(quotes) - 1}\x00"

    masked = _QUOTE.sub(keep, raw)
    pieces = [p for p in _JOINT.split(masked) if p and p.strip()]
    merged: list[str] = []
    carry = ""
    for p in pieces:
        p = (carry + ": " + p) if carry else p
        if len(words(re.sub(r"\x00\d+\x00", "q", p))) < tuning.MIN_PART_WORDS:
            carry = p
            continue
        merged.append(p)
        carry = ""
    if carry:
        merged = merged[:-1] + [merged[-1] + ": " + carry] if merged else [carry]
    return [re.sub(r"\x00(\d+)\x00", lambda m: quotes[int(m.group(1))], p) for p in merged]


def kind_of(part: str, has_cite: bool) -> str:
    """What a part says, by its form: the manager's situation, the articles, or the coach's suggestion."""
    bare = _QUOTE.sub(" QUOTED ", part)
    if _ARTICLE_CLAIM.search(bare):
        return ARTICLES
    if _READING_FIRST.search(bare):
        return SUGGESTION
    if _SAYS_YOU.search(bare) or _YOU_STATE.search(bare):
        return YOUR_WORDS
    if _IMPERATIVE.match(bare) or _MODAL.search(bare) or bare.rstrip().endswith("?"):
        return SUGGESTION
    if _ARTICLES.search(bare):
        return ARTICLES
    if _READING.search(bare):
        return SUGGESTION
    return YOUR_WORDS if re.search(r"\b(?:you|your)\b", bare, re.I) else SUGGESTION


def _manager_quotes_out(text: str, scenario: str) -> str:
    """The text without the manager's own quoted words (their truth is the situation's, checked apart)."""
    from ..corpus.statements import contains_words

    def drop(m: re.Match) -> str:
        inner = m.group(0)[1:-1]
        return "" if contains_words(scenario, inner.rstrip("…")) else m.group(0)

    return " ".join(_QUOTE.sub(drop, text).split())


def outside_fact(text: str, ctx: Context, passages: list[str]) -> str | None:
    """A number, a study or an authority that neither the situation nor the passages hold."""
    from ..common.text import number_values, same_number
    from .support import TOOL, hard_fail

    study = _STUDY.search(text)
    if study and "%" not in study.group(0) and "cent" not in study.group(0).lower() and \
            not re.search(re.escape(study.group(0)), ctx.situation.text + " " + " ".join(passages), re.I):
        return f"it brings in {study.group(0).strip()!r}, which neither your situation nor the articles mention"
    have = [v for p in passages + [ctx.situation.text] for _, v in number_values(p)]
    theirs = [v for _, v in number_values(ctx.situation.text)]
    # a figure worked out from theirs counts only beside one of their own figures ("10 checkouts … is about 460")
    beside = sum(any(same_number(v, x) for x in theirs) for _, v in number_values(text)) > 0
    derived = _arithmetic(theirs) if beside else set()
    for written, v in number_values(text):
        if not any(ch.isdigit() for ch in written) and not written.lower().endswith("%"):
            continue
        percent = "%" in written or re.match(r"\s*(?:per ?cent|percent)", text[text.find(written) + len(written):])
        if any(same_number(v, x) for x in have) or (not percent and any(same_number(v, x) for x in derived)):
            continue  # the manager's own number, or one worked out from theirs (45 x €12 = €540)
        before = text[:text.find(written)][-12:].lower()
        if re.search(r"(?:point|step|item|number|option|question|no\.|#|part|phase)\s*$", before):
            continue  # "point 1": a place in the answer, not a fact
        after = text[text.find(written) + len(written):][:24]
        if re.match(r"-on-\d", after) or re.search(r"\d-on-$", before):
            continue  # "a short 1-on-1 with each person": a meeting's name, not a number
        if _TIME_NUMBER.match(after.strip(" -")) and "%" not in written:
            continue  # "a 15-minute meeting", "for two weeks": a step's own measure, not a fact
        return f"the number {written} is in neither your situation nor the articles"
    reason = hard_fail(text, passages, ctx.corpus_text, ctx.situation.text)
    if reason and "names " in reason:
        name = reason.split("names ", 1)[1].split(",")[0]
        known = set(words(ctx.situation.text)) | CALENDAR
        ws = words(name)
        while ws and (ws[0] in _OPENERS or ws[0].endswith(("ing", "ed", "ly")) or _IMPERATIVE.match(ws[0])):
            ws = ws[1:]   # "Giving Marco", "Ask Rahim", "Once Nino": a capitalised first word, then the name
        if all(w in known for w in ws) or TOOL.fullmatch(" ".join(ws)):
            return None  # the manager's own people and places, a month or a day, a tool: not someone from nowhere
    return reason if reason and "number" not in reason else None


def _arithmetic(values: list[float]) -> set[float]:
    """Sums, differences, products and ratios of two of the manager's numbers (a coach may work them out)."""
    vals = list(dict.fromkeys(values))[:tuning.ARITHMETIC_NUMBERS]
    out: set[float] = set()
    products = set()
    for i, a in enumerate(vals):
        for b in vals[i + 1:]:
            out.update({a + b, abs(a - b), a * b})
            products.add(a * b)
            if a and b:
                out.update({round(a / b, 2), round(b / a, 2), round(100 * a / b, 1), round(100 * b / a, 1)})
    # one step further, as a coach works a figure out: 10 rooms x 40 min + 4 x 15 = 460; 45 x €12 / €6 = 90
    for p in list(products):
        out.update({round(p / v, 2) for v in vals if v})
        out.update({p + q for q in products} | {abs(p - q) for q in products})
    return out


_OPENERS = set("since until after before by on in at from during every each next last this your our my once have use "
               "when if while between through across around within without for with about among under over".split())


# a fact said about the manager's world: an event in time ("after the Henderson filing", "in the spring",
# "last Friday") or something done or said ("has already told you", "pushed back", "was scrapped")
_WHEN = (r"last (?:week|month|year|quarter|spring|summer|autumn|fall|winter|monday|tuesday|wednesday|thursday|friday|"
         r"saturday|sunday|weekend|time|one|review|meeting|round)|in the (?:spring|summer|autumn|fall|winter|past)|"
         r"at the last|since the|after the|earlier this|this (?:morning|spring|summer|autumn|winter)|"
         r"yesterday|(?:\w+ )?ago\b|in (?:january|february|march|april|may|june|july|august|september|october|"
         r"november|december)")
# "replacing him would remove what already works" supposes (unless it is pinned in time: "… would close the holes
# before the ERC round you have due in March" still reports the round)
_WOULD = re.compile(r"\b(?:would|could|might)\b", re.I)
_IF = re.compile(r"^\W*(?:this week\W*)?(?:if|unless|whether|in case)\b", re.I)  # a condition reports nothing
_TIMED = re.compile(r"\b(?:" + _WHEN + r")\b", re.I)
_ANCHORED = re.compile(r"\b(?:" + _WHEN + r")\b|\balready\b|\b(?:arrived|quit|resigned|complained|walked out|pushed back|"
                       r"turned down|threatened|cancelled|refused|promised|scrapped|slipped|joined)\b", re.I)
_EVENT = re.compile(r"\b(?:" + _WHEN + r")\b|\b(?:has|have|had)\s+(?:already\s+|just\s+|recently\s+|also\s+|"
                    r"even\s+|been\s+)*(?!to\b)\w+(?:ed|en|wn|ght|old|id|ne|ost|ent|ade|ook|ung|ept)\b|\balready\b|"
                    r"\b(?:has|have|had) been \w+ing\b|"
                    r"\b(?:was|were)\s+(?:\w+ly\s+)?\w+(?:ed|en)\b|\b(?:arrived|quit|resigned|complained|walked out|"
                    r"pushed back|turned down|threatened|cancelled|refused|promised|scrapped|slipped|joined)\b", re.I)
_TIME_WORDS = {"sinc", "since", "befor", "before", "after", "until", "ago"}   # stems and words: the dating itself
_CLAUSE_CUT = re.compile(r",\s+|\s+(?=(?:since|after|because|especially|who|which|where|when|and then)\b)", re.I)


def invented_event(text: str, ctx: Context, passages: list[str]) -> str | None:
    """A clause that reports something happening in the manager's world which their situation does not hold:
    an event (``_EVENT``) with words of its own that neither the situation, the passages nor coaching's own
    vocabulary hold, and whose meaning is not close to any thought of the situation."""
    from .support import situation_similarity, situation_words

    step = bool(_IMPERATIVE.match(_LABEL.sub("", text)) or _MODAL.search(text))
    clauses: list[str] = []
    for piece in _CLAUSE_CUT.split(_QUOTE.sub(" ", text)):
        if clauses and len(words(piece)) < 4:
            clauses[-1] += " " + piece   # "since the spring" belongs to the clause it dates
        else:
            clauses.append(piece)
    for clause in clauses:
        bare = re.sub(r"^\W*(?:and|but|or|so|then)\s+", "", _LABEL.sub("", clause))
        # in a step, only an event pinned in time or told as done reports something ("after the Henderson
        # filing", "where Ben promised a custom quiz builder"); a step's own clause proposes, it reports nothing
        marker = _ANCHORED if step else _EVENT
        if len(words(clause)) < 4 or not marker.search(clause) or _IMPERATIVE.match(bare) or _IF.match(bare) \
                or (_WOULD.search(clause) and not _TIMED.search(clause)):
            continue
        number = new_number(clause, ctx.situation.text, passages)
        if number:  # "the 4 no-shows the week before": an event counted in a number the manager never wrote
            return f"not in your situation: the number {number} (“{clause.strip()[:80]}”)"
        _share, novel = situation_words(clause, ctx.situation.text, [] if ctx.whole_corpus else passages)
        if len(novel) < tuning.EVENT_NOVEL_WORDS - 1 or not set(novel) - _TIME_WORDS:
            continue   # "deals that have not moved since the week before": no word of its own but the dating
        sim = situation_similarity(clause, ctx.situation)
        timed = bool(_TIMED.search(clause))
        need = tuning.EVENT_NOVEL_WORDS if timed else tuning.EVENT_NOVEL_WORDS + 1   # undated: more of its own
        if not ((len(novel) >= need and sim < tuning.EVENT_SIMILAR)
                or (timed and len(novel) >= tuning.EVENT_NOVEL_WORDS - 1 and sim < tuning.EVENT_TIMED_SIMILAR)):
            continue
        return f"not in your situation: {', '.join(novel[:4])} (“{clause.strip()[:80]}”)"
    return None




def _only_small_words(why: str) -> bool:
    """Is a failed restatement's reason only a number word or a single word of its own?"""
    if re.search(r"the number [a-z]+ is not", why):
        return True
    tail = why.rsplit(":", 1)[-1].strip()
    return "," not in tail and " " not in tail and bool(tail) and not tail[0].isdigit()


# a statement about the manager's world in the form of a record ("Your team: tracked in a notebook", "your rota
# is done by hand"): a fact of theirs or not, checked against the situation like "you wrote that …"
_STATED = re.compile(r"\b(?:is|are|was|were|gets?|got)?\s*(?:tracked|logged|recorded|done|kept|written|stored|"
                     r"run|signed|checked|counted|booked|scheduled|planned|paid|printed|filed)\s+(?:in|on|by|with|"
                     r"through|via|at)\b", re.I)


def _turned(claim: str, passages: list[str], cites: list[str]) -> str | None:
    """The reversals without a negation the passage lacks (coach.checks.reversals): set aside, the roles swapped in
    the passage's words or by meaning, a duty handed off (only against passages the part cites)."""
    return (sets_aside(claim, passages) or role_swapped_words(claim, passages)
            or (hands_off(claim, passages) if cites else None) or role_swapped_idea(claim, passages))


def check_part(part: str, cites: list[str], ctx: Context) -> ClaimPart:
    """One part, checked for its kind."""
    from .support import RESTATEMENT_MIN, contradiction, semantic_support, situation_check, support_score

    kind = kind_of(part, bool(cites))
    passages = [ctx.by_id[c].text for c in cites] or ctx.all_texts
    text = _LABEL.sub("", " ".join(_CITE.sub("", part).replace("**", "").replace("*", "").split()))
    out = ClaimPart(kind=kind, text=text, cites=cites, ok=True, label=kind)
    fact = outside_fact(text, ctx, [] if ctx.whole_corpus and not cites else passages)
    if fact:
        out.ok, out.label, out.reason = False, OUTSIDE_FACT, fact
        return out
    event = invented_event(text, ctx, passages) or reported_aside(text, ctx.situation.text, ctx.corpus_text,
                                                                       passages)
    if event:
        out.ok, out.label, out.reason = False, NOT_IN_SITUATION, event
        return out
    if kind == YOUR_WORDS:
        reverse = _turned(text, passages, cites) if cites else None
        if reverse:
            out.ok, out.label, out.reason = False, NOT_IN_ARTICLES, reverse
            return out
        says, record = bool(_SAYS_YOU.search(_QUOTE.sub(" ", text))), bool(_STATED.search(text))
        ok, score, why = situation_check(text, ctx.situation, [] if ctx.whole_corpus else passages)
        scored = ok  # a restatement situation_check passes scores RESTATEMENT_MIN or more (its floor)
        if not ok and not record and _only_small_words(why):
            ok = True  # "the two gaps you describe", one plain word of their own: a way of saying it, not a fact
        if not ok and not says and not record:
            return out  # "your honesty is a good start": the coach's reading of them, no fact; events were checked
        out.ok, out.score, out.reason = ok, score, ("" if ok else why)
        out.floor = RESTATEMENT_MIN if scored else None
        out.label = YOUR_WORDS if ok else NOT_IN_SITUATION
        return out
    claim = _manager_quotes_out(text, ctx.situation.text)
    if len(words(_QUOTE.sub("", claim))) < tuning.MIN_CHECKED_WORDS or _LEAD_IN.match(claim):
        return out  # all of it quoted (checked as quotations) or too short to claim anything
    # a coach's paraphrase names both roles far more loosely than the articles' own sentences: a swap counts
    # only when three shared predicates or more all moved to the other role
    reverse = contradiction(claim, passages, strict_roles=True) or _turned(claim, passages, cites)
    if reverse:
        out.ok, out.label, out.reason = False, NOT_IN_ARTICLES, reverse
        return out
    if kind == SUGGESTION:
        if not cites:
            return out  # the coach's own reading or a plain step: only facts from nowhere would fail it
        score, floor = semantic_support(claim, passages), tuning.SUGGESTION_MIN  # tied to the idea by meaning
    else:
        score, floor = support_score(claim, passages), tuning.ARTICLES_MIN
    out.score, out.floor = round(score, 4), floor
    if score < floor:
        out.ok, out.label = False, NOT_IN_ARTICLES
        out.reason = (f"the cited passage does not hold this (support {score:.2f}, needed {floor:.2f})"
                      if kind == ARTICLES else f"the step applies no idea of {', '.join(cites) or 'the passages'} "
                      f"(support {score:.2f}, needed {floor:.2f})")
    return out


def check_sentence(raw: str, cites_in: list[str], ctx: Context) -> list[ClaimPart]:
    """Every part of one sentence, checked; cites of the whole sentence go to parts that carry none."""
    parts = split_parts(raw)
    out = []
    for p in parts:
        own = [c for c in cited_ids(p) if c in ctx.by_id]
        cites = own or cites_in   # a marker at the end of a sentence cites the idea of all of it
        if not words(_CITE.sub("", p)):
            continue
        out.append(check_part(p, cites, ctx))
    return out


__all__ = ["Context", "split_parts", "kind_of", "check_part", "check_sentence", "outside_fact", "YOUR_WORDS",
           "ARTICLES", "SUGGESTION", "NOT_IN_ARTICLES", "NOT_IN_SITUATION", "OUTSIDE_FACT"]
