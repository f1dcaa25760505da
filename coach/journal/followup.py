"""A follow-up turn: what the next reflection reads when a manager answers the coach.

Why a module of its own: the CLI and the page must build exactly the same turn. Retrieval, the
lens, the scope check and the verifier all read the *whole* thread as the manager's situation (the
original words plus every reply), while the engine is told which words are the newest (``reply``,
engaged first) and what it already said (``history``). The personal-data guard (``coach.turn.guard``)
reads the whole thread too, since all of it goes to a remote model again on every turn.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import config
from .store import Thread

SEPARATOR = "\n\n"


@dataclass
class TurnInput:
    """What goes into ``pipeline.reflect`` for one turn."""

    scenario: str
    reply: str | None = None
    history: list[tuple[str, str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def _answer(fb: dict) -> str:
    return str(fb.get("raw_answer") or fb.get("answer_markdown") or "")


def thread_turn(texts: list[str], answers: list[str], reply: str, limit: int | None = None) -> TurnInput:
    """The next turn of a thread whose manager texts are ``texts`` (the situation first) and whose
    coach answers are ``answers``. Over the length limit, the oldest replies are left out first: the
    situation and the newest words always stay."""
    limit = limit or config.MAX_SCENARIO_CHARS
    reply = reply.strip()
    kept = list(texts)
    notices = []
    while len(kept) > 1 and len(SEPARATOR.join(kept + [reply])) > limit:
        kept.pop(1)
    if len(kept) < len(texts):
        notices.append(f"This thread is long: the {len(texts) - len(kept)} oldest of your replies were left out "
                       f"of this turn's reading (limit {limit:,} characters).")
    if len(SEPARATOR.join(kept + [reply])) > limit:
        budget = limit - len(SEPARATOR.join(kept[1:] + [reply])) - len(SEPARATOR)
        if budget >= 200:  # otherwise the reply alone is too long, and check_scenario says so
            kept[0] = kept[0][:budget].rsplit(" ", 1)[0]
            notices.append("Your first description was shortened for this turn (the thread is over the length limit).")
    scenario = SEPARATOR.join(kept + [reply])
    return TurnInput(scenario=scenario, reply=reply, history=list(zip(texts, answers)), notices=notices)


def from_thread(thread: Thread, reply: str) -> TurnInput:
    return thread_turn([t.text for t in thread.turns], [_answer(t.feedback) for t in thread.turns], reply)


def first_turn(scenario: str) -> TurnInput:
    return TurnInput(scenario=scenario)


__all__ = ["TurnInput", "thread_turn", "from_thread", "first_turn"]
