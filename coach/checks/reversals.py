"""Reversals: a sentence that sets aside, turns round or gives to the other role what a passage holds.

Apart from ``claims`` (which decides each part's kind and calls this for the articles' claims and the coach's
suggestions) because these are the checker's word-level tests of polarity, with their own cuts in
``coach.checks.tuning`` (ASIDE_*, NEGATED_*, ROLE_*), measured on the reversals of evals/coaching_answers.jsonl,
evals/coaching_mistakes_more.jsonl and evals/claims_fresh.jsonl. Four shapes have no "not" to find: a role given
the other role's idea by meaning (``role_swapped_idea``) or in the passage's own words (``role_swapped_words``),
a role's work denied to it ("…, not managers", "the people doing the work, not managers, are responsible for …"), and
advice that hands off what the passage says to hold (``hands_off``: "leave expectations open", "let each of them
decide", "leaves the personal development of each individual to managers"); a duty "kept to a minimum" or "held back"
is set aside like one "rather than".
"""
from __future__ import annotations

import re
from functools import lru_cache

from . import tuning

QUOTE = re.compile(r"“[^”]*”|\"[^\"]*\"")
NEGATED = re.compile(r"\b(?:not|no|never|don['’]t|can['’]t|doesn['’]t|isn['’]t)\b", re.I)

# what a sentence sets aside: "not from X", "rather than X", "don't X", "no need to X", "X can wait"
_SETS_ASIDE = re.compile(
    r"\b(?:not (?:from |about |by |through |with |on |in |to |the |a )?|rather than |instead of |no need to |never |"
    r"don['’]t |do not |avoid(?:s|ed|ing)? |without |less (?:about )?|not the |isn['’]t |aren['’]t |"
    r"better kept |shouldn['’]t |should not |more than |(?:caution|warn|advise)s? against |"
    r"keep(?:s|ing)? (?:a |your |some )?(?:\w+ )?distance from |stay(?:s|ing)? out of |hold(?:s|ing)? back (?:on )?|"
    r"withh[eo]ld(?:s|ing)? |cut(?:s|ting)? back on )((?:(?![,.;:!?]).){6,90})",
    re.I)
# "keeps communication and feedback to a minimum": what is kept down is set aside too
_MINIMUM = re.compile(r"\bkeep(?:s|ing)?\s+((?:(?![.;:!?]).){6,60}?)\s+to a minimum\b", re.I)
# a series set aside, "A, B and C" (no comma before the "and": ", and what is needed is …" starts a clause of its own)
_SETS_ASIDE_LIST = re.compile(r"\b(?:rather than|instead of)\s+((?:[^,.;:!?\[]{1,40},\s*){1,4}[^,.;:!?\[]{1,40}?\s(?:and|or)\s+"
                              r"[^,.;:!?\[]{1,60})", re.I)
_LATER = re.compile(r"((?:(?![,.;:!?]).){6,90}?)\s+(?:can wait|can be left|comes? (?:only )?after|matters? less|"
                    r"undermines?|gets? in the way|tends? to get in the way|hurts?|damages?|weakens?|backfires?|"
                    r"is counterproductive|does more harm)\b", re.I)
# one role's work given to the other: "… is the job of the leaders who set it, not of the managers"
_ROLE_DENIED = re.compile(r"\b(leaders?|managers?|leadership|management)\b.{3,120}?\bnot (?:of |for |to |by |with )?(?:the |a )?"
                          r"(leaders?|managers?|leadership|management)\b", re.I)


_NOT_THE_ROLE = re.compile(r",\s*not\s+(?:the\s+|their\s+|your\s+)?(leaders?|managers?|leadership|management)\s*,", re.I)


_BRITISH = re.compile(r"\b(organ|priorit|recogn|real|standard|special|emphas|minim|maxim|util|central|optim|categor|"
                      r"character|author|civil|capital|modern|mobil|memor|summar|final)is", re.I)


def _stems(text: str) -> set[str]:
    """Content words cut to their first five letters, so that a reversal's paraphrase meets the passage's words:
    "responsibility" and "responsible", "accountable" and "account", "organisation" and "organization"."""
    from .signals import content_stems

    text = re.sub(r"['’]s\b", "", _BRITISH.sub(r"\1iz", text))
    return {s[:tuning.ASIDE_PREFIX] for s in content_stems(text)}


def _sets_aside_too(sent: str, x: set[str]) -> bool:
    """Does the passage sentence set aside (most of) the same words itself?"""
    for m in list(_SETS_ASIDE.finditer(sent)) + list(_LATER.finditer(sent)):
        own = _stems(m.group(1))
        if own and len(own & x) / len(x) >= tuning.ASIDE_OVERLAP:
            return True
    return False


