"""One turn of a reflection, the same for the CLI, the page and the batch.

Why one function: the CLI and the page each ran their own sequence (checks before sending, the
personal-data guard, the reflection, its notices, the journal) and they drifted: the CLI dropped the
length notice the page showed. ``take_turn`` is that sequence once; the batch, which prepares many
cases at once, uses the same pieces (``check_engine``, ``privacy_gate``).

The personal-data rule, once for every front end: before text goes to an engine that sends it off this
process (``Engine.is_remote``), it is scanned (``coach.common.pii``). Found data is held back by default
(the reason names the kinds, never the values), replaced with placeholders on request (``redact``, for
any engine: the user asked for it) or sent as written on request (``allow``). Engines on this machine
keep everything here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import config
from .common import pii
from .errors import CoachError

if TYPE_CHECKING:
    from .engines import Engine, EngineOptions, OnToken
    from .feedback import Feedback
    from .journal.followup import TurnInput
    from .journal.store import Journal

PII_MODES = ("hold", "redact", "allow")


class HeldBack(CoachError):
    """Personal data would go to a remote model; the message names the kinds, never the values."""


@dataclass
class Gate:
    """What may be sent for a text: the text, what was found, and a reason when it is held back."""

    text: str
    found: dict[str, int] = field(default_factory=dict)
    action: str = ""             # "" (nothing found) | redacted | allowed | local | held
    skip_reason: str | None = None

    def record(self) -> dict | None:
        """What goes into a batch result line. ``raw_text_kept`` says that results.jsonl holds the personal
        data as written (the report and the page's downloads show placeholders unless --allow-pii)."""
        if not self.found:
            return None
        return {"found": self.found, "action": self.action, "raw_text_kept": self.action in ("local", "allowed")}


def privacy_gate(text: str, model: str, mode: str = "hold") -> Gate:
    """Decide what of ``text`` may go to ``model`` under the user's choice ``mode``."""
    from .engines import get_engine

    if mode not in PII_MODES:
        raise ValueError(mode)
    found = pii.kinds_found(text)
    if not found:
        return Gate(text)
    if mode == "redact":
        return Gate(pii.redact(text).text, found, "redacted")
    if mode == "allow":
        return Gate(text, found, "allowed")
    if not get_engine(model).is_remote:
        return Gate(text, found, "local")
    reason = (f"personal data found ({pii.describe(found)}): not sent to {model}. Remove it, or run with "
              "--redact-pii to replace it with placeholders, or --allow-pii to send it as it is")
    return Gate(text, found, "held", reason)


def guard(turn: "TurnInput", model: str, mode: str = "hold") -> "TurnInput":
    """The personal-data rule applied to a whole thread (all of it goes to the model again on every turn)."""
    from .journal.followup import TurnInput

    texts = [turn.scenario] + [t for pair in turn.history for t in pair]
    gates = [privacy_gate(t, model, mode) for t in texts]
    found: dict[str, int] = {}
    for g in gates:
        for kind, n in g.found.items():
            found[kind] = found.get(kind, 0) + n
    if not found or mode == "allow" or all(g.action == "local" for g in gates if g.found):
        return turn
    if mode == "hold":
        raise HeldBack(f"personal data found in this thread ({pii.describe(found)}): not sent to {model}. "
                       "Remove it, or replace it with placeholders, or send it as it is on purpose")

    def red(text: str) -> str:
        return pii.redact(text).text if text else text

    return TurnInput(scenario=red(turn.scenario), reply=red(turn.reply) if turn.reply else turn.reply,
                     history=[(red(a), red(b)) for a, b in turn.history],
                     notices=turn.notices + [f"Personal data was replaced with placeholders before sending "
                                             f"({pii.describe(found)})."])


def check_engine(model: str, opts: "EngineOptions") -> "Engine":
    """The engine ``model`` names, checked before anything loads or is sent: an unknown model, a missing
    key or a refused --api-base is one line now (built-in engines need no check)."""
    from .engines import get_engine

    engine = get_engine(model, api_base=opts.api_base)
    if not engine.is_builtin:
        from .engines.llm import preflight

        preflight(model, opts)
    return engine


@dataclass
class Outcome:
    """A turn's result: the Feedback, and where the journal keeps it (None when it does not)."""

    feedback: "Feedback"
    thread_id: int | None = None
    turn: int | None = None
    not_saved: str | None = None     # why the journal could not keep it (the answer is never lost for it)


def take_turn(text: str, *, model: str | None = None, opts: "EngineOptions | None" = None, k: int = config.DEFAULT_K,
              earlier: list[tuple[str, str]] | None = None, thread_id: int | None = None, pii_mode: str = "hold",
              save: bool = True, journal: "Journal | None" = None, on_token: "OnToken | None" = None,
              store=None) -> Outcome:
    """One turn: the text checked (empty, too long: with its notice), the engine checked, the thread
    built (``earlier``: the thread's (manager's text, coach's answer) pairs, oldest first), the
    personal-data rule applied, the reflection, then the journal (``thread_id``: the saved thread this
    continues, None to start one). A text that is not a situation is declined and not saved."""
    from .engines import EngineOptions
    from .journal import followup
    from .pipeline import check_scenario, reflect

    opts = opts or EngineOptions()
    model = model or config.default_model()
    text, notices = check_scenario(text)
    check_engine(model, opts)
    if earlier:
        turn = followup.thread_turn([t for t, _ in earlier], [answer_text(a) for _, a in earlier], text)
    else:
        turn = followup.first_turn(text)
    turn = guard(turn, model, pii_mode)
    fb = reflect(turn.scenario, model=model, k=k, opts=opts, on_token=on_token, store=store, reply=turn.reply,
                 history=turn.history)
    fb.notices = notices + turn.notices + fb.notices
    out = Outcome(fb)
    if not save or not fb.in_scope:
        return out
    from .journal.store import Journal

    try:
        journal = journal or Journal()
        out.thread_id, out.turn = save_turn(journal, thread_id, earlier or [], text, fb)
    except CoachError as e:
        out.not_saved = str(e)
        fb.notices.append(f"This reflection was not saved to your journal: {e}.")
    return out


def answer_text(answer) -> str:
    """The coach's words of an earlier turn, from a Feedback, its JSON or the text itself."""
    if isinstance(answer, str):
        return answer
    if isinstance(answer, dict):
        return str(answer.get("raw_answer") or answer.get("answer_markdown") or "")
    return str(getattr(answer, "raw_answer", "") or getattr(answer, "answer_markdown", "") or "")


def save_turn(journal: "Journal", thread_id: int | None, earlier: list, text: str, fb: "Feedback") -> tuple[int, int]:
    """Keep a turn in the journal: a new thread, or the next turn of ``thread_id``. ``earlier`` turns of a
    thread that was never saved (the page keeps threads in memory when saving was off) are saved first,
    as (text, Feedback) pairs."""
    if thread_id is not None:
        return thread_id, journal.add(thread_id, text, fb)
    if earlier and not isinstance(earlier[0][1], str):
        (first_text, first_fb), *rest = earlier
        thread_id = journal.start(first_text, first_fb)
        for t, f in rest:
            journal.add(thread_id, t, f)
        return thread_id, journal.add(thread_id, text, fb)
    return journal.start(text, fb), 1


__all__ = ["PII_MODES", "HeldBack", "Gate", "privacy_gate", "guard", "check_engine", "Outcome", "take_turn",
           "save_turn"]
