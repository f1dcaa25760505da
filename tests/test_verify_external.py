"""The verifier on answers from anywhere: `coach verify --jsonl/--passages/--scenario`, the support judge
(values, stems, refusals, contradictions), the severity policy and the RAGTruth report. Real corpus,
real judge file (coach/support_model.json), real CLI processes; nothing mocked."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from coach.feedback import Source
from coach.checks.judge import judge, judge_answer, load_model, risks
from coach.checks.signals import CONTEXT, FEATURES, features, meta_reason
from coach.checks.answer import flag_reasons, is_flagged, verify_answer
from coach.checks.support import contradiction
from coach.checks.answer import sources_from
from coach.commands.verify import parse_passages

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "data" / "ragtruth-qa-dev.jsonl"
DRUCKER = "Management is doing things right; leadership is doing the right things"
SURVEY = ["passage 1: A 2021 survey of 3,000 firms found that 41 percent of workers were remote in the spring.",
          "passage 2: Salt was sprinkled on the steaks before they went on the grill for 8 minutes."]


def line(**kw) -> str:
    return json.dumps(kw)


# -- the support judge ------------------------------------------------------------------------------
def test_numbers_compare_by_value():
    assert judge("The survey found that 41% of workers were remote.", SURVEY).supported
    assert judge("A survey of 3000 firms found forty-one percent remote.", SURVEY).checked
    bad = judge("The survey found that 14% of workers were remote.", SURVEY)
    assert not bad.supported and "14%" in bad.reason


def test_words_compare_by_stem():
    v = judge("Sprinkle salt on the steaks before grilling them.", SURVEY)
    assert v.checked and v.supported, v


@pytest.mark.parametrize("sentence", [
    "Unable to answer based on the given passages.",
    "The passages do not mention how long the steaks should rest.",
    "(Passage 2)",
    "Based on the given passages, here are the steps:",
])
def test_refusals_and_statements_about_the_passages_are_not_claims(sentence):
    assert meta_reason(sentence), sentence
    v = judge(sentence, SURVEY)
    assert not v.checked and v.supported


@pytest.mark.parametrize("sentence", [
    "Sure, I can help you with that!",
    "I hope this helps!",
    "Let me know if you have any further questions.",
    "If you have any other questions, feel free to ask!",
])
def test_pleasantries_are_not_claims(sentence):
    """Round 3: chat pleasantries were the judge's surest false alarms on RAGTruth (no word shared
    with the passages), and people never label them."""
    assert meta_reason(sentence) == "a pleasantry, not a claim"
    assert not judge(sentence, SURVEY).checked
    # a claim that merely opens with "Sure," is still judged
    assert judge("Sure, salt was sprinkled on the steaks.", SURVEY).checked


INVENTED = ["Pepper and garlic were rubbed into the lamb chops overnight.",
            "The chef served the chops with mashed potatoes and gravy.",
            "Marinate the lamb in red wine and rosemary for a day.",
            "Rest the lamb under foil for ten minutes before carving.",
            "Serve the chops with a glass of Bordeaux."]
COPIED = ["Salt was sprinkled on the steaks before they went on the grill.",
          "A 2021 survey of 3,000 firms found that 41 percent of workers were remote.",
          "The steaks went on the grill for 8 minutes."]
DOUBTFUL = "Salt makes the steaks tender before they go on the grill."


def test_the_rest_of_the_answer_weighs_on_a_doubtful_sentence():
    """Round 3: an answer that invents in one place tends to invent in others. The same doubtful
    sentence passes alone or among copied ones, and fails among invented ones: through the context
    features (its own probability rises) and through the context weight (the others' risk adds)."""
    assert judge(DOUBTFUL, SURVEY).supported
    among_copied = judge_answer([(DOUBTFUL, SURVEY, None)] + [(x, SURVEY, None) for x in COPIED])
    among_invented = judge_answer([(DOUBTFUL, SURVEY, None)] + [(x, SURVEY, None) for x in INVENTED])
    assert among_copied[0].supported and all(v.supported for v in among_copied)
    assert not among_invented[0].supported
    assert among_invented[0].score < among_copied[0].score  # the ctx_* features: its own probability
    model = load_model()
    assert set(CONTEXT) <= set(model["features"]) and model["context_weight"] > 0
    assert risks([0.5, 0.2, 0.1], 0.1) == pytest.approx([0.53, 0.26, 0.17])
    # the verifier judges an outside answer the same way, as a whole
    res = verify_answer(" ".join([DOUBTFUL] + INVENTED), sources_from(SURVEY), judge="passages")
    first = res.checks.sentences[0]
    assert first.text == DOUBTFUL and first.checked and not first.supported
    res = verify_answer(" ".join([DOUBTFUL] + COPIED), sources_from(SURVEY), judge="passages")
    assert all(s.supported for s in res.checks.sentences if s.checked)


def test_framing_is_stripped_and_the_claim_still_judged():
    assert judge("Passage 2 says that salt was sprinkled on the steaks.", SURVEY).supported
    bad = judge("According to passage 1, a 2019 survey found that 65 percent of workers were remote.", SURVEY)
    assert bad.checked and not bad.supported


def test_changed_quantity_and_added_negation_are_caught():
    bad = judge("The steaks went on the grill for 20 minutes.", SURVEY)
    assert not bad.supported and "20" in bad.reason
    assert judge("Salt was sprinkled on the steaks before they went on the grill.", SURVEY).supported
    neg = judge("Salt was not sprinkled on the steaks before they went on the grill.", SURVEY)
    assert not neg.supported and "negation" in neg.reason


def test_alignment_features_weigh_rare_words_and_copied_runs():
    """Round 2 of the judge: words weighted by their rarity in these passages, the single passage
    sentence that covers the claim, and the longest run of words copied in order."""
    copied, _ = features("Salt was sprinkled on the steaks before they went on the grill.", SURVEY)
    assert copied["single"] == 1.0 and copied["run_best"] == 1.0 and copied["idf_novel"] == 0.0
    assert copied["idf_recall"] == 1.0 and copied["novel_share"] == 0.0
    # the same words out of order: full coverage, but no long copied run
    shuffled, _ = features("The grill went on before the steaks were sprinkled with salt.", SURVEY)
    assert shuffled["single"] == 1.0 and shuffled["run_best"] < 0.5
    # a word from nowhere costs more than it would as a share of plain recall, and shows in idf_novel
    invented, _ = features("Salt was sprinkled on the steaks before they went on the barbecue smoker.", SURVEY)
    assert invented["idf_novel"] > 0 and invented["idf_recall"] < invented["recall"] + 0.05
    assert 0 < invented["novel_share"] < 0.5


def test_stored_judge_model_matches_its_features_and_records_cross_validation():
    model = load_model()
    assert model["features"] == list(FEATURES) and len(model["coef"]) == len(FEATURES)
    assert {"idf_recall", "single", "run_best"} <= set(FEATURES)
    cv = model["cross_validated"]
    # the file records held-out numbers (group k-fold by source), not only in-sample ones
    assert cv["responses"] > 400 and 0 < cv["response_f1"] <= 1 and len(cv["fold_thresholds"]) == 5
    # the context weight is chosen on each fold's training part, like the threshold
    assert len(cv["fold_context_weights"]) == 5 and set(CONTEXT) <= set(FEATURES)
    assert cv["gpt4_flagged_share"] <= 0.1


def test_a_name_the_manager_wrote_is_not_invented():
    scenario = "I became a manager six weeks ago, running the same QA team I used to be part of."
    r = verify_answer("You run the same QA team you used to be part of.", [], whole_corpus=True, scenario=scenario)
    s = r.checks.sentences[0]
    assert r.checks.invented_facts == [] and s.supported and s.against == "parts"
    assert [p.label for p in s.parts] == ["your words"]      # the manager's own fact, by kind


def test_role_swap_and_negation_caught_on_the_corpus_judge():
    passage = ("According to leadership expert, Dr. John C. Maxwell, managers are maintainers relying on systems "
               "and controls. Leaders are innovators and creators who rely on people.")
    swapped = "Maxwell describes leaders as maintainers who rely on systems and controls, and managers as innovators."
    assert "swapped roles" in (contradiction(swapped, [passage]) or "")
    faithful = "Maxwell describes managers as maintainers who rely on systems and controls, and leaders as innovators."
    assert contradiction(faithful, [passage]) is None
    s = Source(id="S1", doc_id="d", title="t", author=None, text=passage, score=1.0)
    r = verify_answer(f"{swapped} [S1]", [s])
    assert r.checks.unsupported_sentences and "swapped" in r.checks.unsupported_sentences[0]["reason"]
    r = verify_answer("Managers are not maintainers relying on systems and controls [S1].", [s])
    assert r.checks.unsupported_sentences and "negation" in r.checks.unsupported_sentences[0]["reason"]


# -- two sources of truth ----------------------------------------------------------------------------
SITUATION = ("Every process on my team is documented and our ticket metrics are green, yet two of my best "
             "engineers tell me they feel like cogs. One of them asked to move to another team last week.")


def test_restating_the_situation_passes_and_an_invented_fact_is_flagged():
    answer = ("You wrote that your processes are documented and your ticket metrics are green. "
              "Two of your best engineers feel like cogs, and one asked to move to another team. "
              "Your return rate doubled after the May catalog launch.")
    r = verify_answer(answer, [], whole_corpus=True, scenario=SITUATION)
    about = [s for s in r.checks.sentences if s.against == "parts"]   # a coach's sentences, checked part by part
    assert len(about) == 3, r.checks.sentences
    assert about[0].supported and about[1].supported
    assert [p.label for p in about[0].parts + about[1].parts] == ["your words", "your words"]
    assert not about[2].supported and "not in your situation" in about[2].reason
    assert about[2].parts[0].label == "not in your situation"
    assert [f["text"] for f in r.checks.invented_facts] == ["Your return rate doubled after the May catalog launch."]
    assert "⚠ *not in your situation*" in r.annotated
    assert is_flagged(r.checks)  # an invented fact always fails


WAREHOUSE = ("im shift supervisor nights in warehouse, 14 pickers. the guys are good people we laugh alot, morale is "
             "great honestly. but pick rate is droping every week and no one know who is suposed to do replen at 3am, "
             "it just dont happen.")


@pytest.mark.parametrize("sentence,invented", [
    # paraphrases and interpretations, in words the manager did not use
    ("You mentioned that the replenishment task at night is not assigned to anyone.", False),
    ("Your team seems to lack direction.", False),
    ("You wrote that morale on the night shift is high.", False),
    # facts of other situations: short, in ordinary words, and not the manager's
    ("You wrote that the baby room was out of ratio twice.", True),
    ("You mentioned that the crews blame each other for the missed bins.", True),
    ("Your team: tracked in a notebook.", True),
])
def test_a_paraphrase_passes_and_another_situations_fact_is_flagged(sentence, invented):
    """The word rule alone flagged a third of faithful paraphrases and interpretations, and let short
    foreign facts through when their words happened to be the corpus's; a sentence's meaning close to
    one of the manager's thoughts (support_check.PARAPHRASE_MIN) now decides what the words cannot."""
    r = verify_answer(sentence, [], whole_corpus=True, scenario=WAREHOUSE)
    assert bool(r.checks.invented_facts) is invented, (r.checks.invented_facts, r.checks.sentences)


SALON = ("I own a small hair salon with 6 stylists. Last week we had 2 double bookings because everyone books "
         "clients in their own notebook, and Ben keeps promising clients things we never agreed.")


@pytest.mark.parametrize("sentence,invented", [
    ("Count double bookings each week, starting from last week's 2 double bookings [S1].", False),
    # an event counted in a number the manager never wrote (dev: w9a-09; 4 is 6 - 2, so the outside-fact
    # scan lets it pass as worked out from theirs: a number of what happened must be one they wrote)
    ("Count double bookings each week, starting from last week's 2 double bookings and the 4 no-shows the week "
     "before [S1].", True),
    # a step's clause told as done, with words and a meaning of its own (dev: w9b-21)
    ("Agree one booking book this week, before the school-district contract where Ben promised a custom quiz "
     "builder is signed [S1].", True),
    ("Ask Ben, before he promises anything else, which clients he has told what [S1].", False),
])
def test_a_step_that_reports_an_event_of_its_own_is_checked_against_the_situation(sentence, invented):
    """Issue 28: a suggestion may propose anything, but a clause of it that reports what happened (a number
    of the manager's world, a promise told as made) must be in the situation."""
    passage = "Managers facilitate 1-on-1’s with their direct reports, creating clear expectations."
    src = Source(id="S1", doc_id="d", title="t", author=None, text=passage, score=1.0)
    r = verify_answer(sentence, [src], scenario=SALON)
    assert bool(r.checks.invented_facts) is invented, (r.checks.invented_facts, r.checks.sentences)


@pytest.mark.parametrize("sentence,invented", [
    # asides that report a fact of their own (fresh injections by a new writer, w9a half: coach/checks/asides.py)
    ("Talk to each stylist alone this week, starting with Priya [S1].", True),                       # a new name
    ("Talk to each stylist alone this week, starting with Ben, who has already handed in his notice [S1].", True),
    ("Agree one booking book with the 6 stylists, as the landlord asked after the March inspection [S1].", True),
    ("Agree one booking book this week, especially with the junior, who has asked for a pay rise [S1].", True),
    # the same shapes holding only the manager's own facts, or proposing: not invented
    ("Talk to each stylist alone this week, starting with Ben, who keeps promising clients things [S1].", False),
    ("Agree one booking book this week, since everyone books clients in their own notebook [S1].", False),
    ("Agree with the 6 stylists where every booking gets written, and who checks it [S1].", False),
    ("Who among your 6 stylists would take ownership of the booking book if it were theirs [S1]?", False),
    ("Keep every booking in one shared Google Sheet that all 6 stylists can see, and use Trello for the rota [S1].",
     False),                                                             # a tool the step proposes is not a person
])
def test_an_aside_that_reports_a_fact_is_checked_against_the_situation(sentence, invented):
    """Issue 28: a model slips a fact into a faithful step as an aside (", who has already …", ", as X asked
    after …", a name the manager never wrote); the event check, which counts only words nobody has, let 43 of
    60 such fresh injections through."""
    passage = "Managers facilitate 1-on-1’s with their direct reports, creating clear expectations."
    src = Source(id="S1", doc_id="d", title="t", author=None, text=passage, score=1.0)
    r = verify_answer(sentence, [src], scenario=SALON)
    assert bool(r.checks.invented_facts) is invented, (r.checks.invented_facts, r.checks.sentences)


@pytest.mark.parametrize("sentence,invented", [
    # r13 fresh answers (40 faithful answers to situations.yaml dev prompts by a stand-in model, 80 injected
    # mistakes by a second writer): the shapes they taught, each way round
    ("Hand the rota to your head stylist Marta this week [S1].", True),                     # a name after a role
    ("Start with the two double bookings since January [S1].", True),                       # a date they never gave
    ("Ask someone who has built rotas before to check it with you [S1].", False),           # whom to pick
    ("Write down what you named yourself, which you described in your own words [S1].", False),
    ("Lay out every booking from last week: who was booked, who was moved, who decided [S1].", False),
    ("Agree how each booking is recorded when it is made, and check it by Wednesday [S1].", False),
    ("Look only at bookings that have not moved since the week before [S1].", False),
    # the check part's lessons: a step's restrictive clause after an indefinite, an indirect question, a supposition
    ("Add one booking where a stylist stepped beyond the book to help a client [S1].", False),
    ("Ask whom they wish they had met sooner and which clients they would swap [S1].", False),
    ("Replacing Ben would remove what already works there to fix what is missing [S1].", False),
    ("Reread the booking rules next to your notes and mark what still holds [S1].", False),
])
def test_what_a_step_proposes_is_not_read_as_a_report(sentence, invented):
    """Issue 28: a step's own clauses (a person to look for, an indirect question, a present passive, a deadline
    day, "since the week before") propose; a name brought in after a role, a month the manager never gave, report.
    On the r13 fresh faithful answers these took the warned answers from 21 of 40 to 3 (with the verdict rule)."""
    passage = "Managers facilitate 1-on-1’s with their direct reports, creating clear expectations."
    src = Source(id="S1", doc_id="d", title="t", author=None, text=passage, score=1.0)
    r = verify_answer(sentence, [src], scenario=SALON)
    assert bool(r.checks.invented_facts) is invented, (r.checks.invented_facts, r.checks.sentences)


@pytest.mark.parametrize("sentence", [
    "This calls mostly for **management**: what is missing is one booking book [S1].",
    "What is missing is one way of booking, so this calls mostly for management [S1].",
    "Leadership is needed to get Ben and the others talking again [S1].",
    "This calls for **both**: management (the booking book, the rota) and leadership (Ben's promises) [S1].",
    "Nothing you wrote suggests the stylists do bad work; what is missing is one booking book [S1].",
    "The passages put it directly: managers create “clear expectations” [S1].",
    "Managers create “clear expectations” [S1], and this salon has none.",
])
def test_the_coachs_verdict_and_its_lead_ins_are_not_claims_about_the_articles(sentence):
    """Issue 28: "this calls mostly for management", "leadership is needed to …" are the coach's reading of the
    situation, not a sentence of the articles, and a "none" about the manager's salon does not turn the passage
    round. Ten of the 28 warnings on the r13 fresh faithful answers were of these shapes."""
    passage = "Managers facilitate 1-on-1’s with their direct reports, creating clear expectations."
    src = Source(id="S1", doc_id="d", title="t", author=None, text=passage, score=1.0)
    r = verify_answer(sentence, [src], scenario=SALON)
    bad = [(p.kind, p.reason) for s in r.checks.sentences for p in s.parts if not p.ok]
    assert not bad and not r.checks.unverified_quotes, bad


@pytest.mark.parametrize("sentence,reversed_", [
    # the roles swapped in the articles' own words (r13 fresh mistakes)
    ("Leaders are the “tacticians” who do the things needed to achieve the goal [S1].", True),
    ("A manager also shows appreciation to team members [S1].", True),
    # advice that hands off what the passage says to hold, with no "not"
    ("Managers leave expectations open and let each stylist track their own progress [S1].", True),
    ("Leave it to each stylist to decide how to book, rather than agreeing one way [S1].", True),
    ("Managers leave “holding their team accountable” to others and focus on the bigger picture [S1].", True),
    ("Leaders get results through processes rather than through coaching, mentoring and equipping people [S1].", True),
    # (r14, the r13 tune part's missed reversals) "leaving", "to decide", "their reports", "distance from"
    ("They describe managers leaving expectations open and trusting people to track their own progress [S1].", True),
    ("Leave each of them to decide what is expected and when to report back [S1].", True),
    ("Managers use 1-on-1s to let their reports set the expectations [S1].", True),
    ("Start by keeping a professional distance from what motivates and inspires your stylists [S1].", True),
    # (r15, the r13 check parts' missed reversals) what is left to others is named, a duty kept to a minimum
    ("A leader focuses on results, leaving what motivates and inspires their people to managers [S1].", True),
    ("Managers leave the clear expectations to their teams and focus on the big picture [S1].", True),
    ("A leader keeps coaching, mentoring and equipping to a minimum and lets results speak [S1].", True),
    ("Leaders hold back appreciation for team members until the results are in [S1].", True),
    ("The stylists, not managers, are the ones “creating clear expectations and holding their team accountable” [S1].",
     True),
    ("Managers set the direction and leave the things needed to achieve the goal to others [S1].", True),
    ("Leaders set the direction and leave the things needed to achieve the goal to managers [S1].", False),
    ("Leaders set the direction and leave the things needed to achieve the goal to others [S1].", False),
    # faithful: a step that leaves the manager's own work to others, a minimum of something the passage never holds
    ("Leave the Saturday rota to your two senior stylists for a month [S1].", False),
    ("Keep the Monday meeting to a minimum: ten minutes, standing [S1].", False),
    # faithful: the roles where the passage puts them, a modifier, an empowering step beside an empowering passage
    ("Managers are “tacticians” who do the things needed to achieve the goal [S1].", False),
    ("A leader shows appreciation to team members [S1].", False),
    ("Develop one stylist into a management role this year [S1].", False),
    ("Ask each stylist what motivates and inspires them, and keep a note of it [S1].", False),
])
def test_a_role_swap_in_the_articles_words_and_a_handed_off_duty_are_reversals(sentence, reversed_):
    """Issue 28: a reversal told in the passage's own words with the other role ("Leaders are the “tacticians”"),
    or as advice to let go of what the passage says to hold ("leave expectations open"), has no "not" to find."""
    passage = ("Managers are tacticians who do the things needed to achieve the goal, creating clear expectations "
               "and holding their team accountable. A leader shows appreciation to team members. Leadership is about "
               "getting results through people: coaching, mentoring, equipping. Leaders get to know what motivates "
               "and inspires their people.")
    src = Source(id="S1", doc_id="d", title="t", author=None, text=passage, score=1.0)
    r = verify_answer(sentence, [src], scenario=SALON)
    bad = [p.reason for s in r.checks.sentences for p in s.parts if not p.ok]
    assert bool(bad) is reversed_, bad


@pytest.mark.parametrize("sentence,reversed_", [
    ("A leader leaves the personal development of each individual to managers and focuses on the big picture [S1].",
     True),
    ("Managers set the vision themselves and leave the moving parts to their teams [S2].", True),
    ("The people doing the work, not managers, are responsible for “creating, implementing and monitoring the "
     "processes” [S3].", True),
    # faithful: the passage's own role keeps it, or it goes to the role the passage gives it to
    ("A leader focuses on the personal development of each individual and team [S1].", False),
    ("As the owner, leave all of the moving parts to your managers [S2].", False),
    ("Managers are responsible for “creating, implementing and monitoring the processes” [S3].", False),
])
def test_what_a_claim_leaves_to_others_is_read_against_who_the_passage_gives_it(sentence, reversed_):
    """Issue 28 (r15, the r13 check parts' missed reversals): the thing handed over is named ("leaves the personal
    development of each individual to managers"), so it is compared with the passage sentence that holds it and
    with the role that sentence gives it to; a role's work given to "the people doing the work, not managers"."""
    texts = ["A leader also focuses on the personal development of each individual and team, working to foster the "
             "communication and feedback needed.",
             "Managers are tacticians who do the things that need to be done. Through this process they manage all of "
             "the moving parts toward a vision that has been established by the leaders of the organization.",
             "It is the responsibility of managers to be creating, implementing and monitoring the processes that will "
             "produce success."]
    srcs = [Source(id=f"S{i}", doc_id="d", title="t", author=None, text=t, score=1.0) for i, t in enumerate(texts, 1)]
    r = verify_answer(sentence, srcs, scenario=SALON)
    bad = [p.reason for s in r.checks.sentences for p in s.parts if not p.ok]
    assert bool(bad) is reversed_, bad


def test_a_team_leader_is_a_job_title_not_the_leadership_role():
    """Issue 28 (r14, a `check2` false alarm): "a weekly meeting with your 8 team leaders" was read as giving leaders
    the managers' team meetings; the same idea said of leaders is still a swap."""
    passage = ("To better understand the differences between management and leadership, think about the daily routines "
               "of the managers and leaders in your organization. Managers facilitate 1-on-1’s with their direct "
               "reports, creating clear expectations and holding their team accountable for meeting them. Managers "
               "also hold team meetings for direction and communication, revisiting and tracking progress towards "
               "quarterly goals.")
    src = Source(id="S1", doc_id="d", title="t", author=None, text=passage, score=1.0)
    r = verify_answer("*Step this week:* Start a short weekly meeting with your 8 team leaders around one page: the "
                      "service level and the few numbers you identified, team by team [S1].", [src],
                      scenario="I came from retail to run a call centre of 120 agents across 8 team leaders. The team "
                               "leaders are great with their people, but none of them can read the workforce reports "
                               "and our service level has been red for 6 weeks.")
    assert not [p.reason for s in r.checks.sentences for p in s.parts if not p.ok]
    r = verify_answer("Leaders hold the team meetings that track progress towards quarterly goals [S1].", [src],
                      scenario=SALON)
    assert [p.reason for s in r.checks.sentences for p in s.parts if not p.ok]


def test_a_passage_clause_naming_both_roles_speaks_of_its_first_role_not_a_job_title():
    """The roles of a clause and its subject are read from the same role nouns: a title ("shift leaders") before
    the subject is neither."""
    from coach.checks.reversals import _passage_clauses

    (_, roles), = _passage_clauses("Our shift leaders say managers plan the rota that the leadership sets.")
    assert roles == {"management"}


def test_letting_each_do_it_their_way_turns_round_a_passage_on_time_and_budget():
    """"Let each department book the sequencer in whatever way suits it" against "getting work done on time, on
    budget and on target" (an r13 tune reversal the hands-off rule missed: the passage named nothing it knew to hold)."""
    passage = "Management is in regards to getting work done on time, on budget and on target."
    src = Source(id="S1", doc_id="d", title="t", author=None, text=passage, score=1.0)
    r = verify_answer("This week: let each stylist book in whatever way suits them [S1].", [src], scenario=SALON)
    assert [p.reason for s in r.checks.sentences for p in s.parts if not p.ok]
    r = verify_answer("This week: agree one booking book with the stylists and check it on Friday [S1].", [src],
                      scenario=SALON)
    assert not [p.reason for s in r.checks.sentences for p in s.parts if not p.ok]


def test_a_1_on_1_is_a_meeting_not_a_number():
    """Issue 28 (found in the last fresh answers): "Have a short 1-on-1 with each person" was warned as bringing in
    "the number 1"."""
    passage = "Managers facilitate one to one meetings with their direct reports, creating clear expectations."
    src = Source(id="S1", doc_id="d", title="t", author=None, text=passage, score=1.0)
    r = verify_answer("This week: have a short 1-on-1 with each stylist about the booking book [S1].", [src],
                      scenario=SALON)
    assert not [p.reason for s in r.checks.sentences for p in s.parts if not p.ok]
    r = verify_answer("Your 3 stylists already missed 14 bookings this month [S1].", [src], scenario=SALON)
    assert [p.reason for s in r.checks.sentences for p in s.parts if not p.ok]   # a number of theirs still counts


@pytest.mark.parametrize("sentence,outside", [
    ("Keep every booking in a Google Sheet the 6 stylists share [S1].", False),   # a tool a step proposes
    ("Put the rota in Microsoft Teams, where all 6 stylists see it [S1].", False),
    ("Google found that one booking book halves double bookings [S1].", True),    # an authority still is one
    ("This week, agree one shared Google Sheet for every booking [S1].", False),  # nor a name from nowhere
])
def test_a_tool_named_after_a_company_is_not_an_authority(sentence, outside):
    """Issue 28 (found at stop 35): "a shared Google Sheet" was warned as citing an authority (Google)."""
    passage = "Managers facilitate 1-on-1’s with their direct reports, creating clear expectations."
    src = Source(id="S1", doc_id="d", title="t", author=None, text=passage, score=1.0)
    r = verify_answer(sentence, [src], scenario=SALON)
    reasons = [p.reason for s in r.checks.sentences for p in s.parts if not p.ok]
    assert any("authority" in x or "names" in x for x in reasons) is outside, reasons


@pytest.mark.parametrize("sentence,swapped", [
    # the roles swapped in a coach's own words, with no "not" (fresh mistakes, tune half: coach/checks/reversals.py)
    ("Planning, organizing and controlling are what leaders focus on [S1].", True),
    ("A manager sets the vision and direction and inspires people to follow [S1].", True),
    # the same ideas on their own side, or both roles joined: faithful
    ("Managers focus on planning, organizing and controlling the work [S1].", False),
    ("A leader sets the direction and inspires people to follow it [S1].", False),
    ("A good manager can also inspire people [S1].", False),
])
def test_a_role_swap_in_the_coachs_own_words_is_caught(sentence, swapped):
    """Issue 28: reversals without a negation ("planning is what leaders focus on") passed every word-level test;
    the curated practices say which role each idea belongs to."""
    passage = ("Managers focus on planning, organizing and controlling. A leader sets direction and inspires "
               "people to follow.")
    src = Source(id="S1", doc_id="d", title="t", author=None, text=passage, score=1.0)
    r = verify_answer(sentence, [src], scenario=SALON)
    reasons = [p.reason for s in r.checks.sentences for p in s.parts if not p.ok]
    # by meaning (role_swapped_idea), or by the passage's own words where the role is the subject (role_swapped_words)
    assert any("the articles give this to" in x or "the cited passage says this of" in x for x in reasons) is swapped, \
        reasons


def test_the_paraphrase_cut_is_what_calibration_on_the_training_situations_picks():
    """``python -m training.restatements`` on evals/situations_train.yaml: the recorded cut must still be
    the calibrated one, and hold its balanced accuracy (paraphrases against other situations' facts)."""
    from training.restatements import balanced_accuracy, build_pairs, calibrate, features
    from coach.checks.support import PARAPHRASE_MIN

    rows = features(build_pairs(ROOT / "evals" / "situations_train.yaml"))
    best = calibrate(rows)
    assert abs(best["cut"] - PARAPHRASE_MIN) < 1e-9, best
    got = balanced_accuracy(rows, PARAPHRASE_MIN)
    assert got["balanced_accuracy"] >= 0.84 and got["flagged_fact"] == 0.0 and got["flagged_interpretation"] == 0.0, got


def test_the_managers_own_words_are_theirs_not_an_unverified_quote():
    r = verify_answer('You said “two of my best engineers tell me they feel like cogs”.', [], whole_corpus=True,
                      scenario=SITUATION)
    assert r.quotes and r.quotes[0].verified and r.quotes[0].speaker == "the manager"
    assert r.checks.unverified_quotes == [] and "✓ *your words*" in r.annotated


# -- severity policy ---------------------------------------------------------------------------------
def test_severity_policy():
    plain = verify_answer("Schedule a short conversation with each engineer this week and listen more than you talk.",
                          [], whole_corpus=True)
    assert plain.checks.unsupported_sentences  # shown ...
    assert not is_flagged(plain.checks)  # ... but not failed by default
    assert is_flagged(plain.checks, fail_on_unsupported=True)
    assert is_flagged(plain.checks, min_on_corpus=0.9)
    mis = verify_answer(f'John C. Maxwell said, "{DRUCKER}."', [], whole_corpus=True)
    assert any("quote" in r for r in flag_reasons(mis.checks))


def test_cli_severity_exit_codes(coach_cli, tmp_path):
    faithful = tmp_path / "faithful.md"
    faithful.write_text(f"As Peter Drucker said, “{DRUCKER}.” Talk with each engineer this week about what "
                        "would make their work feel like their own.\n")
    r = coach_cli("verify", str(faithful))
    assert r.returncode == 0, r.stdout + r.stderr
    assert coach_cli("verify", "--fail-on", "unsupported", str(faithful)).returncode == 1
    mis = coach_cli("verify", "-", input=f"As John C. Maxwell said, “{DRUCKER}.”")
    assert mis.returncode == 1 and "misattributed" in mis.stdout
    assert coach_cli("verify", "--min-on-corpus", "3", str(faithful)).returncode == 2
    scen = coach_cli("verify", "--scenario", SITUATION, "-",
                     input="Your return rate doubled after the May catalog launch.")
    assert scen.returncode == 1 and "not in your situation" in scen.stdout


# -- the JSONL command -------------------------------------------------------------------------------
def test_cli_jsonl(coach_cli, tmp_path):
    answers = [
        line(id="clean", answer="A survey found 41% of workers were remote.\n\nUnable to answer the rest based on the "
             "given passages.", passages=SURVEY),
        "{not json",
        line(id="bad-number", answer="Salt was sprinkled on the steaks. They went on the grill for 20 minutes.",
             passages=SURVEY),
        line(id="no-passages", answer="Hello there world.", passages=[]),
        line(id="quote", answer=f"As John C. Maxwell said, “{DRUCKER}.”", passages=SURVEY),
        line(id="scenario", answer="Your return rate doubled after the May catalog launch.", passages=SURVEY,
             scenario=SITUATION),
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(answers) + "\n")
    r = coach_cli("verify", "--jsonl", str(src))
    assert r.returncode == 1, r.stderr
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["clean", None, "bad-number", "no-passages", "quote", "scenario"]
    clean = out[0]
    assert clean["flagged"] is False and "error" not in clean
    a = json.loads(answers[0])["answer"]
    for s in clean["checks"]["sentences"]:
        assert a[s["start"]:s["end"]].startswith(s["text"][:10]), s
        assert set(s) >= {"text", "start", "end", "checked", "supported", "score", "reason"}
    assert [s["checked"] for s in clean["checks"]["sentences"]] == [True, False]
    assert "error" in out[1] and out[1]["line"] == 2 and "flagged" not in out[1]  # never checked: not "passed"
    bad = out[2]
    # unsupported only: flagged (a check failed), not failed by default (the policy decides the exit code)
    assert bad["flagged"] is True and bad["failed"] is False and bad["fail_reasons"] == [], bad
    assert bad["checks"]["unsupported_sentences"][0]["text"] == "They went on the grill for 20 minutes."
    assert "error" in out[3] and "passages" in out[3]["error"]
    assert out[4]["flagged"] is True and out[4]["checks"]["unverified_quotes"]
    assert out[5]["flagged"] is True and out[5]["checks"]["invented_facts"]
    strict = coach_cli("verify", "--jsonl", "-", "--fail-on", "unsupported", input=answers[2] + "\n")
    assert strict.returncode == 1 and json.loads(strict.stdout)["flagged"] is True
    assert json.loads(strict.stdout)["failed"] is True
    ok = coach_cli("verify", "--jsonl", "-", input=answers[0] + "\n")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    missing = coach_cli("verify", "--jsonl", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_jsonl_error_lines_are_neither_flagged_nor_passed():
    """Issue 31, item 2: an error line said "flagged": false, so a pipeline keeping the lines whose
    "flagged" is false counted a line that was never checked as passed. It has no "flagged" at all."""
    import io

    from coach.commands.verify import run_jsonl

    out = io.StringIO()
    text = "{not json\n" + line(id="no-answer", passages=SURVEY) + "\n" + line(id="x", answer="Hi.", passages=[]) + "\n"
    assert run_jsonl(text, {"fail_on_unsupported": False, "min_on_corpus": None}, out) == 1
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [(r["id"], r["line"]) for r in rows] == [(None, 1), ("no-answer", 2), ("x", 3)]
    for r in rows:
        assert set(r) == {"id", "line", "error"}, r
    assert [r for r in rows if r.get("flagged") is False] == []  # what such a pipeline would keep


def test_cli_passages_file_formats(coach_cli, tmp_path):
    assert parse_passages('["a b", "c d"]', "x") == ["a b", "c d"]
    assert parse_passages('{"text": "a b"}\n"c d"\n', "x") == ["a b", "c d"]
    assert parse_passages("first passage\nwraps\n\nsecond one\n", "x") == ["first passage wraps", "second one"]
    pf = tmp_path / "passages.txt"
    pf.write_text("\n\n".join(SURVEY))
    good = coach_cli("verify", "--passages", str(pf), "--fail-on", "unsupported", "-",
                     input="A 2021 survey found that 41 percent of workers were remote.")
    assert good.returncode == 0, good.stdout
    bad = coach_cli("verify", "--passages", str(pf), "--fail-on", "unsupported", "-",
                    input="A 2021 survey found that 67 percent of workers were remote.")
    assert bad.returncode == 1


# -- issue 31, item 3: one verdict per sentence ---------------------------------------------------------------
GIVEN = ["Managers facilitate 1-on-1's with their direct reports, creating clear expectations and holding their team "
         "accountable for meeting them.",
         "Leadership is the art of encouraging people to perform assigned tasks willingly, efficiently and effectively."]
OWNERS = "My team misses deadlines and nobody owns the tasks."
COACHED = ("You wrote that your team misses deadlines and nobody owns the tasks. Managers create clear expectations "
           "and hold their team accountable [S1]. This week, name one owner for each task in a short 1-on-1 [S1]. "
           "Good leaders make people want to do the work [S2]. Bake a cake for the team on Friday.")


def assert_one_verdict(sentences: list[dict], support_threshold: float, flagged: bool) -> None:
    """What a reader of `coach verify`'s JSON may rely on: a sentence marked unsupported flags its answer, and
    no score below the cut it was held to is reported supported."""
    checked = [s for s in sentences if s["checked"]]
    assert checked
    if any(not s["supported"] for s in checked):
        assert flagged, sentences
    for s in checked:
        if s["against"] == "passages":
            assert s["threshold"] == support_threshold, s
        if s["supported"] and s["threshold"] is not None:
            assert s["score"] >= s["threshold"], s
        for part in s["parts"]:
            if part["ok"] and part["floor"] is not None:
                assert part["score"] >= part["floor"], part
        if s["parts"] and s["supported"]:
            assert all(part["ok"] for part in s["parts"]), s
        if s["supported"] and s["threshold"] is None:  # no score decided: only parts without a score test
            assert s["parts"] and all(part["floor"] is None for part in s["parts"]), s


def test_verify_flags_what_it_marks_and_the_policy_decides_only_the_exit_code(ingested, tmp_path, capsys):
    """Item 3: a sentence marked unsupported in checks.sentences came back with "flagged": false (exit 0)."""
    from coach.cli import main

    answer, given = tmp_path / "answer.md", tmp_path / "passages.json"
    answer.write_text(COACHED)
    given.write_text(json.dumps(GIVEN))
    for extra in ([], ["--scenario", OWNERS]):
        assert main(["verify", "--json", "--passages", str(given), *extra, str(answer)]) == 0
        d = json.loads(capsys.readouterr().out)
        assert any(s["checked"] and not s["supported"] for s in d["sentences"]), d["sentences"]
        assert d["flagged"] is True and d["failed"] is False and d["fail_reasons"] == [], d
        assert_one_verdict(d["sentences"], d["support_threshold"], d["flagged"])
        assert main(["verify", "--json", "--fail-on", "unsupported", "--passages", str(given), *extra,
                     str(answer)]) == 1
        strict = json.loads(capsys.readouterr().out)
        assert strict["flagged"] is True and strict["failed"] is True and strict["fail_reasons"]
    assert main(["verify", "--passages", str(given), str(answer)]) == 0
    assert "flagged, not failed:" in capsys.readouterr().out
    src = tmp_path / "in.jsonl"
    src.write_text(line(id="a", answer=COACHED, passages=GIVEN) + "\n"
                   + line(id="b", answer=COACHED, passages=GIVEN, scenario=OWNERS) + "\n")
    assert main(["verify", "--jsonl", str(src)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    for row in rows:
        assert row["flagged"] is True and row["failed"] is False, row
        assert_one_verdict(row["checks"]["sentences"], row["checks"]["support_threshold"], row["flagged"])
    clean = tmp_path / "clean.md"
    clean.write_text(f"As Peter Drucker said, “{DRUCKER}.”\n")
    assert main(["verify", "--json", str(clean)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["flagged"] is False and d["flags"] == [] and d["failed"] is False


def test_a_part_failed_by_a_rule_scores_zero_and_sets_the_sentences_score():
    """A sentence checked part by part takes its score and threshold from the part that decided it: an
    outside fact fails by rule (score 0, no threshold), not with the 1.0 of a part never scored."""
    r = verify_answer("Studies show 87% of teams improve with weekly check-ins [S1].", sources_from(GIVEN),
                      scenario=OWNERS)
    [s] = [s for s in r.checks.sentences if s.checked]
    assert not s.supported and s.against == "parts" and s.score == 0.0 and s.threshold is None, s
    assert any(not p.ok and p.score == 0.0 and p.floor is None for p in s.parts), s.parts


@pytest.mark.parametrize("model", ["extractive", "local/smollm2", "openai/fake-model"])
def test_answers_of_every_engine_report_no_score_below_its_threshold_as_supported(ingested, capsys, fake_openai,
                                                                                  model):
    """Item 3, the coach's own answers (the built-in engine, the local model, a model over HTTP): each sentence
    says the cut it was held to, and none below it is supported (the parts' floors, 0.35 for what the articles
    say and 0 for a cited step, differ from support_threshold 0.59)."""
    from coach.cli import main

    extra = ["--api-base", fake_openai.url] if model.startswith("openai/") else []
    if model.startswith("openai/"):
        fake_openai.mode = "liar"
    assert main(["reflect", "--json", "--no-save", "--model", model, *extra, SITUATION]) == 0
    fb = json.loads(capsys.readouterr().out)
    checks = fb["checks"]
    assert_one_verdict(checks["sentences"], checks["support_threshold"], flagged=not _clean(checks))
    assert all("threshold" in s for s in checks["sentences"])


def _clean(checks: dict) -> bool:
    return not any(checks[k] for k in ("invalid_citations", "unverified_quotes", "unsupported_sentences",
                                       "invented_facts", "outside_facts"))


# -- the RAGTruth report -----------------------------------------------------------------------------
def test_ragtruth_report_on_a_slice_of_the_dev_file(coach_cli, tmp_path):
    rows = [json.loads(x) for x in DEV.read_text().splitlines()]
    keep = {r["source_id"] for r in rows if r["kind"] == "source"}
    keep = set(sorted(keep)[:6])
    part = tmp_path / "slice.jsonl"
    part.write_text("\n".join(json.dumps(r) for r in rows if r["source_id"] in keep) + "\n")
    r = coach_cli("eval", "--ragtruth", str(part), "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    n = sum(1 for x in rows if x["kind"] == "response" and x["source_id"] in keep)
    assert rep["responses"] == n
    for k in ("response_precision", "response_recall", "response_f1", "sentence_balanced_accuracy",
              "gpt4_flagged_share", "ms_per_sentence"):
        assert k in rep and rep[k] is not None
    assert 0.0 <= rep["response_f1"] <= 1.0 and rep["sentence_balanced_accuracy"] > 0.5
    assert set(rep["per_model"]) >= {"gpt-4-0613"}
    text = coach_cli("eval", "--ragtruth", str(part))
    assert "response level" in text.stdout and "ms per sentence" in text.stdout
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"kind": "response", "source_id": "x", "response": "a", "labels": []}\n')
    b = coach_cli("eval", "--ragtruth", str(broken))
    assert b.returncode == 2 and "unknown source_id" in b.stderr