def sets_aside(claim: str, passages: list[str]) -> str | None:
    """A reversal: the sentence sets aside ("not from X", "rather than X", "don't X") what a passage holds."""
    from ..common.text import split_sentences

    content_stems = _stems  # noqa: N806 (spelling-insensitive, below)

    raw, claim = claim, QUOTE.sub(" ", claim)  # quoted words are checked as quotations: a quote may hold its own "not"
    # what is set aside, to the first comma, or on through a list ("rather than through coaching, mentoring and
    # equipping people"): the same test on both readings
    aside = [m.group(1) for m in list(_SETS_ASIDE.finditer(claim)) + list(_LATER.finditer(claim))
             + list(_MINIMUM.finditer(claim))]
    aside += [m.group(1) for m in _SETS_ASIDE_LIST.finditer(claim) if m.group(1) not in aside]
    for found in aside:
        x = content_stems(found)
        if len(x) < tuning.ASIDE_MIN_WORDS:
            continue
        for p in passages:
            for sent in split_sentences(p) + [p]:   # a sentence, or the passage as a whole
                have = content_stems(sent)
                # a passage sentence that says it with its own "not" ("doesn't make them a good fit") agrees
                common = len(x & have)
                # ... and so does one that sets the same thing aside itself ("… instead of taking the decisions back")
                if common >= tuning.ASIDE_MIN_WORDS and common / len(x) >= tuning.ASIDE_OVERLAP \
                        and not NEGATED.search(sent) and not _sets_aside_too(sent, x):
                    return f"it sets aside what the passage holds: “{sent[:90]}”"
    # the passage's own sentence said with a "not" it does not have ("Managers should not be expected to make
    # do with the resources…"): most of the claim's words are one passage sentence's, the polarity is turned
    said_so = " ".join(passages).lower()
    negations = [m.group(0).lower() for m in re.finditer(r"\b(?:not|no|never)\s+\w+", claim, re.I)]
    if (NEGATED.search(claim) and not (negations and all(n in said_so for n in negations))) \
            or re.search(r"\b(?:rather than|instead of)\b", claim, re.I):
        # (a "not" the passages say themselves, "not having “ample talent on hand”", turns nothing round)
        own = content_stems(claim)
        if len(own) >= tuning.NEGATED_MIN_WORDS:
            for p in passages:
                for sent in split_sentences(p):
                    have = content_stems(sent)
                    if len(own & have) / len(own) >= tuning.NEGATED_OVERLAP and not NEGATED.search(sent) \
                            and not re.search(r"\b(?:rather than|instead of)\b", sent, re.I):
                        return f"it turns round what the passage says: “{sent[:90]}”"
    swap = _ROLE_DENIED.search(claim)
    if swap and swap.group(1)[:4].lower() != swap.group(2)[:4].lower():
        held = _role_sentence(swap.group(2), claim, passages, tuning.ASIDE_MIN_WORDS)
        if held:
            return f"it gives the {swap.group(1)}' work to the other role: the passage says “{held[:80]}”"
    # the role's work given to someone else: "the people doing the work, not managers, are responsible for …"
    taken = _NOT_THE_ROLE.search(claim)
    if taken:
        # a quotation of the role's work counts here; the passage must say it without a "not" of its own
        held = _role_sentence(taken.group(1), raw, passages, tuning.NEGATED_MIN_WORDS, affirmative=True)
        if held:
            return f"it takes from {taken.group(1)} what the passage gives them: “{held[:80]}”"
    return None


def _role_sentence(role: str, claim: str, passages: list[str], min_words: int, affirmative: bool = False) -> str | None:
    """The first passage sentence naming ``role`` that shares ``min_words`` of the claim's content words (the role
    words left out), and, if ``affirmative``, has no "not" of its own: the work the passage gives that role."""
    from ..common.text import split_sentences

    denied = role[:4].lower()
    said = _stems(claim) - {"manag", "leade", "lead"}
    for p in passages:
        for sent in split_sentences(p):
            if denied in sent.lower() and not (affirmative and NEGATED.search(sent)) \
                    and len(said & _stems(sent)) >= min_words:
                return sent
    return None


# the words that name a role, taken out before a clause is compared by meaning
_ROLE_WORDS = re.compile(r"\b(?:(?:a|the|good|great|most|every)\s+)*(?:manag\w*|lead\w*)(?:['’]s?)?", re.I)
_CLAUSES = re.compile(r";|,?\s+(?:while|whereas|but|and then|then)\s+|\.\s+", re.I)
# a clause that hedges, negates or joins the roles is left to the rules above ("a manager can also lead")
_HEDGED = re.compile(r"\b(?:not|no|never|n't|rather than|instead of|without|also|too|both|can|may|could|might|"
                     r"become|becomes)\b", re.I)
