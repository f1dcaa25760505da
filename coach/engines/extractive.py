"""The built-in engine: the coaching plan written out, with no model at all.

The plan (``coach.plan``) holds what a coach would say: the answer to the manager's question, a verdict on
the plan they already have, and for each need the articles' idea, a step applied to this team and a
question of its own. This engine writes it in that order, in the coach's voice: the manager's words quoted
short, every idea of the articles cited where the articles hold it, every step marked with the idea it
applies. It adds no fact of its own, so each sentence is one of the checker's three kinds: the manager's
words, what the articles say, or a suggestion based on a cited idea.

(The name is kept from the engine it replaced, which placed the articles' sentences beside the manager's:
``extractive`` stays the default name the CLI, the page and the journal know.)
"""
from __future__ import annotations

from ..feedback import Plan, PlanStep
from ..common.quoting import quote_short
from .base import Draft, Request

LEANING_PHRASE = {
    "management": "mostly a management question: getting the work organised, measured and done",
    "leadership": "mostly a leadership question: direction, people and how they are led",
    "both": "a question for both roles: a manager's structure and a leader's direction",
}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != "I " else text


def step_block(n: int, step: PlanStep) -> str:
    """One numbered step: the need in the manager's words, the articles' idea (cited), what to do, a question."""
    cite = f" [{step.source_id}]" if step.source_id else ""
    # The quote right after the colon, its speaker after it: "as Maxwell put it, “…”" put the credit where
    # the checker reads the articles' idea, and the part scored 0.26-0.31 against its own passage.
    said = f"“{step.quote}”, as {step.speaker} put it" if step.speaker else f"“{step.quote}”"
    lines = [f"{n}. **{quote_short(step.need)}.** The articles call this {step.label}: {said}{cite}."]
    if step.text:
        lead = "" if "this week" in step.text.lower() else "This week: "
        step_cite = f" [{step.step_source_id}]" if step.step_source_id else cite
        lines[0] += f" {lead}{_lower_first(step.text) if lead else step.text}{step_cite}"
    if step.question:
        lines.append(f"   *To think about:* {step.question}")
    return "\n".join(lines)


def render(plan: Plan, leaning: str, hedge: str = "") -> str:
    """The plan as the answer a manager reads: their question first, then their plan, the leaning, the steps."""
    parts = []
    if plan.question and plan.question_answer:
        parts.append(f"**You ask: {quote_short(plan.question, 24)}** {plan.question_answer}")
    if plan.intended_action and plan.intended_action_reason:
        parts.append(plan.intended_action_reason)
    side, why = LEANING_PHRASE.get(leaning, LEANING_PHRASE["both"]).split(":", 1)
    head = f"**Where your situation sits: {side}{hedge}:{why}.**"
    parts.append(head + (f" {plan.leaning_why}" if plan.leaning_why else ""))
    if plan.steps:
        parts.append("**What to do, problem by problem.**")
        parts.append("\n".join(step_block(n, s) for n, s in enumerate(plan.steps, 1)))
    else:
        # said as the coach's own reading, not as a claim about what the articles hold (which no passage can
        # support: "The articles hold nothing that speaks to …" was marked ⚠ not in the articles)
        parts.append("Read the sources below for yourself: they are the nearest passages, and none came close "
                     "enough to suggest a step.")
    return "\n\n".join(parts) + "\n"


def compose(req: Request) -> Draft:
    plan = req.plan or Plan()
    return Draft(text=render(plan, req.lens.leaning, req.lens.hedge), model="extractive")
