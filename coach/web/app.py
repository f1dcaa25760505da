"""Reflection Coach: the page a manager sees (`make run` or `coach app`).

A manager describes a situation; the coach answers from its corpus, streams the answer as it is
written, links every citation to the passage it came from, marks verified quotes and flags anything
it could not ground, and shows where the situation sits between management and leadership.

Trust rules this page keeps:
- Text from the user or a model only reaches the browser through ``coach.web.page.render_answer`` /
  ``sanitize_markdown`` (links, images, HTML made inert). ``unsafe_allow_html`` is never used on it.
- The API key lives in one password widget without a session-state key: it is passed to the engine
  and to nothing else (not logged, not stored, not in the history or the downloads).
- Errors become one calm message (and an offer to use the built-in engine); no traceback reaches
  the page.
- The store and the embedding model load once per process (``st.cache_resource``).
"""
from __future__ import annotations

import importlib.util
import logging
import time
import traceback

import streamlit as st

from coach import config
from coach.errors import CoachError
from coach.web import journal_view
from coach.web.feedback_view import show_checks, show_lens, show_sources
from coach.web.page import (
    EXAMPLES,
    check_summary,
    plain_label,
    render_answer,
    shareable_downloads,
    sanitize_markdown,
)

log = logging.getLogger("coach.app")

EXTRACTIVE = "extractive"
LOCAL = "local/smollm2"
OTHER = "other"
GENERIC_ERROR = ("Something went wrong while reflecting on this situation. Please try again; "
                 "the built-in engine needs no model and is always available.")
PAGE_ERROR = "Something went wrong while showing this page. Please reload it and try again."
# Short enough for the sidebar's select box (a longer name was cut off); the details are in ENGINE_HELP.
ENGINE_NAMES = {
    EXTRACTIVE: "Built-in, no model",
    LOCAL: "Local model (smollm2)",
    OTHER: "Another model",
}
ENGINE_HELP = {
    EXTRACTIVE: "Built-in (`extractive`): builds the feedback from the articles' own sentences; needs no model, works offline.",
    LOCAL: "Local model (`local/smollm2`): a small language model running on this machine.",
    OTHER: "Any litellm model name, e.g. openai/gpt-4o-mini, or openai/NAME with an API base.",
}
K_CAPTION = "k passages, plus up to 2 that back the lens"

# Our own constant styling (no user or model text): smaller headings in the source cards, and text colours
# that meet WCAG 2 AA (4.5:1): Streamlit's faded grey for captions (the subtitle, the sidebar's notes) and
# the code chips in them measured 3.7-3.9:1 on white and on the sidebar's #f8f8f7 (issue 31, item 10);
# #4f5058 is 7.5:1 on white and 7.1:1 on #f4f4f3, the code chips' background.
_STYLE = """<style>
.st-key-sources h3 { font-size: 1.05rem; padding-top: 0.2rem; }
.st-key-answer p { line-height: 1.65; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stCaptionContainer"] code { color: #4f5058; opacity: 1; }
</style>"""


# -- heavy resources, once per process -----------------------------------------------------------
# shown only while the cache is empty: the first visit after a start waits ~20 s for the model and the store
@st.cache_resource(show_spinner="Loading the embedding model and the library of articles "
                                "(first start only, about 20 seconds)…")
def open_store():
    """The store, ingested if empty, with the embedding model and the verifier warmed up."""
    from coach.embedding import embed
    from coach.corpus.ingest import ingest
    from coach.pipeline import reflect
    from coach.corpus.store import Store

    config.setup_offline_env()
    t0 = time.perf_counter()
    store = Store()
    if store.count() == 0:
        report = ingest(config.corpus_dir(), store)
        if store.count() == 0:
            raise CoachError("the corpus could not be indexed: " + "; ".join(report.errors[:3]))
    embed.encode(["warm-up"])
    try:  # one silent pass through retrieve, lens and verify so the first real reflection is quick
        reflect("My team misses deadlines and I am their manager.", model=EXTRACTIVE, store=store)
    except Exception as e:  # a warm-up problem shows up again, properly, on the first real reflection
        log.warning("warm-up reflection failed: %s", type(e).__name__)
    log.info("store ready at %s in %.1f s", store.where, time.perf_counter() - t0)
    return store