_IDEAS: dict[tuple, tuple] = {}


def _one_sided_ideas() -> tuple[list, object]:
    """The curated practices of one side whose idea names one role at most, with the vectors of their ideas
    (role words taken out): what the articles give to management and what to leadership."""
    import numpy as np

    from ..corpus.practices import LEAD_WORD, MANAGE_WORD, corpus_practices
    from ..embedding.cache import vectors

    ps = [p for p in corpus_practices() if not p.derived and p.side in ("management", "leadership")
          and not (MANAGE_WORD.search(p.idea) and LEAD_WORD.search(p.idea))]
    key = tuple(p.id for p in ps)
    if key not in _IDEAS:
        texts = [" ".join(_ROLE_WORDS.sub(" ", p.idea).split()) for p in ps]
        _IDEAS.clear()
        _IDEAS[key] = (ps, np.asarray(vectors(texts), dtype="float32") if texts else np.zeros((0, 384), "float32"))
    return _IDEAS[key]


_ROLE_NOUNS = r"(?:manag(?:ers?|ement)|lead(?:ers?|ership))"   # one spelling of the roles as nouns, for the patterns below
# a role named as a noun; not as a modifier ("leadership roles", "management staff": the job, not the role's work)
_ROLE_NOUN = re.compile(r"\b(?:(manag)(?=ers?\b|ement\b)|(lead)(?=ers?\b|ership\b))(?!\w*\s+(?:(?:and|or)\s+\w+\s+)?"
                        r"(?:roles?|positions?|staff|development|skills?|training|courses?|team|style)\b)", re.I)
# a role as the clause's subject, after at most a report of the articles ("The articles describe management as …")
_ROLE_SUBJECT = re.compile(r"^\W*(?:(?:and|but|so|then|while)\s+)?(?:(?:the|these|both)\s+(?:articles?|passages?|author)\s+"
                           r"(?:\w+\s+){1,2}?(?:that\s+)?)?(?:(?:a|an|the|good|great|most|strong|every)\s+)*"
                           + _ROLE_NOUNS + r"\b", re.I)


_ROLE_CLAUSES = re.compile(r";|,\s+|\s+(?:and|while|whereas|but)\s+(?!(?:the |a |good |great )?(?:manag|lead))(?=\w)|"
                           r"(?<=[.!?])\s+", re.I)   # not inside "good management and good leadership"
# a passage is cut where it turns to the other role ("…the external environment, management requires …"), not at
# every "and": its clauses keep their lists whole
_PASSAGE_CLAUSES = re.compile(r";|(?<=[.!?])\s+|,?\s+(?:while|whereas|but)\s+|,\s+(?=(?:a |the |good |great |most )?"
                              + _ROLE_NOUNS + r"\b)", re.I)
_MODAL_HEDGE = re.compile(r"\b(?:can|could|may|might|should|would|both|not|no|never|n't|rather than|instead of)\b", re.I)


# a job title, not the role: "your 8 team leaders", "the shift managers" (a check2 answer's "Start a short weekly
# meeting with your 8 team leaders" was read as giving leaders the managers' team meetings)
_TITLE_BEFORE = re.compile(r"\b(?:team|shift|line|store|project|group|crew|site|ward|section|unit|branch|area|floor|"
                           r"department|sales|product|general|office|account|regional|district|plant|night|day|deputy|"
                           r"assistant|squad|kitchen|duty)\s+$", re.I)


def _role_nouns(text: str) -> list[re.Match]:
    """The roles named as nouns, in order, job titles left out: what both the roles of a clause and its subject
    (the first of them) are read from."""
    return [m for m in _ROLE_NOUN.finditer(text) if not _TITLE_BEFORE.search(text, 0, m.start())]


def _role_of(text: str) -> set[str]:
    return {"management" if m.group(1) else "leadership" for m in _role_nouns(text)}


