"""The page's follow-up box and journal: what a manager sees of the threads they keep.

Why apart from app.py: the page script is edited by several people at once; the journal and the
follow-up live here and app.py calls into them at four points (sidebar, running a turn, under the
answer, pending follow-ups). Nothing here sends anything anywhere: the journal is a local file and
a follow-up goes through the same ``run_reflection`` as a first turn.

Session state this module owns: ``journal_save`` (the toggle), ``pending_follow_up`` (set by the
box's callback, consumed by the page), ``follow_{i}`` (each box's text) and, in each history entry,
``thread``: ``{"id": journal id or None, "turns": [(manager text, Feedback), ...]}``.
"""
from __future__ import annotations

import logging
from datetime import datetime

import streamlit as st

from ..errors import CoachError
from .page import altair, inert_code, plain_label, sanitize_markdown

log = logging.getLogger("coach.app")
SAVE_KEY = "journal_save"
LISTED = 8          # threads listed in the sidebar
CHART_TURNS = 30    # the manager's last turns drawn over time
LEANING_COLORS = {"management": "#5b7fa6", "both": "#8a8f98", "leadership": "#c4923f"}


def _journal():
    from ..journal.store import Journal

    return Journal()


def saving() -> bool:
    return bool(st.session_state.get(SAVE_KEY, True))


# -- the sidebar ----------------------------------------------------------------------------------
def sidebar_journal() -> None:
    """The save toggle (on by default, saying where the file lives), past threads, the leaning chart."""
    sb = st.sidebar
    sb.divider()
    sb.header("Your journal")
    journal = _journal()
    sb.toggle("Save to my journal", value=True, key=SAVE_KEY)
    where = inert_code(str(journal.path))
    sb.caption(f"Every turn is kept on this machine only, in {where}." if saving() else
               f"Not saving: this session's reflections are gone when you close the tab. The journal is {where}.")
    try:
        threads = journal.threads(limit=LISTED)
        recent = journal.recent_turns(CHART_TURNS)
    except CoachError as e:
        sb.warning(sanitize_markdown(str(e)))
        return
    if not threads:
        sb.caption("No saved reflections yet.")
        return
    with sb.container(key="journal_threads"):
        for s in threads:
            turns = f"{s.turns} turn{'s' if s.turns != 1 else ''}"
            lens = " → ".join(x or "–" for x in s.leanings[-4:])
            sb.button(f"{s.date} · {plain_label(s.first_line, 48)}", key=f"reopen_{s.id}", on_click=_reopen,
                      args=(s.id,), help=f"{turns}; lens across turns: {lens}", width="stretch")
    leaning_chart(recent)


def leaning_rows(recent: list[dict]) -> list[dict]:
    """One row per turn for the chart: when, where on the management–leadership line, which thread."""
    rows = []
    for r in recent:
        if not r.get("leaning"):
            continue
        rows.append({"when": r["at"], "score": float(r["score"] or 0.0), "leaning": r["leaning"],
                     "what": f"thread {r['thread']}, turn {r['turn']}",
                     "said": f"thread {r['thread']}, turn {r['turn']}: {r['leaning']}"})
    return rows


def day_ticks(rows: list[dict]) -> list[str]:
    """The time axis's ticks: the first turn of each day, as its own timestamp. Asked for by count with a
    one-day minimum step, Vega drew no date at all when the turns spanned a few minutes (a CI run of the
    phone test); ticks at the turns themselves are always inside the chart, one per day. (Given as epoch
    numbers, Vega-Lite drew none either: the turns' own ISO strings are what it places.)"""
    first: dict[str, str] = {}
    for r in rows:
        first.setdefault(datetime.fromisoformat(str(r["when"])).date().isoformat(), str(r["when"]))
    return sorted(first.values(), key=datetime.fromisoformat)


def leaning_description(rows: list[dict]) -> str:
    """The sidebar chart in words, its text alternative: how many turns leaned each way, and the newest."""
    from collections import Counter

    n = Counter(r["leaning"] for r in rows)
    parts = [f"{n[k]} {k}" for k in LEANING_COLORS if n[k]]
    return (f"Chart of where your last {len(rows)} reflections leaned, over time: " + ", ".join(parts)
            + f"; the newest leaned {rows[-1]['leaning']}.")


