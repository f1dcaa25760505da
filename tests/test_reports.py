"""The HTML reports (coach/reports): hostile text is shown, never live; charts carry their own marks.

Rendered through the real templates and the real Markdown parser, parsed back with the standard
library's HTML parser, so the checks are on tags and attributes, not on substrings of the text.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

SCRIPT = "<script>alert('x')</script>"
IMG = "<img src=x onerror=alert(1)>"
LINK = "[click me](javascript:alert(document.cookie))"
PICTURE = "![tracker](https://example.invalid/pixel.png)"
HOSTILE = f"{SCRIPT} {IMG} {LINK} {PICTURE}"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]

    def handle_data(self, data):
        self.text.append(data)


def _parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    return p


def _record(model: str = "openai/gpt-4o-mini") -> dict:
    return {"id": f"case {SCRIPT}", "status": "ok", "elapsed_s": 0.5, "fields": {"team": IMG},
            "feedback": {"model": model, "in_scope": True, "scenario": f"My team lead wrote: {HOSTILE}",
                         "answer_markdown": f"## Plan\nTalk to them first [S1].\n\n- {SCRIPT}\n- {IMG}\n\n{LINK}\n\n{PICTURE}",
                         "checks": {"on_corpus": 0.8},
                         "quotes": [{"text": IMG, "speaker": SCRIPT, "verified": False, "reason": LINK}],
                         "sources": [{"id": "S1", "title": SCRIPT, "author": IMG, "text": HOSTILE, "doc_id": "d1",
                                      "passage_id": "d1#0", "score": 0.4}],
                         "lens": {"leaning": "management",
                                  "dimensions": [{"name": SCRIPT, "management": 0.7, "leadership": 0.3}]}}}


def test_hostile_scenario_and_answer_are_shown_but_never_live():
    from coach.reports.batch import render_report

    html = render_report([_record()], input_name=f"{IMG}.csv", model=SCRIPT, not_run=[SCRIPT])
    p = _parse(html)
    # nothing runs, nothing is fetched, the only links are the report's own anchors
    assert not {"script", "img", "iframe", "object", "embed", "link", "image", "use"} & set(p.tags), p.tags
    assert not [k for k, _ in p.attrs if k.startswith("on")]
    refs = [v for k, v in p.attrs if k in ("href", "src", "srcset", "xlink:href", "action")]
    assert refs and all(r.startswith("#") for r in refs), refs
    assert "javascript:" not in " ".join(v for _, v in p.attrs)
    # ... and the text is all there, escaped: the reader sees what the case and the answer said
    shown = "".join(p.text)
    for bad in (SCRIPT, IMG, LINK, PICTURE):
        assert bad in shown, bad
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html  # the escaping the reports always used
    # the answer's Markdown still renders (heading under the case's, list, citation styling)
    assert "<h5>Plan</h5>" in html and "<li>" in html and '<span class="cite">[S1]</span>' in html


def test_markdown_keeps_raw_html_links_and_images_as_text():
    from coach.reports.markdown import markdown_html

    out = str(markdown_html(f"**bold** *it* `code`\n{HOSTILE}\n<https://example.invalid/auto>\n\n[ref]: https://x.invalid"))
    tags = set(_parse(out).tags)
    assert {"strong", "em", "code"} <= tags
    assert not tags & {"a", "img", "script"}, tags
    assert "&lt;script&gt;" in out and "javascript:alert" in out  # visible as text, inert


def test_threshold_line_is_part_of_the_chart_data():
    """The eval chart's threshold is a shape placed with the bars' geometry: a bar exactly at the
    threshold ends on the line, whatever the width or the labels."""
    from coach.reports.evals import bar_chart
    from coach.reports.templating import chart_svg

    for labels in (["a", "b"], ["a-much-longer-engine-name/with-a-path", "<b>x</b>"]):
        chart = bar_chart("citation_validity", [(labels[0], 0.8), (labels[1], 0.4)], 0.8, "min")
        bars = [dict(s.attrs) for s in chart.shapes if s.tag == "rect"]
        line = next(dict(s.attrs) for s in chart.shapes if s.tag == "line")
        assert abs(float(bars[0]["x"]) + float(bars[0]["width"]) - float(line["x1"])) < 0.11
        assert bars[0]["fill"] != bars[1]["fill"]  # the bar under the minimum is the other colour
        svg = str(chart_svg(chart))
        assert "<b>" not in svg and re.search(r"<line [^>]*stroke-dasharray", svg)
    no_threshold = bar_chart("latency_p50_s", [("x", 0.3)], None, scale_max=0.0)
    assert not [s for s in no_threshold.shapes if s.tag == "line"]


def _cases_with_personal_data() -> list[dict]:
    recs = []
    for i in range(3):
        r = _record()
        r["id"] = f"case-{i}"
        r["feedback"]["scenario"] = f"Write to dana{i}@example.com about the handover, or call +1 415 555 01{i:02d}."
        r["feedback"]["sources"].append({"id": "S2", "title": "T", "author": "A", "text": f"passage {i}",
                                         "doc_id": f"d{i + 2}", "passage_id": f"d{i + 2}#0", "score": 0.3})
        recs.append(r)
    recs.append({"id": "bad", "status": "error", "error": "timed out", "elapsed_s": 1.0, "fields": {}})
    return recs


def test_sections_drawn_while_the_batch_runs_give_the_same_report():
    """The runner draws each case's section as it finishes (``Sections``); the report assembled from
    them must be the report drawn from scratch: same redaction (and its counts), numbering, anchors."""
    from coach.reports.batch import Sections, render_report

    for allow in (False, True):
        recs = _cases_with_personal_data()
        early = Sections(allow_pii=allow)
        for r in reversed(recs):  # cases finish in any order
            early.add(r)
        kw = dict(input_name="cases.jsonl", model="m", not_run=["x9"], generated_at="2026-01-01 00:00 UTC",
                  allow_pii=allow)
        assert render_report(recs, sections=early, **kw) == render_report(recs, **kw)
        html = render_report(recs, sections=early, **kw)
        assert ("dana0@example.com" in html) is allow
        if not allow:  # the redaction's counts are summed over the sections drawn early
            assert "3 e-mail addresses" in html and "3 phone numbers" in html
        # the passages are numbered in order of first use, whatever order the sections were drawn in
        anchors = re.findall(r'id="(p-\d+)".*?class="meta">([^<]+)<', html)
        assert anchors == [("p-1", "d1#0"), ("p-2", "d2#0"), ("p-3", "d3#0"), ("p-4", "d4#0")], anchors


def test_a_section_is_used_only_for_the_record_it_was_drawn_from():
    from coach.reports.batch import Sections

    rec = _cases_with_personal_data()[0]
    s = Sections()
    s.add(rec)
    assert s.of(rec) is s.of(rec)  # drawn once, reused
    newer = dict(rec, feedback=dict(rec["feedback"], answer_markdown="A newer answer."))
    assert "A newer answer." in str(s.of(newer).view["answer"])  # another record (a rerun) is drawn anew
    assert s.of(newer) is not s.of(rec)


def test_flags_count_failed_checks_only_never_a_personal_data_notice():
    """Issue 31, item 4: "answers with flags 1" and "flags 1" for an answer whose checks were all clean,
    because the personal-data notice was counted as a flag. Flags are failed checks; the notice is a note."""
    from coach.reports.batch import case_flags, case_notes, render_report

    clean = _record()
    clean["id"] = "clean-with-email"
    clean["pii"] = {"found": {"email": 1}, "action": "redacted", "raw_text_kept": False}
    clean["feedback"]["checks"] = {"on_corpus": 1.0, "invalid_citations": [], "unverified_quotes": [],
                                   "unsupported_sentences": [], "invented_facts": []}
    clean["feedback"]["quotes"] = []
    shaky = _record()
    shaky["id"] = "shaky"
    shaky["feedback"]["checks"] = {"on_corpus": 0.5, "unsupported_sentences": [{"text": "x"}],
                                   "invented_facts": [{"text": "y"}]}
    declined = _record()
    declined["id"] = "declined"
    declined["feedback"].update(in_scope=False, checks={})
    assert case_flags(clean) == [] and "personal data" in " ".join(case_notes(clean))
    assert len(case_flags(shaky)) == 2 and case_notes(shaky) == []
    assert case_flags(declined) == [] and case_notes(declined) == ["out of scope: the coach declined to answer"]

    html = render_report([clean, shaky, declined], generated_at="2026-01-01 00:00 UTC")
    cards = dict((label, value) for value, label in re.findall(r'<div class="card"><b>([^<]*)</b><span>([^<]*)</span>', html))
    assert cards["answers with flags"] == "1", cards
    index = re.findall(r'<td class="case-id"><a href="#case-\d+">([^<]*)</a></td>.*?<td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td>', html)
    assert dict(index) == {"clean-with-email": "0", "shaky": "2", "declined": "0"}, index
    # the notice is still shown on the case, as a note, not as a flag
    assert re.search(r'<li class="note">personal data replaced with placeholders before processing: 1 e-mail address</li>',
                     html), html[html.find('id="case-1"'):][:1500]