@lru_cache(maxsize=512)
def _passage_clauses(passage: str) -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    """Each clause of a passage with the role it speaks of: its own role noun; where it names none, the one role
    its sentence names; else the one role of the sentence before ("Leadership is about getting results through
    people. … This will involve building relationships …"). A sentence naming both roles passes none on; a
    clause naming both speaks of the first it names, its subject. Cached: every part citing a passage, and every
    clause the role-idea test reads, asks for the same passage's clauses again."""
    from ..common.text import split_sentences
    from .signals import content_stems

    out: list[tuple[frozenset[str], frozenset[str]]] = []
    current: set[str] = set()
    for sentence in split_sentences(passage):
        clauses = [(c, _role_of(c)) for c in _PASSAGE_CLAUSES.split(sentence) if c.strip()]
        named = set().union(*(r for _, r in clauses)) if clauses else set()
        around = named if len(named) == 1 else (set() if named else current)
        for clause, roles in clauses:
            if len(roles) > 1:   # "It's the manager's job to oversee … set forth by the leadership": its subject
                first = _role_nouns(clause)[0]
                roles = {"management" if first.group(1) else "leadership"}
            out.append((frozenset(content_stems(_ROLE_NOUN_WORD.sub(" ", clause))), frozenset(roles or around)))
        current = around
    return tuple(out)


_ROLE_NOUN_WORD = re.compile(r"\b" + _ROLE_NOUNS + r"(?:['’]s?)?\b", re.I)


def role_swapped_words(claim: str, passages: list[str]) -> str | None:
    """A role swap in the articles' own words ("Leaders are the “tacticians” who …", "A manager also shows
    appreciation to team members"): a clause naming one role whose other words are, by ROLE_SWAP_OVERLAP or
    more, a clause of the cited passages that speaks of the other role only, while no clause of its own role
    holds them as well."""
    from .signals import content_stems

    pcs = [pc for p in passages for pc in _passage_clauses(p)]
    for clause in [claim] + _ROLE_CLAUSES.split(claim):   # the whole claim, then each of its clauses
        roles = _role_of(clause)
        if len(roles) != 1 or not _ROLE_SUBJECT.match(clause) or _MODAL_HEDGE.search(QUOTE.sub(" ", clause)):
            continue
        mine = set(content_stems(_ROLE_NOUN_WORD.sub(" ", clause)))
        if len(mine) < tuning.ROLE_SWAP_WORDS:
            continue
        other = {"management", "leadership"} - roles
        best_other = max((len(mine & ws) for ws, r in pcs if r == other), default=0)
        best_own = max((len(mine & ws) for ws, r in pcs if roles <= r), default=0)
        if best_other >= tuning.ROLE_SWAP_WORDS and best_other / len(mine) >= tuning.ROLE_SWAP_OVERLAP \
                and best_own < best_other:
            return f"the cited passage says this of {other.pop()}, not {roles.pop()}"
    return None


# advice that hands off what a passage says to hold ("leave the checking to them", "let each teacher track their own
# progress", "in whatever way suits it", "leave it to run itself"), told against a passage of expectations, process,
# measures or direction; a passage that itself speaks of letting others act (empowering, delegating) is not turned
_HANDS_OFF = re.compile(
    r"\bleav(?:e|es|ing) (?:it|them|that|this|those|the \w+|each(?: of them)?|people|expectations)?\s*(?:up )?(?:to (?:them|"
    r"each|the team|people|themselves|whoever|decide|choose|work out|figure out|sort out)|open|to run itself)\b|\bleav(?:e|es|ing)\s+(?:\w+\s+){0,6}?"
    r"to (?:others|someone else|the team|managers|leaders|their managers)\b|\bleft (?:up )?to (?:the team|them|each|people)\b|"
    r"\blet (?:each|every|them|people|the team|that person|each of them|the \w+|their \w+)\s+(?:\w+\s+){0,3}?(?:decide|set|choose|"
    r"keep|track|sort|book|work out|find)\b|\bin whatever way\b|\bas (?:they|it|things) come\b|"
    r"\b(?:run|sort|take care of) itself\b|\bhands-off\b|\btheir own (?:deadlines?|expectations|direction|standards?|rules|"
    r"pace|process(?:es)?|progress)\b|\bwhether they meet them\b", re.I)
_HELD = re.compile(r"\b(?:expectations?|accountab\w*|process(?:es)?|procedures?|measur\w*|specifics?|playbook|track\w*|"
                   r"monitor\w*|plann\w*|control\w*|standards?|direction|overse\w*|details?|on time|on budget|"
                   r"on target)\b",
                   re.I)
_LETTING = re.compile(r"\b(?:empower\w*|let others|delegat\w*|autonom\w*|ownership|own decisions)\b", re.I)


# "leaves the personal development of each individual to managers", "leave the specific work to their teams": what
# is handed over is named, so it is compared with the passage's words (the passage's quoted words count: a claim may
# hand over a quotation)
_LEAVES_X_TO = re.compile(r"\bleav(?:e|es|ing)\s+((?:[\w'’“”\"-]+\s+){1,10}?)to\s+(?:the |their |your |his |her |its |"
                          r"each |every |other |someone |somebody )?(others?|managers?|leaders?|teams?|staff|people|"
                          r"them|individuals?|analysts|employees|workers|members)\b", re.I)