def leaning_chart(recent: list[dict]) -> None:
    """Where the manager's last turns leaned, over time. Drawn for the sidebar's narrow column on a phone
    as well (issue 31, item 11): the two ends are named inside the chart, above and below the dots,
    where no label column can be cut off, and the time axis shows each day once."""
    alt = altair()

    rows = leaning_rows(recent)
    if len(rows) < 2:
        return
    st.sidebar.caption("Where your last reflections leaned, over time (the middle line: both)")
    data = alt.Data(values=rows)
    scale = alt.Scale(domain=[-0.75, 0.75])  # room above and below the dots (±0.5 at most) for the two names
    y = alt.Y("score:Q", scale=scale, title=None, axis=None)
    x = alt.X("when:T", title=None, axis=alt.Axis(format="%d %b", labelAngle=0, values=day_ticks(rows), grid=False,
                                                  labelOverlap=True, labelFlush=True, labelColor="#31333f",
                                                  labelBound=True))
    base = alt.Chart(data)
    line = base.mark_line(color="#c9ccd1", aria=False).encode(x=x, y=y)
    dots = base.mark_circle(size=70).encode(
        x=x, y=y,
        color=alt.Color("leaning:N", legend=None, scale=alt.Scale(domain=list(LEANING_COLORS),
                                                                  range=list(LEANING_COLORS.values()))),
        description=alt.Description("said:N"),
        tooltip=[alt.Tooltip("what:N", title="reflection"), alt.Tooltip("leaning:N", title="leaning"),
                 alt.Tooltip("when:T", title="when", format="%d %b %H:%M")])
    rule = base.mark_rule(color="#e3e5e8", aria=False).encode(y=alt.Y(datum=0, scale=scale, axis=None))
    ends = alt.Chart(alt.Data(values=[{"name": "↑ leadership", "v": 0.75, "b": "top"},
                                      {"name": "↓ management", "v": -0.75, "b": "bottom"}]))
    names = alt.layer(*[
        ends.transform_filter(f"datum.b == '{b}'").mark_text(align="left", baseline=b, fontSize=12, color="#31333f",
                                                             aria=False)
        .encode(x=alt.value(0), y=alt.Y("v:Q", scale=scale, axis=None), text="name:N")
        for b in ("top", "bottom")])
    with st.sidebar.container(key="leaning_chart"):
        chart = (rule + line + dots + names).properties(height=170, description=leaning_description(rows),
                                                        padding={"left": 4, "right": 8, "top": 2, "bottom": 2})
        st.altair_chart(chart, width="stretch")


def _reopen(thread_id: int) -> None:
    """Load a saved thread into this session's history and show its newest turn."""
    from ..feedback import Feedback

    try:
        thread = _journal().thread(thread_id)
    except CoachError as e:
        st.session_state["journal_error"] = str(e)
        return
    history = st.session_state.setdefault("history", [])
    history[:] = [h for h in history if (h.get("thread") or {}).get("id") != thread_id]
    turns: list = []
    for t in thread.turns:
        fb = Feedback.from_dict(t.feedback)
        turns = turns + [(t.text, fb)]
        history.append({"feedback": fb, "at": t.created_at[:16].replace("T", " "),
                        "thread": {"id": thread.id, "turns": turns}, "reopened": True})
    st.session_state["current"] = len(history) - 1
    st.session_state.pop("error", None)


# -- a turn -----------------------------------------------------------------------------------------
def journal_or_none():
    """This page's journal when saving is on (a journal that cannot be opened is the turn's notice)."""
    if not saving():
        return None
    try:
        return _journal()
    except CoachError:
        return None


def remember(out, text: str, follow: dict | None) -> None:
    """Keep the turn (``coach.turn.Outcome``, already in the journal when saving is on) in this
    session's history, as the next turn of its thread."""
    feedback = out.feedback
    if out.not_saved:
        log.warning("journal write failed: %s", out.not_saved)
    parent = (follow or {}).get("thread") or {"id": None, "turns": []}
    thread = {"id": out.thread_id if out.thread_id is not None else parent["id"],
              "turns": list(parent["turns"]) + [(text, feedback)]}
    history = st.session_state.setdefault("history", [])
    history.append({"feedback": feedback, "at": datetime.now().strftime("%H:%M:%S"), "thread": thread})
    st.session_state["current"] = len(history) - 1
    st.session_state.pop(f"follow_{(follow or {}).get('index')}", None)


# -- under the answer -------------------------------------------------------------------------------
def _ask_follow_up(index: int) -> None:
    text = (st.session_state.get(f"follow_{index}") or "").strip()
    if not text:
        st.session_state["follow_hint"] = index
        return
    history = st.session_state.get("history") or []
    if 0 <= index < len(history):
        st.session_state["pending_follow_up"] = {"index": index, "reply": text,
                                                 "thread": history[index].get("thread") or {"id": None, "turns": []}}


CONFIRM_KEY = "confirm_delete"  # the thread whose "Delete" was clicked and awaits "Yes, delete it"


def _ask_delete(thread_id: int) -> None:
    st.session_state[CONFIRM_KEY] = thread_id


def _cancel_delete() -> None:
    st.session_state.pop(CONFIRM_KEY, None)