def local_engine_available() -> bool:
    return importlib.util.find_spec("coach.engines.local") is not None


# -- callbacks (run before the script, so they may set widget state) ------------------------------
def _use_example() -> None:
    label = st.session_state.get("example")
    if label in EXAMPLES:
        st.session_state["scenario"] = EXAMPLES[label]


def _fallback_to_extractive() -> None:
    err = st.session_state.get("error") or {}
    st.session_state["engine"] = EXTRACTIVE
    st.session_state["pending_run"] = {"scenario": err.get("scenario", st.session_state.get("scenario", "")),
                                       "model": EXTRACTIVE, "follow": err.get("follow")}


def _show(index: int) -> None:
    st.session_state["current"] = index
    st.session_state.pop("error", None)  # the chosen reflection takes the place of the error message


# -- sidebar -------------------------------------------------------------------------------------
PII_CHOICES = {"hold": "Hold it back (don't send)", "redact": "Replace it with placeholders",
               "allow": "Send it as written"}


def sidebar() -> dict:
    """The engine settings. The key is returned to the caller and kept nowhere else."""
    sb = st.sidebar
    sb.header("Settings")
    from coach.engines import builtin_engines

    options = builtin_engines() + ([LOCAL] if local_engine_available() else []) + [OTHER]
    if st.session_state.get("engine") not in options:
        st.session_state["engine"] = EXTRACTIVE
    choice = sb.selectbox("Engine", options, key="engine", format_func=lambda n: ENGINE_NAMES.get(n, f"Built-in: {n}"))
    sb.caption(ENGINE_HELP.get(choice, f"Built-in (`{choice}`): needs no model, works offline."))
    model = choice
    api_base = api_key = None
    if choice == OTHER:
        model = sb.text_input("Model name", key="custom_model", placeholder="openai/gpt-4o-mini",
                              help="Any litellm model string, e.g. openai/gpt-4o-mini, ollama/llama3.1, "
                                   "or openai/NAME with an API base.").strip()
        api_base = sb.text_input("API base (optional)", key="api_base", placeholder="http://127.0.0.1:8000/v1",
                                 help="For an OpenAI-compatible server, e.g. a local one.").strip() or None
        # No `key=`: the value never enters st.session_state, so no state dump can carry it.
        api_key = sb.text_input("API key", type="password",
                                help="Kept in this browser session's memory only: never logged, never written to disk."
                                ) or None
    k = sb.slider("Passages to draw on (k)", min_value=3, max_value=config.MAX_K, value=config.DEFAULT_K, key="k",
                  help="The passages retrieved for your situation. Up to 2 more join them: the passages that "
                       "name the two management/leadership axes your situation leans on most.")
    sb.caption(K_CAPTION)
    from coach.engines import get_engine

    pii_mode = "hold"
    if model and get_engine(model).is_remote:
        sb.caption("This engine sends your situation and the passages to that model's server.")
        pii_mode = sb.radio("Personal data (e-mail, phone, IBAN, …) for this model", list(PII_CHOICES), index=0,
                            key="pii_mode", format_func=PII_CHOICES.get,
                            help="Found by a scan before anything is sent. Held back unless you choose otherwise.")
    else:
        sb.caption("Your situation stays on this machine.")
    return {"model": model, "api_base": api_base, "api_key": api_key, "k": int(k), "pii_mode": pii_mode}


# -- running a reflection ------------------------------------------------------------------------
def _redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "•••") if secret and len(secret) >= 4 else text


