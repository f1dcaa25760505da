"""Reversals: a sentence that sets aside, turns round or gives to the other role what a passage holds.

Apart from ``claims`` (which decides each part's kind and calls this for the articles' claims and the coach's
suggestions) because these are the checker's word-level tests of polarity, with their own cuts in
``coach.checks.tuning`` (ASIDE_*, NEGATED_*), measured on the reversals of evals/coaching_answers.jsonl.
"""
from __future__ import annotations

import re

from . import tuning

QUOTE = re.compile(r"“[^”]*”|\"[^\"]*\"")
NEGATED = re.compile(r"\b(?:not|no|never|don['’]t|can['’]t|doesn['’]t|isn['’]t)\b", re.I)

# what a sentence sets aside: "not from X", "rather than X", "don't X", "no need to X", "X can wait"
_SETS_ASIDE = re.compile(
    r"\b(?:not (?:from |about |by |through |with |on |in |to |the |a )?|rather than |instead of |no need to |never |"
    r"don['’]t |do not |avoid(?:ing)? |without |less (?:about )?|not the |isn['’]t |aren['’]t |"
    r"better kept |shouldn['’]t |should not |more than |(?:caution|warn|advise)s? against )((?:(?![,.;:!?]).){6,90})",
    re.I)
_LATER = re.compile(r"((?:(?![,.;:!?]).){6,90}?)\s+(?:can wait|can be left|comes? (?:only )?after|matters? less|"
                    r"undermines?|gets? in the way|tends? to get in the way|hurts?|damages?|weakens?|backfires?|"
                    r"is counterproductive|does more harm)\b", re.I)
# one role's work given to the other: "… is the job of the leaders who set it, not of the managers"
_ROLE_DENIED = re.compile(r"\b(leaders?|managers?|leadership|management)\b.{3,120}?\bnot (?:of |for |to |by |with )?(?:the |a )?"
                          r"(leaders?|managers?|leadership|management)\b", re.I)


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

    claim = QUOTE.sub(" ", claim)  # quoted words are checked as quotations: a quote may hold its own "not"
    for m in list(_SETS_ASIDE.finditer(claim)) + list(_LATER.finditer(claim)):
        x = content_stems(m.group(1))
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
    if NEGATED.search(claim) or re.search(r"\b(?:rather than|instead of)\b", claim, re.I):
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
        denied = swap.group(2)[:4].lower()
        said = content_stems(claim) - {"manag", "leade", "lead"}
        for p in passages:
            for sent in split_sentences(p):
                if denied in sent.lower() and len(said & content_stems(sent)) >= tuning.ASIDE_MIN_WORDS:
                    return f"it gives the {swap.group(1)}' work to the other role: the passage says “{sent[:80]}”"
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


def role_swapped_idea(claim: str) -> str | None:
    """A role swap in a coach's own words ("Planning and controlling are what leaders focus on"): a clause with
    one role as its subject whose predicate is, by meaning, an idea the curated practices give to the other
    role (at least ROLE_IDEA_MIN, and ROLE_IDEA_MARGIN closer than any idea of the clause's own role)."""
    import numpy as np

    from ..corpus.practices import LEAD_WORD, MANAGE_WORD
    from ..embedding.cache import vectors

    ps, V = _one_sided_ideas()
    if not ps:
        return None
    said: list[tuple[str, str]] = []   # (role, the clause without its role words)
    for clause in _CLAUSES.split(QUOTE.sub(" ", claim)):
        manager, leader = bool(MANAGE_WORD.search(clause)), bool(LEAD_WORD.search(clause))
        rest = " ".join(_ROLE_WORDS.sub(" ", clause).split())
        if manager != leader and not _HEDGED.search(clause) and len(rest.split()) >= 3:
            said.append(("management" if manager else "leadership", rest))
    if not said:
        return None
    for (role, _rest), vec in zip(said, vectors([r for _, r in said])):   # one embedding call for the claim
        sims = V @ np.asarray(vec, dtype="float32")
        best = int(np.argmax(sims))
        own = max((float(sims[i]) for i, p in enumerate(ps) if p.side == role), default=0.0)
        if ps[best].side != role and sims[best] >= tuning.ROLE_IDEA_MIN and sims[best] - own >= tuning.ROLE_IDEA_MARGIN:
            return f"the articles give this to {ps[best].side}, not {role}: “{ps[best].idea[:80]}”"
    return None


__all__ = ["QUOTE", "NEGATED", "sets_aside", "role_swapped_idea"]