def _delete_thread(thread_id: int) -> None:
    """Delete after the manager confirmed. Afterwards no reflection is shown in its place: another
    thread's answer with its own Delete button would read as if nothing had been deleted."""
    st.session_state.pop(CONFIRM_KEY, None)
    try:
        _journal().delete(thread_id)
    except CoachError as e:
        st.session_state["journal_error"] = str(e)
        return
    history = st.session_state.get("history") or []
    history[:] = [h for h in history if (h.get("thread") or {}).get("id") != thread_id]
    st.session_state["current"] = None  # nothing shown until the manager picks or writes one
    st.session_state["journal_deleted"] = thread_id


def follow_up_box(entry: dict, index: int) -> None:
    """Under a reflection: the thread's lens so far, a box to answer the coach, and delete."""
    thread = entry.get("thread") or {"id": None, "turns": [(entry["feedback"].scenario, entry["feedback"])]}
    with st.container(key=f"follow_up_{index}", border=True):
        turns = thread["turns"]
        if len(turns) > 1:
            st.caption("Lens across this thread: " + " → ".join(
                (fb.lens.leaning if fb.in_scope else "out of scope") for _, fb in turns))
        st.text_area("Answer the coach, or add what happened next", key=f"follow_{index}", height=100,
                     placeholder="For example: I asked them, and two people said they want more say in the plan…")
        cols = st.columns([1, 1])
        cols[0].button("Continue this thread", key=f"follow_btn_{index}", on_click=_ask_follow_up, args=(index,),
                       icon=":material/forum:", type="secondary")
        if thread.get("id") is not None:
            cols[1].button("Delete this thread", key=f"delete_thread_{index}", on_click=_ask_delete,
                           args=(thread["id"],), icon=":material/delete:",
                           help="Asks first; then removes every turn of this thread from the journal file on this machine.")
            if st.session_state.get(CONFIRM_KEY) == thread["id"]:
                confirm_delete(thread, index)
        if st.session_state.get("follow_hint") == index:
            st.session_state.pop("follow_hint", None)
            st.info("Write your answer or what happened next first.", icon=":material/edit_note:")


def confirm_delete(thread: dict, index: int) -> None:
    """The second step of deleting: say what goes, for good, and ask."""
    n = len(thread.get("turns") or [])
    with st.container(key=f"confirm_delete_{index}"):
        st.warning(f"Delete thread {thread['id']} ({n} turn{'s' if n != 1 else ''}) from your journal? Every turn "
                   "is removed from the file on this machine and cannot be brought back.", icon=":material/warning:")
        cols = st.columns([1, 1])
        cols[0].button("Yes, delete it", key=f"confirm_delete_yes_{index}", on_click=_delete_thread,
                       args=(thread["id"],), type="primary", icon=":material/delete_forever:")
        cols[1].button("Cancel", key=f"confirm_delete_no_{index}", on_click=_cancel_delete)


# -- the whole thread above its newest answer ------------------------------------------------------
def thread_so_far(entry: dict) -> None:
    """Every turn before this one, in order: the manager's words and the coach's answer to them; then
    the words this answer replies to. Shown for a follow-up and for a thread reopened from the journal,
    where the situation is in no text box and the earlier answers would otherwise be out of sight."""
    from .page import render_answer

    thread = entry.get("thread") or {}
    turns = thread.get("turns") or []
    if len(turns) < 2 and not entry.get("reopened"):
        return
    with st.container(key="thread_so_far"):
        st.subheader("This thread" + (f" (journal thread {thread['id']})" if thread.get("id") is not None else ""))
        for n, (text, fb) in enumerate(turns, 1):
            who = "Your situation" if n == 1 else "Your reply"
            st.markdown(f"**Turn {n} · {who}**\n\n" + quote(text))
            if n < len(turns):
                with st.container(border=True, key=f"thread_turn_{n}"):
                    st.caption(f"The coach's answer to turn {n}")
                    # its sources are not the cards below (those are this turn's): citations stay plain text
                    st.markdown(render_answer(fb.answer_markdown, None))


def quote(text: str) -> str:
    """The manager's words as a Markdown quotation, made inert (``sanitize_markdown``)."""
    return "\n".join("> " + line for line in sanitize_markdown(text.strip()).splitlines())


def journal_messages() -> None:
    """One-line outcomes of the sidebar's actions (shown at the top of the page, once)."""
    if st.session_state.get("journal_error"):
        st.warning(sanitize_markdown(st.session_state.pop("journal_error")))
    if st.session_state.get("journal_deleted") is not None:
        tid = st.session_state.pop("journal_deleted")
        st.success(f"Thread {tid} was deleted from your journal.", icon=":material/delete:")