def run_reflection(scenario: str, model: str, settings: dict, store, follow: dict | None = None) -> None:
    """Stream the answer into a placeholder, then keep the Feedback in this session's history (and
    the journal). ``follow`` makes this turn a follow-up: ``scenario`` is then the manager's reply."""
    from coach.engines import EngineOptions, get_engine
    from coach.turn import take_turn

    st.session_state.pop("error", None)
    remote = get_engine(model).is_remote
    key = settings["api_key"] if remote else None
    opts = EngineOptions(api_base=settings["api_base"] if remote else None, api_key=key, timeout=60.0, retries=2)
    slot = st.empty()
    parts: list[str] = []
    last = [0.0]

    def on_token(piece: str) -> None:
        parts.append(piece)
        now = time.monotonic()
        if now - last[0] >= 0.05:
            last[0] = now
            slot.markdown(sanitize_markdown("".join(parts)) + " ▍")

    try:
        with st.spinner("Reading the passages and reflecting…"):
            # checks before sending (an unknown model or a refused server: one message at once, no
            # retries), the personal-data guard, the reflection and the journal: coach.turn, as the CLI
            thread = (follow or {}).get("thread") or {"id": None, "turns": []}
            out = take_turn(scenario, model=model, opts=opts, k=settings["k"], earlier=thread["turns"] or None,
                            thread_id=thread["id"], pii_mode=settings.get("pii_mode", "hold"),
                            save=journal_view.saving(), journal=journal_view.journal_or_none(), on_token=on_token,
                            store=store)
    except CoachError as e:
        slot.empty()
        st.session_state["error"] = {"message": _redact(str(e), key), "model": model, "scenario": scenario,
                                     "follow": follow}
        return
    except Exception as e:  # never a traceback on the page; the server log gets it, key redacted
        slot.empty()
        log.error("reflection failed (%s): %s", type(e).__name__, _redact(traceback.format_exc(), key))
        st.session_state["error"] = {"message": GENERIC_ERROR, "model": model, "scenario": scenario, "generic": True,
                                     "follow": follow}
        return
    slot.empty()
    journal_view.remember(out, scenario, follow)


# -- showing a reflection ------------------------------------------------------------------------
def show_error(err: dict) -> None:
    with st.container(key="model_error"):
        if err.get("generic"):
            st.error(err["message"])
        else:
            message = sanitize_markdown(err["message"].rstrip(". "))
            st.error(f"**The {sanitize_markdown(err['model'])} engine could not answer:** {message}.")
        if err.get("model") != EXTRACTIVE:
            st.button("Use the built-in engine instead", key="fallback", icon=":material/replay:",
                      on_click=_fallback_to_extractive)
            st.caption("The built-in engine needs no model or key: it builds the feedback from the retrieved passages.")


def show_feedback(feedback, index: int) -> None:
    history = st.session_state.get("history") or []
    if 0 <= index < len(history) and history[index]["feedback"] is feedback:
        journal_view.thread_so_far(history[index])  # a follow-up or a reopened thread: every turn before
    with st.container(key="answer"):
        st.subheader("Reflection")
        for notice in feedback.notices:
            st.info(sanitize_markdown(notice))
        st.markdown(render_answer(feedback.answer_markdown, [s.id for s in feedback.sources]))
    if feedback.in_scope:
        show_checks(feedback)
    reply = None
    if 0 <= index < len(history) and history[index]["feedback"] is feedback:
        journal_view.follow_up_box(history[index], index)
        turns = (history[index].get("thread") or {}).get("turns") or []
        reply = turns[-1][0] if len(turns) > 1 else None  # a follow-up: the download quotes the reply too
    cols = st.columns(2)
    try:  # downloads leave the machine: personal data in them becomes placeholders
        markdown, data, found = shareable_downloads(feedback, reply)
    except Exception:  # a renderer problem must not cost the user their answer
        log.error("markdown rendering failed: %s", traceback.format_exc())
        from coach.common import pii

        markdown, data, found = pii.redact(feedback.answer_markdown).text, "{}", {}
    cols[0].download_button("Download as Markdown", data=markdown, file_name="reflection.md", mime="text/markdown",
                            key=f"dl_md_{index}", on_click="ignore", icon=":material/download:")
    cols[1].download_button("Download as JSON", data=data, file_name="reflection.json",
                            mime="application/json", key=f"dl_json_{index}", on_click="ignore",
                            icon=":material/download:")
    if found:
        from coach.common import pii

        st.caption(f"Personal data in this reflection ({pii.describe(found)}) is replaced with placeholders "
                   "such as [EMAIL] in the downloads.")
    if feedback.in_scope:
        show_lens(feedback)
        show_sources(feedback)