def _left_to_others(claim: str, passages: list[str]) -> str | None:
    """The named thing a claim leaves to others, held by an affirmative passage sentence that does not itself speak
    of letting others act: a reversal. Not when the passage gives it to another role than the claim's subject, or to
    the role it is left to ("leaders leave the specific work to managers" is what the passages say)."""
    from ..common.text import split_sentences

    for m in _LEAVES_X_TO.finditer(claim):
        x = _stems(m.group(1))
        if len(x) < tuning.ASIDE_MIN_WORDS:
            continue
        subject, given_to = _role_of(claim[:m.start()]), _role_of(m.group(2))
        for p in passages:
            before = ""
            for sent in split_sentences(p):
                prev, before = before, sent
                common = len(x & _stems(sent))
                if common < tuning.ASIDE_MIN_WORDS or common / len(x) < tuning.ASIDE_OVERLAP \
                        or NEGATED.search(sent) or _LETTING.search(sent):
                    continue
                # the role the passage sentence gives it to: its subject ("Managers are tacticians who …"); a role
                # named later ("… a vision established by the leaders") is not who holds it
                lead = _ROLE_SUBJECT.match(sent)
                held_by = _role_of(lead.group(0)) if lead else set()
                named = _role_of(sent) | _role_of(prev)   # with the sentence before: "they manage …"
                if (given_to & named) or (subject and held_by and not subject & held_by):
                    continue
                return f"it leaves to others what the passage holds: “{sent[:90]}”"
    return None


def hands_off(claim: str, passages: list[str]) -> str | None:
    """A reversal without a "not": the claim leaves to others what its cited passage says to hold."""
    if not passages:
        return None
    named = _left_to_others(claim, passages)
    if named:
        return named
    m = _HANDS_OFF.search(QUOTE.sub(" ", claim))
    if not m:
        return None
    text = " ".join(passages)
    held = _HELD.search(text)
    if held and not _LETTING.search(text):
        return f"it leaves to others (“{m.group(0)}”) what the passage says to hold: {held.group(0)}"
    return None


def _held_by_own_role(clause: str, role: str, passages: list[str]) -> bool:
    """Does a clause of the passages that speaks of ``role`` hold ROLE_SWAP_OVERLAP of the clause's words?"""
    from .signals import content_stems

    mine = set(content_stems(_ROLE_NOUN_WORD.sub(" ", clause)))
    return bool(mine) and any(role in r and len(mine & ws) / len(mine) >= tuning.ROLE_SWAP_OVERLAP
                              for p in passages for ws, r in _passage_clauses(p))


def role_swapped_idea(claim: str, passages: list[str] | None = None) -> str | None:
    """A role swap in a coach's own words ("Planning and controlling are what leaders focus on"): a clause with
    one role as its subject whose predicate is, by meaning, an idea the curated practices give to the other
    role (at least ROLE_IDEA_MIN, and ROLE_IDEA_MARGIN closer than any idea of the clause's own role)."""
    import numpy as np

    from ..embedding.cache import vectors

    ps, V = _one_sided_ideas()
    if not ps:
        return None
    said: list[tuple[str, str]] = []   # (role, the clause without its role words)
    for clause in _CLAUSES.split(QUOTE.sub(" ", claim)):
        roles = _role_of(clause)   # the roles as nouns: "a small lead role" or "manage the rota" names neither
        manager, leader = "management" in roles, "leadership" in roles
        rest = " ".join(_ROLE_WORDS.sub(" ", clause).split())
        role = "management" if manager else "leadership"
        if manager != leader and not _HEDGED.search(clause) and len(rest.split()) >= 3 \
                and not _held_by_own_role(clause, role, passages or []):
            said.append((role, rest))
    if not said:
        return None
    for (role, _rest), vec in zip(said, vectors([r for _, r in said])):   # one embedding call for the claim
        sims = V @ np.asarray(vec, dtype="float32")
        best = int(np.argmax(sims))
        own = max((float(sims[i]) for i, p in enumerate(ps) if p.side == role), default=0.0)
        if ps[best].side != role and sims[best] >= tuning.ROLE_IDEA_MIN and sims[best] - own >= tuning.ROLE_IDEA_MARGIN:
            return f"the articles give this to {ps[best].side}, not {role}: “{ps[best].idea[:80]}”"
    return None


__all__ = ["QUOTE", "NEGATED", "sets_aside", "role_swapped_idea", "role_swapped_words", "hands_off"]
