"""Check an answer against what it was given: citations, quotes, and sentence-level support.

Whatever engine wrote the answer, three questions are asked of it:
1. Citations: does every ``[Sn]`` point at a source that was actually given?
2. Quotes: is every quoted span in the corpus, *attributed to the person the answer credits*?
   (An invented line, a paraphrase in quotation marks, or a Drucker line given to Maxwell fails.)
3. Support: is each claim sentence supported by the passages it cites (all given passages when it
   cites none)? The score mixes meaning (embedding cosine against the passages' sentences) and
   wording (share of the sentence's content words found in the passages); numbers and named
   authorities that the passages do not contain fail outright.

``SUPPORT_THRESHOLD`` and ``EMBED_WEIGHT`` were calibrated on the labelled pairs in
``evals/support.yaml`` by ``python -m training.support_calibrate`` (grid search for the weight, then
the threshold that maximises balanced accuracy); the numbers it printed are recorded below and the
test suite re-runs the calibration to catch drift.

Since the RAGTruth work (issue 13) and the two sources of truth (issue 12):
- a sentence that reuses a passage's words with a negation the passages lack, or gives one role's
  predicates to the other ("leaders are maintainers"), fails as a contradiction (``contradiction``);
  numbers compare by value ("41 percent" = "41%"); refusals and statements about the passages are
  listed as not checked. Measured on ``evals/support.yaml`` and ``evals/defects.yaml``: nothing that
  passed before and was right fails now, and no clean control is flagged.
- ``judge="passages"`` judges answers of any RAG system with ``coach.checks.judge`` (trained on RAGTruth);
- with a ``scenario``, sentences about the manager's situation are checked against it, and a fact
  the manager never wrote goes into ``checks.invented_facts``;
- ``flag_reasons`` is the severity policy every front end applies.

The three checks live in their own modules (issue 15): ``coach.checks.quotes`` (quotations and who is
credited), ``coach.checks.support`` (sentence support against passages or the situation, and the
calibration); this module runs them over an answer, annotates it, and owns the severity policy.
Every name other modules imported from here before the split is still importable from here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..feedback import (Checks, ClaimPart, InventedFact, Quote, SentenceCheck, Source, UnsupportedSentence,
                        UnverifiedQuote)
from .quotes import check_quote, find_quotes, is_attribution, quote_from_situation, verify_corpus
from ..corpus.statements import contains_words
from .claims import Context, check_sentence
from .labels import NOT_IN_ARTICLES, NOT_IN_SITUATION, OUTSIDE_FACT, YOUR_WORDS
from .labels import MARK_ARTICLES, MARK_YOUR_WORDS, mark_failed
from .support import (
    PASSAGES,
    RESTATEMENT_MIN,
    SITUATION,
    Situation,
    SUPPORT_THRESHOLD,
    contradiction,
    hard_fail,
    passage_units,
    situation_check,
    situation_sentence,
    support_score,
)
from ..embedding.cache import warm
from ..common.text import CITE_RE, cited_ids, sentence_spans, words

# shorter sentences ("Start small.", "Why now?") carry no checkable claim: listed as not checked
MIN_CLAIM_WORDS = 4

_MD_PREFIX = re.compile(r"^\s*(?:#+\s*|[-*+]\s+|\d+[.)]\s+|>\s*)+")
_EMPH = re.compile(r"(\*\*|__|\*|_|`)")
_MARK = re.compile(r"\s*(?:✓|⚠)[^\n\[]*")


def sources_from(passages: list[str]) -> list[Source]:
    """Passages given with an answer from elsewhere, numbered S1..Sn as the coach numbers its own."""
    return [Source(id=f"S{n}", doc_id="given", title=f"passage {n}", author=None, text=t, score=1.0,
                   passage_id=f"given-{n}") for n, t in enumerate(passages, 1)]


@dataclass
class VerifyResult:
    checks: Checks
    quotes: list[Quote]
    annotated: str
    notices: list[str] = field(default_factory=list)


# -- citations -----------------------------------------------------------------------------------
def claim_text(raw: str) -> str:
    """The words of a sentence as a claim: no Markdown, no citation markers, no verifier marks."""
    t = _MARK.sub("", raw)
    t = CITE_RE.sub("", t)
    t = _MD_PREFIX.sub("", t)
    t = _EMPH.sub("", t)
    return " ".join(t.split()).strip()


def is_claim(raw: str, text: str) -> bool:
    """Headings, bold labels and questions are not claims; they are listed as not checked."""
    stripped = re.sub(r"^\s*(?:[-+>]|\*(?!\*)|\d+[.)])\s*", "", raw).strip()
    if raw.lstrip().startswith("#") or re.fullmatch(r"\*\*[^*]+\*\*[.:]?", stripped):
        return False
    if len(words(text)) < MIN_CLAIM_WORDS:
        return False
    if text.endswith("?") or text.endswith(":"):
        return False
    return True


def _external_threshold() -> float:
    """The support score (1 - P(unsupported)) below which ``coach.checks.judge`` calls a sentence unsupported."""
    from .judge import load_model

    return round(1 - load_model()["threshold"], 4)


# -- the severity policy -------------------------------------------------------------------------
def flag_reasons(checks: Checks, fail_on_unsupported: bool = False, min_on_corpus: float | None = None) -> list[str]:
    """Why an answer fails as a gate (empty: it passes).

    Invalid citations, unverified or misattributed quotes and invented facts about the situation
    always fail: each is a false statement about where something came from. An unsupported sentence
    is shown (marked ⚠) but fails only when asked: ``--fail-on unsupported`` or ``--min-on-corpus X``,
    because plain advice and the author's framing are often not in any passage and are not false.
    """
    out = []
    if checks.invalid_citations:
        out.append(f"citations to sources that were not given: {', '.join(checks.invalid_citations)}")
    if checks.unverified_quotes:
        out.append(f"{len(checks.unverified_quotes)} unverified or misattributed quote(s)")
    if checks.invented_facts:
        out.append(f"{len(checks.invented_facts)} fact(s) about the situation that the manager never wrote")
    if fail_on_unsupported and checks.unsupported_sentences:
        out.append(f"{len(checks.unsupported_sentences)} unsupported sentence(s)")
    if min_on_corpus is not None and checks.on_corpus < min_on_corpus:
        out.append(f"on-corpus {checks.on_corpus:.2f} is below {min_on_corpus:.2f}")
    return out


def is_flagged(checks: Checks, fail_on_unsupported: bool = False, min_on_corpus: float | None = None) -> bool:
    """Does the severity policy fail the answer? (``findings``: did any check fail at all.)"""
    return bool(flag_reasons(checks, fail_on_unsupported, min_on_corpus))


def findings(checks: Checks) -> list[str]:
    """Every check that failed, whatever the severity policy makes of it: a ``coach verify`` result is
    ``"flagged"`` exactly when this is not empty (one verdict per sentence: a sentence marked unsupported
    in ``checks.sentences`` is always one of these). The policy (``flag_reasons``) decides only the exit code."""
    from ..common.text import plural

    out = []
    if checks.invalid_citations:
        out.append(f"citations to sources that were not given: {', '.join(checks.invalid_citations)}")
    if checks.unverified_quotes:
        out.append(f"{plural(len(checks.unverified_quotes), 'unverified or misattributed quote')}")
    if checks.invented_facts:
        out.append(f"{plural(len(checks.invented_facts), 'fact')} about the situation that the manager never wrote")
    if checks.outside_facts:
        out.append(f"{plural(len(checks.outside_facts), 'outside fact')} (a number, study or authority from nowhere)")
    if checks.unsupported_sentences:
        out.append(f"{plural(len(checks.unsupported_sentences), 'unsupported sentence')}")
    unsupported = sum(c.checked and not c.supported for c in checks.sentences)
    if unsupported and not out:  # never "not flagged" beside a sentence marked unsupported
        out.append(f"{plural(unsupported, 'sentence')} not supported")
    return out


def sentence_score(parts: list[ClaimPart], failed_elsewhere: bool = False) -> tuple[float, float | None]:
    """A sentence checked part by part: its (score, threshold), taken from the part that decides its verdict,
    so that one verdict reads the same at every level (``supported`` implies ``score >= threshold``).

    A failed part decides (its score and floor); a sentence failed by its quotation or a citation to no source,
    with every part passing, scores 0 with no threshold (a rule decided, as a hard failure against the passages
    scores 0); else the passing part closest to its own floor; else, when no part had a score test (uncited
    suggestions, the manager's words judged by rule), the lowest part score and no threshold. A part failed by a
    rule (an outside fact, an invented event, a reversal) scores 0, not the 1.0 of a part never scored."""
    for p in parts:
        if not p.ok and p.floor is None:
            p.score = 0.0
    failed = [p for p in parts if not p.ok]
    if failed:
        return failed[0].score, failed[0].floor
    if failed_elsewhere:
        return 0.0, None
    scored = [p for p in parts if p.floor is not None]
    if scored:
        worst = min(scored, key=lambda p: p.score - (p.floor or 0.0))
        return worst.score, worst.floor
    return min((p.score for p in parts), default=1.0), None


def _needs_support(raw: str, scenario: str | None, by_id: dict, all_texts: list[str],
                   whole_corpus: bool) -> tuple[str, list[str]] | None:
    """(claim text, cited ids) of a sentence judged against the passages, else None: the same tests,
    in the same order, as ``verify_answer``'s sentence loop (headings, questions, statements about the
    passages and the manager's own words, judged against the situation, need no support score)."""
    from .signals import meta_reason

    text = claim_text(raw)
    if not text or not is_claim(raw, text) or meta_reason(text):
        return None
    cites = [c for c in cited_ids(raw) if c in by_id] if not whole_corpus else []
    if scenario and situation_sentence(text, cites, scenario, all_texts if not whole_corpus else []):
        return None
    return text, cites


def verify_answer(answer: str, sources: list[Source], whole_corpus: bool = False,
                  scenario: "str | Situation | None" = None, judge: str = "corpus",
                  situation: Situation | None = None) -> VerifyResult:
    """Run every check on ``answer`` given ``sources`` (S1..Sk) and, when known, the manager's ``scenario``.

    ``whole_corpus=True`` is `coach verify`'s mode for answers from elsewhere: there are no given
    sources, so markers are not judged and each sentence is scored against every corpus passage.
    ``judge="passages"`` is the mode for any RAG system's answer with its own passages (``coach verify
    --jsonl`` / ``--passages``): sentences are judged by ``coach.checks.judge`` (trained on RAGTruth), and a
    quotation found word for word in a given passage counts as verified. ``judge="corpus"`` (the
    coach's own answers) scores against the curated passages as calibrated on ``evals/support.yaml``.
    With a ``scenario``, sentences about the manager's situation are checked against it instead.
    """
    from .judge import judge_answer as support_judge_answer
    from .signals import meta_reason

    corpus = verify_corpus()
    if whole_corpus:
        sources = corpus.passages
    if situation is None and isinstance(scenario, Situation):
        situation = scenario
    elif situation is None and isinstance(scenario, str) and scenario.strip():
        situation = Situation.from_text(scenario)  # an answer from elsewhere: its situation read here, once
    scenario = situation.text if situation is not None and situation.text.strip() else None
    by_id = {s.id.upper(): s for s in sources}
    corpus_text = " ".join(p.text for p in corpus.passages)
    spans = sentence_spans(answer)
    known = sorted({s.speaker for s in corpus.statements})
    external = judge == "passages"
    support_threshold = _external_threshold() if external else SUPPORT_THRESHOLD

    inserts: list[tuple[int, str]] = []
    # 1) citations
    invalid: list[str] = []
    if not whole_corpus:
        for m in CITE_RE.finditer(answer):
            bad = [c for c in cited_ids(m.group(0)) if c not in by_id]
            for c in bad:
                if c not in invalid:
                    invalid.append(c)
            if bad:
                inserts.append((m.end() - 1, f" ⚠ no such source: {', '.join(bad)}"))
    # 2) quotes: the manager's own words, then (for outside answers) the given passages, then the corpus
    quotes: list[Quote] = []
    failed_quotes: list[tuple[int, int]] = []   # where a quotation failed: its sentence fails with it
    for start, end, text, speaker in find_quotes(answer, spans, known):
        q = quote_from_situation(text, scenario)
        if q is None and external:
            src = next((s.id for s in sources if contains_words(s.text, text)), None)
            if src:
                q = Quote(speaker, text, src, True, f"exact words from {src}")
            elif not is_attribution(answer, start, end, speaker, known):
                continue  # a title, a button label, the question: words in quotation marks, not a quotation
        q = q or check_quote(text, speaker, corpus, sources)
        quotes.append(q)
        if not q.verified:
            failed_quotes.append((start, end))
        if q.speaker == "the manager":
            mark = MARK_YOUR_WORDS
        else:
            mark = MARK_ARTICLES if q.verified else mark_failed(NOT_IN_ARTICLES, q.reason)
        inserts.append((end, mark))
    own_words = {q.text for q in quotes if q.speaker == "the manager" and q.verified}
    unverified = [UnverifiedQuote(speaker=q.speaker, text=q.text, reason=q.reason) for q in quotes if not q.verified]
    # 3) support, sentence by sentence (every text it will compare embedded in one batch first)
    all_texts = [src.text for src in sources]
    if not external:
        # only sentences the support score will read need a vector: headings, questions, statements
        # about the passages and the manager's own words (judged by words, against the situation) do not
        judged = (_needs_support(answer[s:e], scenario, by_id, all_texts, whole_corpus) for s, e in spans)
        warm([j[0] for j in judged if j] + [u for g in passage_units(all_texts) for u in g])
    checks: list[SentenceCheck] = []
    unsupported: list[UnsupportedSentence] = []
    invented: list[InventedFact] = []
    outside: list[InventedFact] = []
    # with the manager's situation, an answer is a coach's: its sentences are checked part by part, by kind
    coaching = (Context(by_id, all_texts, situation, corpus_text, whole_corpus)
                if situation is not None and scenario else None)
    external_verdicts = {}
    if external:  # judged together: the rest of an answer is evidence about each sentence (coach.checks.judge)
        todo = []
        for s, e in spans:
            j = _needs_support(answer[s:e], scenario, by_id, all_texts, whole_corpus)
            if j:
                todo.append((s, (j[0], [by_id[c].text for c in j[1]] or all_texts, answer[s:e].strip())))
        external_verdicts = dict(zip([s for s, _ in todo], support_judge_answer([x for _, x in todo])))
    for s, e in spans:
        raw = answer[s:e]
        text = claim_text(raw)
        if not text:
            continue
        if not is_claim(raw, text):
            bare = text.strip(" .:!“”\"")
            if bare in own_words:  # a problem's label in the manager's words: the quotation is the claim
                part = ClaimPart(kind=YOUR_WORDS, text=text, label=YOUR_WORDS)
                checks.append(SentenceCheck(text=text, score=1.0, supported=True, cites=cited_ids(raw), checked=True,
                                            start=s, end=e, against="parts", parts=[part]))
                continue
            checks.append(SentenceCheck(text=text, score=0.0, supported=False, cites=cited_ids(raw), checked=False,
                                        reason="not a claim (heading, label or question)", start=s, end=e))
            continue
        meta = meta_reason(text)
        if meta:
            checks.append(SentenceCheck(text=text, score=0.0, supported=False, cites=cited_ids(raw), checked=False,
                                        reason=meta, start=s, end=e))
            continue
        cites = [c for c in cited_ids(raw) if c in by_id] if not whole_corpus else []
        passages = [by_id[c].text for c in cites] or all_texts
        if coaching is not None:  # a coach's answer to a manager: each part of the sentence by its kind
            parts = check_sentence(raw, cites, coaching)
            failed = [p for p in parts if not p.ok]
            # a quotation that failed, or a citation to no source, fails its sentence (each has its own mark)
            quoted_wrong = any(s <= a < e for a, _b in failed_quotes)
            no_source = [c for c in cited_ids(raw) if c not in by_id] if not whole_corpus else []
            ok = not failed and not quoted_wrong and not no_source
            score, threshold = sentence_score(parts, quoted_wrong or bool(no_source))
            why = "; ".join([f"{p.label}: {p.reason}" for p in failed]
                            + (["its quotation is not in the articles"] if quoted_wrong else [])
                            + ([f"it cites {', '.join(no_source)}, which was not given"] if no_source else []))
            checks.append(SentenceCheck(text=text, score=round(score, 4), supported=ok, cites=cites, reason=why,
                                        start=s, end=e, against="parts", parts=parts, threshold=threshold))
            for label in dict.fromkeys(p.label for p in failed):
                said = "; ".join(p.reason for p in failed if p.label == label)
                if label == NOT_IN_SITUATION:
                    invented.append(InventedFact(text=text, score=score, reason=said, start=s, end=e))
                elif label == OUTSIDE_FACT:
                    outside.append(InventedFact(text=text, score=score, reason=said, start=s, end=e))
                else:
                    unsupported.append(UnsupportedSentence(text=text, score=score, cites=cites, reason=said,
                                                           start=s, end=e))
                inserts.append((e, mark_failed(label)))
            continue
        if scenario and situation_sentence(text, cites, scenario, all_texts if not whole_corpus else []):
            assert situation is not None
            ok, score, why = situation_check(text, situation, [] if whole_corpus else passages)
            checks.append(SentenceCheck(text=text, score=score, supported=ok, cites=cites, reason=why,
                                        start=s, end=e, against=SITUATION, threshold=RESTATEMENT_MIN if ok else None))
            if not ok:
                invented.append(InventedFact(text=text, score=score, reason=why, start=s, end=e))
                inserts.append((e, mark_failed(NOT_IN_SITUATION)))
            continue
        reason: str | None
        if external:
            v = external_verdicts[s]
            if not v.checked:
                checks.append(SentenceCheck(text=text, score=0.0, supported=False, cites=cites, checked=False,
                                            reason=v.reason, start=s, end=e))
                continue
            ok, score, reason = v.supported, v.score, v.reason
            threshold = support_threshold
        else:
            threshold = SUPPORT_THRESHOLD
            reason = hard_fail(text, passages, corpus_text, scenario)
            if reason is None:
                reason = contradiction(text, passages)
            score = 0.0 if reason else support_score(text, passages)
            ok = reason is None and score >= SUPPORT_THRESHOLD
            if not ok and not reason:
                reason = f"support {score:.2f} is below {SUPPORT_THRESHOLD:.2f}"
        checks.append(SentenceCheck(text=text, score=score, supported=ok, cites=cites, reason="" if ok else (reason or ""),
                                    start=s, end=e, against=PASSAGES, threshold=threshold))
        if not ok:
            unsupported.append(UnsupportedSentence(text=text, score=score, cites=cites, reason=reason or "", start=s, end=e))
            inserts.append((e, mark_failed(NOT_IN_ARTICLES)))
    claims = [c for c in checks if c.checked]
    on_corpus = round(sum(c.supported for c in claims) / len(claims), 4) if claims else 1.0

    annotated = answer
    for pos, mark in sorted(inserts, key=lambda x: x[0], reverse=True):
        annotated = annotated[:pos] + mark + annotated[pos:]
    notices = []
    if not claims:
        notices.append("No sentence in this answer makes a claim that could be checked against the corpus.")
    return VerifyResult(
        checks=Checks(invalid_citations=invalid, unverified_quotes=unverified, unsupported_sentences=unsupported,
                      on_corpus=on_corpus, sentences=checks,
                      support_threshold=support_threshold,
                      invented_facts=invented, outside_facts=outside),
        quotes=quotes, annotated=annotated, notices=notices,
    )