def show_history(history: list[dict], current: int | None) -> None:
    """This session's reflections; ``current`` is the one shown above (None when an error took its place)."""
    st.divider()
    st.subheader("Reflections in this session")
    with st.container(key="history"):
        for i in range(len(history) - 1, -1, -1):
            entry = history[i]
            fb = entry["feedback"]
            here = " · showing above" if i == current else ""
            with st.expander(f"{entry['at']} · {sanitize_markdown(fb.model)} · {plain_label(fb.scenario, 70)}{here}"):
                st.markdown("> " + sanitize_markdown(fb.scenario).replace("\n", "\n> "))
                summary = check_summary(fb)
                st.caption(summary.line() if fb.in_scope else "outside what the coach can speak to")
                if i != current:
                    st.button("Show this reflection", key=f"show_{i}", on_click=_show, args=(i,))


# -- the page ------------------------------------------------------------------------------------
def main() -> None:
    st.set_page_config(page_title="Reflection Coach", layout="centered")
    st.html(_STYLE)
    try:
        page()
    except Exception:  # st.stop/st.rerun are BaseExceptions and pass through; anything else is ours
        log.error("the page failed: %s", traceback.format_exc())
        st.error(PAGE_ERROR)


def page() -> None:
    settings = sidebar()
    st.title("Reflection Coach")
    st.caption("Describe a situation with your team in your own words. The coach answers only from a small "
               "library of articles on management and leadership, and shows you every passage it used.")
    try:
        store = open_store()
    except CoachError as e:
        st.error(f"The library of articles could not be opened: {sanitize_markdown(str(e))}")
        return

    st.selectbox("Start from an example", list(EXAMPLES), index=None, key="example",
                 placeholder="Choose an example situation…", on_change=_use_example)
    st.text_area("What is happening?", key="scenario", height=160,
                 placeholder="For example: my team hits every deadline, but I am not sure we are working on what matters…")
    clicked = st.button("Reflect", type="primary", key="reflect", icon=":material/self_improvement:")

    run: tuple[str, str, dict | None] | None = None  # (scenario or reply, model, follow-up state)
    if clicked:
        text = st.session_state.get("scenario") or ""
        if not text.strip():
            st.info("Describe the situation first: a few sentences about what is happening with your team.",
                    icon=":material/edit_note:")
        elif not settings["model"]:
            st.info("Type a model name in the sidebar, or choose the built-in engine.", icon=":material/tune:")
        else:
            run = (text, settings["model"], None)
    elif st.session_state.get("pending_run"):
        pending = st.session_state.pop("pending_run")
        run = (pending["scenario"], pending["model"], pending.get("follow"))
    elif st.session_state.get("pending_follow_up"):
        follow = st.session_state.pop("pending_follow_up")
        run = (follow["reply"], settings["model"], follow) if settings["model"] else None
    journal_view.journal_messages()
    if run:
        run_reflection(run[0], run[1], settings, store, run[2])

    if st.session_state.get("error"):
        show_error(st.session_state["error"])
    history = st.session_state.get("history") or []
    if history:
        # None: nothing to show above (the thread shown was just deleted); the list below stays
        chosen = st.session_state.get("current", len(history) - 1)
        current = None if chosen is None else min(chosen, len(history) - 1)
        shown = current is not None and not st.session_state.get("error")
        if current is not None and shown:
            show_feedback(history[current]["feedback"], current)
        show_history(history, current if shown else None)
    journal_view.sidebar_journal()  # last, so a turn saved in this run is already listed


main()
