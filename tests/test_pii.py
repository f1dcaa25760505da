"""The personal-data detector and the batch runner's privacy gate (standard library only: fast)."""
from __future__ import annotations

import pytest

from coach.common import pii
from coach.batch import privacy_gate

FOUND = [
    ("Write to jane.doe@example.com today.", "email", "jane.doe@example.com"),
    ("Her address is j_o-e+team@mail.co.uk, she said.", "email", "j_o-e+team@mail.co.uk"),
    ("Mail jane dot doe at example dot com please.", "email", "jane dot doe at example dot com"),
    ("Or JANE(AT)ACME(DOT)COM works too.", "email", "JANE(AT)ACME(DOT)COM"),
    ("Call +44 20 7946 0958 after five.", "phone", "+44 20 7946 0958"),
    ("Call +1 (555) 123-4567 after five.", "phone", "+1 (555) 123-4567"),
    ("Her mobile is 07700 900123.", "phone", "07700 900123"),
    ("Ring 555-123-4567 or not.", "phone", "555-123-4567"),
    ("Ring 555.123.4567 or not.", "phone", "555.123.4567"),
    ("Ring (555) 123 4567 or not.", "phone", "(555) 123 4567"),
    ("Dial 0612345678 now.", "phone", "0612345678"),
    ("Toll free 1-800-555-0199 here.", "phone", "1-800-555-0199"),
    ("Pay to DE89 3704 0044 0532 0130 00 today.", "iban", "DE89 3704 0044 0532 0130 00"),
    ("Pay to GB82WEST12345698765432 today.", "iban", "GB82WEST12345698765432"),
    ("Card 4111 1111 1111 1111 was charged.", "card", "4111 1111 1111 1111"),
    ("SSN 123-45-6789 on file.", "national_id", "123-45-6789"),
    ("NI number AB 12 34 56 C on file.", "national_id", "AB 12 34 56 C"),
    ("See https://www.linkedin.com/in/jane-doe-123/ for her CV.", "profile_url", "https://www.linkedin.com/in/jane-doe-123/"),
    ("She posts as twitter.com/janed daily.", "profile_url", "twitter.com/janed"),
]


@pytest.mark.parametrize("text,kind,value", FOUND)
def test_each_kind_is_found_and_replaced(text, kind, value):
    assert [f.kind for f in pii.scan(text)] == [kind]
    red = pii.redact(text)
    assert value not in red.text
    assert pii.PLACEHOLDERS[kind] in red.text
    assert red.counts == {kind: 1}
    # the text around the identifier is kept as it was
    before = text.split(value)[0]
    assert red.text.startswith(before)


CLEAN = [
    "In 2019-2023 we grew from 12 to 48 people on a budget of 1,200,000 and 1.200.000 EUR.",
    "On 2024-01-15 and again on 15/01/2024 the team of 250 handled 10000 tickets.",
    "Q3 2024 revenue rose 12.5% to $3,400,000; version 1.2.3.4; the ratio was 3:1.",
    "We met from 10.30 - 11.45 in room 204 on floor 3; the ticket was 123456789.",
    "I looked at it and sat at home. Look at acme.com now, we meet at the office dot com.",
    "My direct report, who joined in March, keeps missing one-on-ones; 3 of 7 people agree.",
    "Peter Drucker said management is doing things right; see page 42-43 of the book.",
    "Card-like but not Luhn: 4111 1111 1111 1112. Repeated digits: 0000 0000 0000 0000.",
]


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_numbers_and_words_are_not_flagged(text):
    assert pii.scan(text) == []
    assert pii.redact(text).text == text


def test_several_kinds_in_one_text_are_counted_and_described_without_values():
    text = ("Jane (jane@acme.com, +49 30 12345678) and Bob (bob@acme.com) reviewed IBAN GB82 WEST 1234 5698 7654 32 "
            "and https://linkedin.com/in/bob-smith.")
    counts = pii.kinds_found(text)
    assert counts == {"email": 2, "profile_url": 1, "iban": 1, "phone": 1}
    said = pii.describe(counts)
    assert said == "2 e-mail addresses, 1 personal profile link, 1 bank account (IBAN), 1 phone number"
    for value in ("jane@acme.com", "12345678", "WEST", "bob-smith"):
        assert value not in said
    red = pii.redact(text)
    assert red.text.count("[EMAIL]") == 2 and "[PHONE]" in red.text and "[IBAN]" in red.text
    assert "[PROFILE_URL]." in red.text  # the sentence's full stop stays outside the link
    assert pii.scan(red.text) == []  # placeholders are not found again


def test_gate_holds_only_for_remote_models_unless_the_user_chose():
    text = "My report emails me at sam@example.org at night; what should I do?"
    held = privacy_gate(text, "openai/gpt-4o-mini", "hold")
    assert held.skip_reason and "1 e-mail address" in held.skip_reason
    assert "sam@example.org" not in held.skip_reason
    assert "--redact-pii" in held.skip_reason and "--allow-pii" in held.skip_reason
    assert held.record() == {"found": {"email": 1}, "action": "held", "raw_text_kept": False}

    for local in ("extractive", "local/smollm2"):
        g = privacy_gate(text, local, "hold")
        assert g.skip_reason is None and g.text == text and g.action == "local"
        assert g.record()["raw_text_kept"] is True  # results.jsonl says it holds the text as written

    red = privacy_gate(text, "openai/gpt-4o-mini", "redact")
    assert red.skip_reason is None and red.text == "My report emails me at [EMAIL] at night; what should I do?"
    assert red.action == "redacted"

    allowed = privacy_gate(text, "openai/gpt-4o-mini", "allow")
    assert allowed.skip_reason is None and allowed.text == text and allowed.action == "allowed"

    clean = privacy_gate("My team misses deadlines.", "openai/gpt-4o-mini", "hold")
    assert clean.skip_reason is None and clean.record() is None


def test_redact_deep_reaches_every_user_text_and_leaves_the_corpus_alone():
    """What the batch report and the page's downloads rely on (issue 17): every string a user or a
    model wrote, however deep, loses its identifiers; corpus passages and program fields stay exact."""
    passage = "Management is doing things right; leadership is doing the right things. Call 0612345678."
    rec = {
        "id": "jane.doe@example.com",
        "fields": {"manager email": "boss@example.org", "n": 3},
        "error": None,
        "feedback": {"scenario": "Write to jane.doe@example.com or +44 20 7946 0958.",
                     "answer_markdown": "You said jane.doe@example.com [S1]",
                     "quotes": [{"text": "mail jane.doe@example.com", "verified": False}],
                     "notices": ["reach me at jane.doe@example.com"],
                     "sources": [{"id": "S1", "text": passage}],
                     "lens": {"dimensions": [{"name": "focus"}]}},
        "scenario_sha": "0612345678abcdef",
    }
    found: dict[str, int] = {}
    out = pii.redact_deep(rec, found)
    flat = repr(out)
    assert "jane.doe" not in flat and "boss@example.org" not in flat and "7946" not in flat
    assert out["id"] == "[EMAIL]" and out["fields"]["manager email"] == "[EMAIL]" and out["fields"]["n"] == 3
    assert out["feedback"]["scenario"] == "Write to [EMAIL] or [PHONE]."
    assert out["feedback"]["sources"][0]["text"] == passage and out["scenario_sha"] == rec["scenario_sha"]
    assert found == {"email": 6, "phone": 1}
    assert rec["feedback"]["scenario"].startswith("Write to jane.doe@example.com")  # the input is not changed
