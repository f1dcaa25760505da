"""The batch's privacy guard: what of a case may be sent to which model.

Why: cases should be anonymized and sometimes are not. Before a case goes to a model that is not
local (``pipeline.is_remote_model``) it is scanned (``coach.common.pii``); one with an identifier is
``skipped`` with the kinds found (never the values), unless the user chose ``redact`` (placeholders
before retrieval and sending; the stored scenario is the redacted one) or ``allow``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..common import pii

PII_MODES = ("hold", "redact", "allow")


@dataclass
class Gate:
    """What may be sent for a case: the text, what was found, and a reason when it is held back."""

    text: str
    found: dict[str, int] = field(default_factory=dict)
    action: str = ""             # "" (nothing found) | redacted | allowed | local | held
    skip_reason: str | None = None

    def record(self) -> dict | None:
        """What goes into the result line. ``raw_text_kept`` says that results.jsonl holds the personal
        data as written (the report and the page's downloads show placeholders unless --allow-pii)."""
        if not self.found:
            return None
        return {"found": self.found, "action": self.action, "raw_text_kept": self.action in ("local", "allowed")}


def privacy_gate(scenario: str, model: str, mode: str = "hold") -> Gate:
    """Decide what of ``scenario`` may go to ``model`` under the user's choice ``mode``."""
    from ..pipeline import is_remote_model

    found = pii.kinds_found(scenario)
    if not found:
        return Gate(scenario)
    if mode == "redact":
        return Gate(pii.redact(scenario).text, found, "redacted")
    if mode == "allow":
        return Gate(scenario, found, "allowed")
    if not is_remote_model(model):
        return Gate(scenario, found, "local")
    reason = (f"personal data found ({pii.describe(found)}): not sent to {model}. Remove it, or run with "
              "--redact-pii to replace it with placeholders, or --allow-pii to send it as it is")
    return Gate(scenario, found, "held", reason)
