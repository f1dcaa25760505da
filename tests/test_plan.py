"""The coaching plan (issue 29): the manager's question answered first, their own plan weighed, each need given the
articles' idea (cited, word for word) and a step of its own; both engines use it, the contract carries it, and every
sentence the built-in engine writes passes the claims-by-kind checker."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

HARDWARE = ("I own a hardware store, 8 staff. Stock keeps disappearing from the stockroom: we lost about 3% of sales "
            "last quarter. Deliveries are never checked against the invoice and anyone can walk into the stockroom. "
            "I'm planning to give the whole team an honesty talk on Monday. Is that the right first step?")
RETURNS = ("I run a small webshop warehouse, 12 pickers. Only Dita does returns and she is one person; after Black "
           "Friday the returns will double. The pickers are idle the last hour most days because the carrier collects "
           "at 16:00. Should I hire a second person for returns, or make the pickers do returns in their idle hour?")
STORES = ("I run four hardware stores with a store manager in each. Sales targets are met every month. But the store "
          "managers phone me about every decision, even which shelf to put a new product on, and when I am on holiday "
          "nothing gets decided. I want them to run their stores. How do I get them to decide for themselves?")
CATERING = ("Our event catering grew from 20 to 60 events a year. I still do every schedule and equipment list myself "
            "at night, and Lotte and Sam, my two best, wait for me to decide everything on the day.")


def _first_paragraph(text: str) -> str:
    return text.strip().split("\n\n", 1)[0]


@pytest.fixture(scope="module")
def answers(ingested):
    from coach.pipeline import reflect

    return {name: reflect(text, store=ingested) for name, text in
            (("hardware", HARDWARE), ("returns", RETURNS), ("stores", STORES), ("catering", CATERING))}


def test_the_plan_rides_the_contract_and_its_schema(answers):
    from coach.feedback import SCHEMA_PATH, Feedback

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    plan_props = schema["$defs"]["Plan"]["properties"]
    for key in ("question", "question_answer", "intended_action", "intended_action_verdict", "steps"):
        assert key in plan_props, key
    assert {"need", "source_id", "text", "quote", "question"} <= set(schema["$defs"]["PlanStep"]["properties"])
    d = answers["hardware"].to_dict()
    assert d["plan"]["steps"] and Feedback.from_dict(d).to_dict() == d


def test_the_question_is_answered_first_and_the_plan_is_weighed(answers):
    fb = answers["hardware"]
    plan = fb.plan
    assert plan.question == "Is that the right first step?"
    assert plan.intended_action and plan.intended_action in HARDWARE
    assert plan.intended_action_verdict in ("fits", "partly", "does not fit") and plan.intended_action_reason
    first, second = fb.raw_answer.split("\n\n")[:2]
    assert plan.question_answer in first and first.startswith("**You ask:")
    assert plan.intended_action_reason in second      # the manager's own plan, weighed before anything else
    assert fb.raw_answer.index(plan.intended_action_reason) < fb.raw_answer.index("**What to do")


def test_a_choice_between_two_options_names_one_or_says_what_decides(answers):
    fb = answers["returns"]
    assert fb.plan.question and fb.plan.question.startswith("Should I hire a second person")
    first = _first_paragraph(fb.raw_answer)
    assert ("fits better" in first and ("second person" in first or "idle hour" in first)) or "what decides it" in first


def test_steps_apply_a_cited_idea_in_the_articles_own_words(answers):
    from coach.checks.claims import _IMPERATIVE

    for name, fb in answers.items():
        sources = {s.id: " ".join(s.text.split()) for s in fb.sources}
        assert fb.plan.steps, name
        for st in fb.plan.steps:
            assert st.source_id in sources, (name, st)
            assert " ".join(st.quote.split()) in sources[st.source_id], (name, st.quote)   # word for word, cited
            assert st.need and st.need in {"hardware": HARDWARE, "returns": RETURNS, "stores": STORES,
                                           "catering": CATERING}[name]               # the manager's own words
            # a thing to do, perhaps after the case it is for ("If your candidate is strong on one side, decide …")
            assert _IMPERATIVE.match(re.sub(r"^(?:If|When)\b[^,]*,\s*", "", st.text)), st.text
            assert "{" not in st.text + st.question and st.question.endswith("?"), st
        raw = fb.raw_answer
        assert all(f"[{st.source_id}]" in raw for st in fb.plan.steps)
        failed = [(s.text, s.reason) for s in fb.checks.sentences if s.checked and not s.supported]
        assert not failed and not fb.checks.unverified_quotes and not fb.checks.invalid_citations, (name, failed)


def test_a_step_names_this_managers_people(answers):
    """A step that applies an idea to *this* team: "your pickers", "Lotte and Sam", not "your team" everywhere."""
    steps = " ".join(st.text + " " + st.question for fb in answers.values() for st in fb.plan.steps).lower()
    assert "your pickers" in steps or "lotte and sam" in steps or "your store managers" in steps, steps


def test_verdict_rule():
    from coach.corpus.practices import Practice
    from coach.plan.build import verdict

    def p(side: str) -> Practice:
        return Practice(id=side, side=side, idea="", label="", sentence="", passage_id="", doc_id="", quotes=("x",),
                        needs=())

    assert verdict(p("leadership"), [], "leadership", {"leadership"}) == "fits"
    assert verdict(p("leadership"), [], "management", {"leadership"}) == "does not fit"
    assert verdict(None, [], "both", {"leadership", "management"}) == "fits"     # a plan of both kinds
    assert verdict(None, [], "both", {"management"}) == "partly"
    assert verdict(None, [], "management", {"both"}) == "partly"
    assert verdict(None, [], "management", set()) == "partly"                   # nothing to judge by


def test_the_manager_is_quoted_short_and_never_mid_clause():
    from coach.common.quoting import quote_short

    assert quote_short("and honestly I'm not sure I could tell the new people why we exist") == \
        "“honestly I'm not sure I could tell the new people why we exist”"
    assert quote_short("But the people who were here say it feels different") == \
        "“the people who were here say it feels different”"
    assert quote_short("i offered it to three of them and") == "“i offered it to three of them”"
    assert quote_short("But the store managers phone me about every decision, even") == \
        "“the store managers phone me about every decision”"
    long = quote_short("do I need to hire someone to run it day to day, or someone to fix the process first", 12)
    assert long.endswith("…”") and not re.search(r"\b(or|to|a|the)…”$", long), long


def test_a_model_gets_the_plan_as_a_scaffold(ingested, fake_openai):
    from coach.engines.base import EngineOptions
    from coach.pipeline import reflect

    fb = reflect(HARDWARE, model="openai/fake-model", opts=EngineOptions(api_base=fake_openai.url, api_key="k"),
                 store=ingested)
    sent = "\n".join(m["content"] for m in fake_openai.last_request["messages"] if isinstance(m.get("content"), str))
    assert "-PLAN>" in sent and fb.plan.question_answer.split(":")[0] in sent
    for st in fb.plan.steps:
        assert st.text in sent and f"[{st.source_id}]" in sent


@pytest.mark.timeout(900)
def test_every_built_in_sentence_passes_on_the_held_out_situations(ingested):
    """Issue 29, "done when": every sentence of the built-in answers passes the claims-by-kind checker, on the
    situations of evals/coaching.yaml by the writers nothing was tuned on (w9c, w9d)."""
    import yaml

    from coach.pipeline import answer, prepare_many

    cases = [c for c in yaml.safe_load((ROOT / "evals" / "coaching.yaml").read_text(encoding="utf-8"))["cases"]
             if c["split"] == "test"]
    assert len(cases) == 60
    failed = []
    for c, prep in zip(cases, prepare_many([c["scenario"] for c in cases], 5, ingested)):
        fb = answer(prep, "extractive", None)
        failed += [(c["id"], s.text, s.reason) for s in fb.checks.sentences if s.checked and not s.supported]
        assert fb.in_scope and fb.plan.steps, c["id"]
    assert not failed, failed


@pytest.mark.parametrize("scenario,verdict,why", [
    ("I run a print shop with 7 people. Jobs go out late because nobody checks the proofs and the job sheet is never "
     "updated. I'm going to organise a bowling night to lift everyone's spirits.",
     "does not fit", "does not change who does what"),
    ("My two senior engineers wait for me to approve every design decision and I have become the bottleneck; they "
     "never bring me a proposal of their own. I plan to let them sign off designs up to a budget limit themselves and "
     "review the decisions with them once a month.",
     "fits", "handing real decisions"),
    ("Our sales team of 12 has stopped trying: the good people left and the rest think the brand is finished. I'm "
     "going to put a hard target for each of them in their reviews, with no bonus if they miss it.",
     "does not fit", "no reason to care"),
])
def test_a_plan_is_weighed_by_what_kind_of_plan_it_is(ingested, scenario, verdict, why):
    """Issue 29's readers called the plan's verdict the most misleading line ("a picnic fits a workshop where
    nobody checks the colour"): a one-off gathering does not fix missing ownership, pressure on a number does
    not give people a reason to care, handing decisions over fits people who wait to be told. The reason is said
    in the coach's words, and the checker passes it."""
    from coach.pipeline import reflect

    fb = reflect(scenario, model="extractive", store=ingested)
    assert fb.plan.intended_action, fb.plan
    assert fb.plan.intended_action_verdict == verdict, (fb.plan.intended_action_verdict, fb.plan.intended_action_reason)
    assert why in fb.plan.intended_action_reason and why in fb.raw_answer
    assert not [s for s in fb.checks.sentences if s.checked and not s.supported], fb.checks.sentences


def test_a_need_that_shares_a_clause_with_the_plan_keeps_its_step(ingested):
    """Issue 29's own shrinkage example, told in one breath ("Stock keeps going missing between delivery and shelf,
    and I plan to give everyone an honesty talk on Monday"): the clause holding the plan was dropped whole as the
    plan, so the answer had no step at all, said "the steps below" over none and was marked ⚠ twice."""
    from coach.pipeline import reflect

    fb = reflect("I run a hardware store with 9 staff. Stock keeps going missing between delivery and shelf, and I "
                 "plan to give everyone an honesty talk on Monday. Is that the right first step?",
                 model="extractive", store=ingested)
    assert fb.plan.intended_action == "I plan to give everyone an honesty talk on Monday"
    assert [st.need for st in fb.plan.steps][:1] == ["Stock keeps going missing between delivery and shelf"], fb.plan
    assert not [s for s in fb.checks.sentences if s.checked and not s.supported], fb.checks.sentences


def test_with_no_step_the_question_and_the_plan_promise_none(answers):
    """With nothing close enough to answer from, the answer to the question and the word on the plan say so; they
    had pointed to "the steps below" and "the questions at the end" over an empty plan, and were marked ⚠ as
    claims of the articles."""
    from coach.checks.answer import verify_answer
    from coach.checks.support import Situation
    from coach.corpus.practices import corpus_practices
    from coach.plan.asks import answer_question, judge_action
    from coach.reading.situation import read

    fb = answers["hardware"]
    practices, reading = corpus_practices(), read(fb.scenario)
    said, cite = answer_question(fb.plan.question, [], practices, reading)
    _verdict, why = judge_action(fb.plan.intended_action, [], practices, reading)
    assert cite is None
    for text in (said, why):
        assert "below are" not in text and "at the end" not in text and "nothing in the sources" in text.lower()
        res = verify_answer(text, fb.sources, situation=Situation.from_text(fb.scenario))
        assert not [s for s in res.checks.sentences if s.checked and not s.supported], res.checks.sentences


def test_an_answer_with_no_step_says_so_in_words_the_checker_passes(answers):
    """With no need close enough to a practice, the built-in answer says there is no step; the line had claimed
    what the articles hold ("The articles hold nothing that speaks to …") and was itself marked ⚠."""
    from coach.checks.answer import verify_answer
    from coach.checks.support import Situation
    from coach.engines.extractive import render
    from coach.feedback import Plan

    fb = answers["hardware"]
    text = render(Plan(), "management")
    assert "none came close enough to suggest a step" in text
    res = verify_answer(text, fb.sources, situation=Situation.from_text(fb.scenario))
    assert not [s for s in res.checks.sentences if s.checked and not s.supported], res.checks.sentences


@pytest.mark.parametrize("text,people", [
    ("I run the warehouse day shift: 12 pickers and two supervisors.", "your pickers"),
    ("My two supervisors do not talk to each other.", "your two supervisors"),
    ("I manage our six instruments in the core facility with two technicians.", "your technicians"),
    ("My six instruments are booked out weeks ahead and the users complain.", None),
    ("Our customers complain that the orders are late.", None),
    # a held-out furniture workshop's steps spoke to "your buyers" (its customers) as if they were its carvers
    ("15 people, mostly carvers. Before, our buyers from France and Netherlands buy the traditional style.", None),
    ("My boss wants a weekly tracker, and my six drivers wait at the gate.", "your six drivers"),
    ("My two team leads spend all day firefighting.", "your two team leads"),
    ("We've grown from me and my brother to twenty-five people, and it's chaos.", None),
    ("Our bottling line changeovers take anywhere from 40 minutes to 3 hours.", None),
])
def test_a_step_names_the_managers_people_never_their_things(text, people):
    """A step form's {people} slot is filled from the situation: "ask your six instruments what motivates them"
    came from "my six instruments" (a plural that ends like a role's); "my boss wants" was read as people, and
    "my two team leads" was cut to "your two team"."""
    from coach.plan.words import people_of

    assert people_of(text) == people


def test_a_question_about_the_plan_takes_the_plans_verdict(ingested):
    """"Am I wrong to make it compulsory?" after a plan was answered "Partly" one line above "Your plan … fits"."""
    from coach.pipeline import reflect

    fb = reflect("I run a warehouse team of 20. Nobody owns the returns and they pile up for weeks behind the dock. "
                 "I plan to name one owner for returns each week and put the count on a board by the door. Am I wrong "
                 "to make it part of the Monday meeting?", model="extractive", store=ingested)
    p = fb.plan
    assert p.question and p.intended_action and p.intended_action_verdict
    opening = {"fits": "No, you are not wrong", "partly": "Partly", "does not fit": "Not quite"}
    assert p.question_answer.startswith(opening[p.intended_action_verdict]), (p.intended_action_verdict, p.question_answer)
