"""Is this a situation about managing or leading people, and is it in English?

The coach only speaks from its corpus; forcing passages onto a stock tip or a recipe would be a
claim it cannot ground. A situation is in scope when it names the
people or the setting of work (a team, a report, a manager, a deadline: ``_WORK_WORDS``, several
languages), or when its meaning alone is close to the corpus or to the coach's purpose. Meaning alone
is not enough at lower thresholds: on the 63 labelled cases of ``evals/cases.yaml`` the best
passage cosine of off-topic text reached 0.35 (a wedding toast about "the natural leader of the
family") while real situations went as low as 0.17, so the cut-offs sit above every off-topic case
and the word list carries the rest (62 of 63 labelled cases right on meaning plus the first word
list; the 63rd, a "crew" on a packaging line, added the shop-floor words).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .text import words

PASSAGE_MIN = 0.45   # best passage cosine at or above this: in scope on meaning alone
PURPOSE_MIN = 0.40   # or similarity to the purpose description at or above this

PURPOSE = (
    "A manager describes a situation at work with their team, employees or direct reports: leading and managing "
    "people, motivation, performance, accountability, deadlines, processes, vision, change, coaching and feedback.",
    "My team at work is struggling and I am their manager or team lead.",
)

OUT_OF_SCOPE_MESSAGE = (
    "This coach reflects on situations about managing and leading people: a team, a direct report, "
    "your own role as a manager. Its only source is a small set of articles on management and leadership, "
    "so it has nothing grounded to say about this topic and will not guess. "
    "Describe what is happening with your team or in your role, and it will answer with cited passages."
)

ENGLISH_NOTICE = (
    "The corpus is in English. Your text looks like it is in another language, so passages were matched on "
    "meaning and the feedback is in English."
)

_EN = set(
    "the a an and or but if of to in on at for with from by about as is are was were be been being i me my we our "
    "you your he she they them their it its this that these those have has had do does did not no so what who how "
    "when why which can could would should will just than then there here team manager work".split()
)
_WORK_WORDS = set(
    # en
    "team teams employee employees staff report reports boss colleague colleagues coworker coworkers manager "
    "managers management supervisor hire hired hiring onboarding onboarded deadline deadlines sprint sprints "
    "project projects client clients customer customers department departments company organization organisation "
    "kpi kpis okr okrs meeting meetings one-on-one one-on-ones 1:1 performance promoted promotion engineer engineers "
    "developers workforce headcount reorg retro standup backlog quarterly stakeholders shift shifts ward nurses crew "
    "crews operators auditor procedure procedures "
    # es / pt / it
    "equipo empleados empleado jefe jefa gerente liderazgo líder lider gestión trabajo colaboradores reunión "
    "equipe funcionários chefe gerente liderança gestão trabalho squadra dipendenti capo responsabile lavoro "
    # de / nl
    "team mitarbeiter mitarbeiterin führung führungskraft chef chefin abteilung arbeit besprechung leitung "
    "medewerkers leidinggevende werk "
    # fr
    "équipe equipe employés collaborateurs chef responsable direction management travail réunion manager".split()
)


# Short real situations often name no "team": "two of my best people feel like cogs", "we went fully
# remote and cancelled our check-ins". These are the people and routines of work, said plainly; none
# appears in the off-topic requests (a recipe, a stock tip, a car, a toast, homework, a poem, a tap).
_WORK_PATTERNS = re.compile(
    r"\b(?:my|our|the)\s+(?:best\s+|top\s+|new\s+|senior\s+|junior\s+|two\s+|three\s+|whole\s+)?"
    r"(?:people|folks|reports?|direct reports?|leads?|hires?|juniors?|seniors?|devs?|staff|crew|squad|"
    r"engineers?|designers?|analysts?|agents?|reps?|drivers?|cooks?|chefs?|servers?|cashiers?|teachers?|"
    r"volunteers?|contractors?|interns?|apprentices?|technicians?|workers?|colleagues?|peers?|director|vp|"
    r"ceo|cto|founder|cofounder|co-founder|board|office|store|shop|warehouse|site|plant|clinic|ward|school|"
    r"restaurant|kitchen|lab|branch|unit|org|business|startup|agency|firm|product|roadmap|release|launch|"
    r"tickets?|metrics|dashboards?|processes|process|sla|slas|budget|quarter|targets?|quota|pipeline|"
    r"check-ins?|checkins?|stand-?ups?|retros?|all-hands|huddles?|handovers?|rota|roster|schedule|"
    r"deadline|deadlines|feature|features|customers|clients|vendors?|supplier|suppliers|company|job|role|"
    r"bakery|salon|cafe|café|pub|venue|nursery|depot|factory|pharmacy|stockroom|cold room|bookings)\b"
    r"|\b(?:went|gone|going|work(?:ing)?)\s+(?:fully\s+)?remote\b|\bcheck-ins?\b|\bone[- ]on[- ]ones?\b|"
    r"\b1:1s?\b|\bquit\b|\bresign(?:ed|ation)?\b|\bpromot(?:ed|ion)\b|\bexit interview\b|"
    r"\bperformance (?:plan|review|issue)s?\b|\bowns? (?:the )?(?:deadlines?|work|project|tasks?)\b"
    # the people of a small workplace, said plainly: "7 people work here", "booked by three different
    # people who never compare calendars", "someone forgets to lock the cold room, i said many times"
    r"|\bpeople work (?:here|for (?:me|us))\b|\b(?:two|three|four|five|six|seven|eight|nine|ten|several|\d+) "
    r"(?:different )?people who\b|\bsomeone (?:\w+ ){0,2}(?:forgets?|forgot|leaves?|left|skips?|skipped)\b"
    r"|\bi (?:said|told (?:them|him|her|everyone)) (?:it |this )?(?:many|so many|several|\d+) times\b"
    # the people of a trade, owned ("my florists", "our welders", "my hygienists"), and the people of a
    # place ("everyone here shares the dream of pesticide-free tomatoes"): of the first 90 real situations
    # written for round 7, these two were turned away ("our photographers", "our vision… the players": of
    # the 270 after)
    r"|\b(?:my|our)\s+(?:\w+\s+)?(?:florists|gardeners|growers|pickers|packers|loaders|porters|cleaners|"
    r"mechanics|electricians|plumbers|roofers|builders|labourers|laborers|welders|fitters|installers|"
    r"carers|caregivers|nurses|midwives|paramedics|hygienists|therapists|pharmacists|vets|doctors|surgeons|"
    r"receptionists|clerks|tellers|cashiers|waiters|waitresses|bartenders|baristas|bakers|butchers|"
    r"housekeepers|stewards|lifeguards|instructors|tutors|counsellors|counselors|wardens|rangers|keepers|"
    r"zookeepers|stylists|hairdressers|guards|officers|inspectors|dispatchers|controllers|accountants|"
    r"bookkeepers|lawyers|paralegals|editors|reporters|journalists|translators|programmers|testers|"
    r"researchers|scientists|coordinators|planners|buyers|merchandisers|assistants|salespeople|"
    r"photographers|videographers|musicians|artists|designers|developers|dentists|specialists|technicians|"
    r"drivers|chefs|cooks|groomers|coaches|teachers|lecturers|librarians|curators|players|"
    r"employees|hands|operatives)\b"
    r"|\b(?:everyone|everybody|nobody|no one|no-one) (?:here|on (?:site|shift|the floor))\b"
    # what an organisation holds in common ("our vision is become top 3 of the european league")
    r"|\bour (?:vision|mission|strategy|values|culture)\b", re.I)


@dataclass
class Scope:
    in_scope: bool
    english: bool
    passage_score: float
    purpose_score: float
    notices: list[str] = field(default_factory=list)


_MARKUP = re.compile(r"<[^>]*>|!?\[[^\]]*\]\([^)]*\)|\b\w+://\S+|\S+@\S+")


def is_english(text: str) -> bool:
    """Share of common English words, counted on the prose only (markup, links and addresses removed)."""
    toks = words(_MARKUP.sub(" ", text))
    if len(toks) < 5:
        return True
    return sum(t in _EN for t in toks) / len(toks) >= 0.15


# Nearest of two sets of short descriptions: people at work (staff, volunteers, a crew, a boss) or a
# request about something else (a recipe, a car, a stock, a poem). A short real situation ("Best baker
# handed in her notice this morning") names no team but is nearer the first. On the labelled
# off-topic cases (evals/cases.yaml and the dev split) the margin work - off stayed at or below
# -0.08; on real situations it went down to -0.11 only for non-English ones the word list catches.
WORK_MARGIN = -0.06
AT_WORK = (
    "The people I manage at work", "my staff at the shop keep making the same mistake", "one of my employees quit",
    "my volunteers do not show up", "the nurses on my ward", "my direct reports", "my colleagues and my boss",
    "I run a small business with a few people", "the new hire on my team", "my crew on the night shift",
    "I took over a group of people who do not trust me", "the people who work for me",
    "the drivers and warehouse workers I supervise", "our accountants, receptionists and trainers",
    "a person I manage is older than me", "we missed the target again and nobody owns it",
    "I lead a group of freelancers", "I coach the volunteer coaches at our club", "nobody told the guards about the change",
    "we run a family business, a bakery or a farm shop, and the daily checks are not done",
    "my business partner and I disagree about how to run the shop",
)
ELSEWHERE = (
    "a recipe for a cake", "how do I bake bread", "my car makes a noise when I brake", "should I buy this stock",
    "write a poem for my grandmother", "write a wedding toast", "help with my son's maths homework",
    "how to fix a dripping tap", "my laptop will not turn on", "which holiday destination is best",
    "how do I treat a cold", "my garden plants are dying", "my dog keeps barking at night",
    "what is the capital of France", "translate this sentence", "who won the football match",
    # private life said as a problem, like a situation ("my cat stopped eating", "I can't sleep since the
    # baby"): of 20 such requests written for round 6, 10 were answered as situations, 3 with these (the
    # phrases were written from those 20); of 15 more written afterwards, 10 before and 8 with these.
    # A phrase near a workplace (a landlord's flat, a book club) was left out: it turned away real
    # situations about lettings and a library. All 507 real labelled situations stay in scope.
    "my neighbour is noisy or his tree blocks my light", "I cannot sleep at night",
    "my partner and I keep arguing at home", "my family argues about the holidays",
    "I keep skipping the gym and gaining weight", "learning to play the guitar", "my knee hurts when I run",
    "my flatmate leaves a mess", "my phone or wifi keeps disconnecting",
    "how do I protect my elderly mother from scams", "planning a holiday trip abroad", "my cat is ill",
)


@lru_cache(maxsize=1)
def _work_vectors():
    from . import embed

    return embed.encode_array(list(AT_WORK)), embed.encode_array(list(ELSEWHERE))


def _people_at_work(vec) -> tuple[float, float]:
    import numpy as np

    w, o = _work_vectors()
    v = np.asarray(vec, dtype="float32")
    return float((w @ v).max()), float((o @ v).max())


@lru_cache(maxsize=1)
def _purpose_vectors():
    from . import embed

    return embed.encode_cached(list(PURPOSE))  # constant texts: read from disk after the first run


def assess_scope(text: str, vec, hits) -> Scope:
    import numpy as np

    english = is_english(text)
    passage = max((h.cosine for h in hits), default=0.0)
    purpose = float((_purpose_vectors() @ np.asarray(vec, dtype="float32")).max())
    work, off = _people_at_work(vec)
    in_scope = (passage >= PASSAGE_MIN or purpose >= PURPOSE_MIN or any(t in _WORK_WORDS for t in words(text))
                or bool(_WORK_PATTERNS.search(text)) or work - off > WORK_MARGIN)
    notices = [] if english else [ENGLISH_NOTICE]
    return Scope(in_scope, english, round(passage, 4), round(purpose, 4), notices)
