"""A coach's case told about someone else, retold as its subject would tell it (for the scope decision)."""
from __future__ import annotations

import re

# A coach's case told about someone else ("Client F asks which index fund to buy for her retirement savings.",
# "Coachee 3, a team lead, says her team …", "My client wants …"): the label names the person the case is
# about, not their work ("client" is a work word), and the scope model learnt from situations told in the
# first person, where reported speech ("she asks …") is a sign of work. So such a case is judged as its
# subject would tell it: the label becomes "I", she/he and her/his become I and my, and the words, the purpose
# and the model read that (embedded again: one more sentence per labelled case). Only the words of a coaching
# relationship label a case (client, coachee, mentee, participant): "Employee C" or "Manager D" at the start
# of a manager's own text is the person they write about, and their work. A text that speaks in the first
# person outside quotations ("Client A wants us cheaper and my team is tired") is the writer's own situation,
# and a third-person one without a case label ("Sarah has done the books for us …") is read as written.
_CASE_ROLE = r"(?:[Cc]lient|[Cc]oachee|[Mm]entee|[Pp]articipant)"
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|me|my|mine|myself|we|we're|we've|us|our|ours|ourselves)\b", re.I)
_CASE_LABEL = re.compile(
    r"^\W*(?:[Cc]ase|[Ss]ituation|[Ss]cenario|[Ee]xample)\s+(?:[A-Z]{1,2}|\d{1,3})\s*[:.)-]\s*")  # "Case 4: …"
_CASE_SUBJECT = re.compile(
    r"^\W*(?:" + _CASE_ROLE + r"\s+(?:[A-Z]{1,2}|\d{1,3})\b|(?:[Aa]|[Mm]y|[Oo]ne of my|[Oo]ur)\s+"
    r"(?:new\s+)?(?:client|coachee|mentee)s?(?:\s+of mine)?\b)(?P<own>['’]s\b)?")
_PERSON = [(re.compile(a, re.I), b) for a, b in (
    (r"\b(?:she|he)(?:'s|’s)\b", "I'm"), (r"\b(?:her|his)\b", "my"), (r"\bhim\b", "me"),
    (r"\b(?:herself|himself)\b", "myself"), (r"\bhers\b", "mine"))]
_SHE_DOES = re.compile(r"\b(?:she|he)\b(?:\s+([a-z]+))?", re.I)
_IRREGULAR = {"is": "am", "has": "have", "does": "do", "was": "was", "goes": "go"}
# a question told as reported speech, asked again as its subject asked it: "I asks which index fund to buy …"
# -> "Which index fund should I buy …?", "… asks whether to X" -> "Should I X?"; the scope model reads
# "asks whether to buy stock before the earnings call" as work and "Should I buy stock …?" as what it is
_ASKED = re.compile(r"^I(?:,(?P<who>[^,]{1,80}),)?\s+(?:asks?|wonders?|wants? to know|is asking|is wondering|"
                    r"would like to know)\s+(?:(?:whether|if)\s+to\s+(?P<yes>.+)|(?P<wh>(?:how|what|which|where|when|"
                    r"who|whom)(?:\s+[\w'-]+){0,3}?)\s+to\s+(?P<rest>.+))$", re.I | re.S)


def _first_person_verb(verb: str) -> str:
    """"says" -> "say", "is" -> "am": the verb after a "she" that became "I"."""
    low = verb.lower()
    if low in _IRREGULAR:
        return _IRREGULAR[low]
    if len(low) <= 3 or not low.endswith("s") or low.endswith("ss"):
        return verb
    if low.endswith("ies"):
        return verb[:-3] + "y"
    if low.endswith(("ches", "shes", "sses", "xes", "zes", "oes")):
        return verb[:-2]
    return verb[:-1]


def as_told_by_subject(text: str) -> str | None:
    """A case told about a labelled person, retold in that person's first person; None for any other text."""
    body = _CASE_LABEL.sub("", text, count=1)
    m = _CASE_SUBJECT.match(body)
    if not m:
        return None
    rest = body[m.end():]
    if _FIRST_PERSON.search(re.sub(r"[\"“][^\"”]*[\"”]", " ", rest)):
        return None  # the writer speaks of themselves: their own situation, whoever it starts with
    for pattern, first in _PERSON:
        rest = pattern.sub(first, rest)
    rest = _SHE_DOES.sub(lambda v: "I" + (" " + _first_person_verb(v.group(1)) if v.group(1) else ""), rest)
    told = ("My" if m.group("own") else "I") + rest
    if not m.group("own"):
        told = re.sub(r"^I(,[^,]{1,80},)?\s+([a-z]+)", lambda v: f"I{v.group(1) or ''} {_first_person_verb(v.group(2))}",
                      told, count=1)
    # "I say my two newest hires never speak up": what was said, as its subject would write it
    told = re.sub(r"^I (?:say|said|write|wrote|tell(?:s)? (?:me|us)|explain|report|mention|note)(?: that)?\s+(\w)",
                  lambda v: v.group(1).upper(), told, count=1)
    q = _ASKED.match(told.strip())
    if q:
        intro = f"I am {q.group('who').strip()}. " if q.group("who") else ""
        if q.group("yes"):
            asked = "Should I " + q.group("yes")
        else:
            asked = f"{q.group('wh')[0].upper()}{q.group('wh')[1:]} should I {q.group('rest')}"
        told = intro + asked.rstrip(" .") + "?"
    return told


__all__ = ["as_told_by_subject"]
