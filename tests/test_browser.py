"""The page in a real browser: Debian's Chromium driven by Playwright against `streamlit run app.py`.

What only a browser can show: that the answer really renders (and streams), that the citation
links scroll to their source cards, that the chart draws, and that hostile text from a user or a
model neither runs a script nor loads an image nor leaves a `javascript:` link behind. Every
request the page makes is recorded; anything not bound for 127.0.0.1 is aborted *and* fails the
test. Screenshots go to test-artifacts/ (gitignored) for a human to look at.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from procs import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
LOAD_TIMEOUT_MS = 240_000   # the server's first session loads the embedding model
ANSWER_TIMEOUT_MS = 180_000
DRUCKER_SCENARIO = "My team does things right but maybe not the right things"
IMAGE_URL = "http://127.0.0.1:9/x.png"
HOSTILE_SCENARIO = (
    "My team keeps missing deadlines and nobody tracks the work. "
    f"<script>window.__pwned=1</script> ![x]({IMAGE_URL}) [click](javascript:window.__pwned=2) "
    "<img src=http://127.0.0.1:9/y.png onerror=\"window.__pwned=3\">"
)
HOSTILE_REPLY = (
    "Managers will focus on the process, procedures, and all the little details necessary to take care of "
    "maintaining the business. [S1] "
    f"![x]({IMAGE_URL}) <script>window.__pwned=4</script> [click](javascript:window.__pwned=5) "
    "<img src=http://127.0.0.1:9/z.png onerror=\"window.__pwned=6\"> <http://192.0.2.1/a> www.example.invalid"
)


@pytest.fixture(scope="module")
def streamlit_url(ingested):
    """`streamlit run app.py` on a free 127.0.0.1 port, against the session's store; killed at the end."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    env = dict(os.environ)
    env.update({"COACH_DATA_DIR": os.environ["COACH_DATA_DIR"], "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "LITELLM_LOCAL_MODEL_COST_MAP": "True", "ANONYMIZED_TELEMETRY": "False"})
    log = open(ARTIFACTS / "streamlit-server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "coach/web/app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}: see {ARTIFACTS / 'streamlit-server.log'}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().decode() == "ok":
                        break
            except OSError:
                pass
            if time.time() > deadline:
                pytest.fail("streamlit did not answer its health check within 90 s")
            time.sleep(0.3)
        yield url
    finally:
        stop(proc, timeout=15)
        log.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (Debian's chromium; never `playwright install`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class Watched:
    """A page whose every request is recorded; anything not for 127.0.0.1 is aborted."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.context.route("**/*", self._route)

    @staticmethod
    def _route(route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    def foreign(self) -> list[str]:
        out = []
        for u in self.requests:
            p = urlparse(u)
            if p.scheme in ("data", "blob", "about", "chrome-extension"):
                continue
            if p.hostname != "127.0.0.1":
                out.append(u)
        return out

    def close(self):
        self.context.close()


@pytest.fixture
def watched(browser):
    w = Watched(browser)
    yield w
    w.close()


def open_page(page, url: str):
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_label("What is happening?").wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
    # the store and model load before the form is usable; the spinner goes when they are ready
    page.get_by_role("button", name="Reflect").wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)


def reflect(page, scenario: str):
    box = page.get_by_label("What is happening?")
    box.fill(scenario)
    box.press("Control+Enter")  # commit the text to Streamlit before clicking
    page.get_by_role("button", name="Reflect").click()


def wait_for_answer(page, count: int = 1):
    """The answer block shows its 'What was checked' line only when the reflection is complete."""
    page.locator(".st-key-answer").wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
    page.locator(".st-key-history details").nth(count - 1).wait_for(state="attached", timeout=ANSWER_TIMEOUT_MS)


def shot(page, name: str):
    """The whole page: Streamlit scrolls inside its main section, so grow the viewport to fit it."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = page.evaluate("() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
                           "[data-testid=stMainBlockContainer]')].map(e => e.scrollHeight), 900)")
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 80, 12000)})
    try:
        page.screenshot(path=str(ARTIFACTS / name))
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def choose_engine(page, label: str):
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=label).click()


def test_answer_sources_verified_marks_and_chart_in_the_browser(streamlit_url, watched):
    page = watched.page
    open_page(page, streamlit_url)
    shot(page, "01-empty-page.png")
    reflect(page, DRUCKER_SCENARIO)
    wait_for_answer(page)
    answer = page.locator(".st-key-answer")
    # the verified Drucker quote, with its visible mark
    answer.get_by_text("Management is doing things right", exact=False).first.wait_for()
    mark = answer.get_by_text("✓ verified in the corpus").first
    assert mark.is_visible()
    # what was checked
    checks = page.locator(".st-key-checks")  # the built-in engine: where it comes from, not a score
    assert "Where this comes from" in checks.inner_text() and "taken from the articles" in checks.inner_text()
    assert "on-corpus" not in checks.inner_text()
    # source cards with titles, scores and passage text, each with an anchor the citations point at
    cards = page.locator(".st-key-sources [data-testid='stVerticalBlockBorderWrapper'], .st-key-sources [class*='st-key-card_']")
    assert cards.count() >= 3
    assert page.locator("#source-s1").count() == 1
    assert "relevance" in page.locator(".st-key-sources").inner_text()
    links = answer.locator('a[href^="#source-s"]')
    assert links.count() >= 1
    # the chart draws (Vega renders into a canvas or an svg)
    chart = page.locator('[data-testid="stVegaLiteChart"]')
    chart.first.wait_for(state="visible", timeout=60_000)
    assert chart.locator("canvas, svg").count() >= 1
    assert "leans toward" in page.locator('[data-testid="stMain"]').inner_text() or \
        "calls for both" in page.locator('[data-testid="stMain"]').inner_text()
    # downloads are offered
    assert page.get_by_role("button", name="Download as Markdown").is_visible()
    assert page.get_by_role("button", name="Download as JSON").is_visible()
    shot(page, "02-answer.png")
    # a citation link takes the reader to its source card
    target = links.first.get_attribute("href")
    links.first.click()
    page.locator(target).wait_for()
    page.wait_for_function("(id) => { const r = document.getElementById(id).getBoundingClientRect();"
                           " return r.top >= -5 && r.top < window.innerHeight; }", arg=target[1:], timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "03-source-card.png"))
    assert watched.foreign() == [], watched.foreign()


def test_hostile_scenario_and_model_output_stay_inert(streamlit_url, watched):
    from openai_server import FakeOpenAI

    page = watched.page
    with FakeOpenAI(script=[{"content": HOSTILE_REPLY}], chunk_delay=0.12) as srv:
        open_page(page, streamlit_url)
        choose_engine(page, "Another model")
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_role("textbox", name="Model name", exact=True).fill("openai/fake-model")
        sidebar.get_by_role("textbox", name="Model name", exact=True).press("Enter")
        sidebar.get_by_role("textbox", name="API base (optional)", exact=True).fill(srv.url)
        sidebar.get_by_role("textbox", name="API base (optional)", exact=True).press("Enter")
        reflect(page, HOSTILE_SCENARIO)
        # the answer streams in: the cursor shows while the model is still writing
        page.get_by_text("▍").first.wait_for(state="attached", timeout=ANSWER_TIMEOUT_MS)
        wait_for_answer(page)
        assert srv.count == 1
    # open the history entry, which shows the scenario itself
    page.locator(".st-key-history summary").first.click()
    page.locator(".st-key-history details[open]").first.wait_for()
    shot(page, "04-hostile-inert.png")

    # nothing ran, nothing loaded, nothing is left to click
    assert page.evaluate("window.__pwned") is None
    assert page.locator("script", has_text="__pwned").count() == 0
    assert page.locator('a[href^="javascript:"], a[href*="javascript:"]').count() == 0
    assert page.locator("img[src*='127.0.0.1:9'], img[src*='192.0.2.1']").count() == 0
    assert page.locator("[onerror]").count() == 0
    hrefs = page.eval_on_selector_all("[data-testid='stMain'] a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert all(h.startswith("#") for h in hrefs), hrefs
    assert not [u for u in watched.requests if "x.png" in u or "y.png" in u or "z.png" in u or ":9/" in u]
    assert watched.foreign() == [], watched.foreign()
    # and all of it is still there to read, as text
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "[image: x]" in text and "javascript:window.__pwned=5" in text and "<script>window.__pwned=4" in text
    assert "<script>window.__pwned=1</script>" in page.locator(".st-key-history").inner_text()


def test_unreachable_model_offers_the_builtin_engine_in_the_browser(streamlit_url, watched):
    page = watched.page
    open_page(page, streamlit_url)
    choose_engine(page, "Another model")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("textbox", name="Model name", exact=True).fill("openai/fake-model")
    sidebar.get_by_role("textbox", name="Model name", exact=True).press("Enter")
    sidebar.get_by_role("textbox", name="API base (optional)", exact=True).fill(f"http://127.0.0.1:{free_port()}/v1")
    sidebar.get_by_role("textbox", name="API base (optional)", exact=True).press("Enter")
    reflect(page, DRUCKER_SCENARIO)
    error = page.locator(".st-key-model_error")
    error.wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
    assert "cannot reach the model server" in error.inner_text()
    assert "Traceback" not in page.locator('[data-testid="stMain"]').inner_text()
    shot(page, "05-model-error.png")
    page.get_by_role("button", name="Use the built-in engine instead").click()
    wait_for_answer(page)
    assert "verified in the corpus" in page.locator(".st-key-answer").inner_text()
    assert page.locator(".st-key-model_error").count() == 0
    assert watched.foreign() == [], watched.foreign()


def test_engine_names_are_not_cut_off_in_the_sidebar(streamlit_url, watched):
    """Issue 17: "Built-in (extractive): no model, works offline" was cut off in the sidebar's select box."""
    page = watched.page
    open_page(page, streamlit_url)
    sidebar = page.locator('[data-testid="stSidebar"]')
    box = sidebar.locator('[data-testid="stSelectbox"]').first
    box.click()
    options = [o.inner_text().strip() for o in page.get_by_role("option").all()]
    page.keyboard.press("Escape")
    assert len(options) >= 2, options
    shown = box.locator("input").first  # the chosen name is the value of the combobox's input
    for label in options:
        choose_engine(page, label)
        page.wait_for_function("([el, v]) => el.value === v", arg=[shown.element_handle(), label], timeout=30_000)
        scroll, client = shown.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert scroll <= client, f"{label!r} is cut off: {scroll} px of text in a {client} px box"
    shot(page, "07-engine-names.png")
    assert watched.foreign() == [], watched.foreign()


def test_batch_report_fits_a_390px_phone_screen(ingested, browser, tmp_path):
    """Issue 17: report.html was 460 px wide on a 390 px phone. Every case kind is in it (answered,
    out of scope, an input error, long ids and an unbroken long word), and nothing may scroll sideways."""
    from coach.batch import run_batch

    rows = [
        {"id": "a-rather-long-case-identifier-from-the-coaching-spreadsheet-2026-q3",
         "scenario": "My team hits every deadline but nobody knows why the work matters; morale is dropping. "
                     "See https://intranet.example.invalid/very/long/path/to/a/document/without/any/breaks/at/all"},
        {"id": "merger", "scenario": "Two departments merge next quarter and my people are anxious about the change."},
        {"id": "recipe", "scenario": "What is a good recipe for banana bread with walnuts?"},
        {"id": "empty", "scenario": "  "},
    ]
    out = tmp_path / "out"
    import threading

    # Playwright's sync API keeps an event loop on this thread; the batch runs its own on another
    worker = threading.Thread(target=run_batch, args=(rows, out), kwargs={"store": ingested, "progress": False})
    worker.start()
    worker.join(300)
    assert (out / "report.html").exists()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    fetched: list[str] = []
    context.route("**/*", lambda route: (fetched.append(route.request.url), route.continue_()
                                         if route.request.url.startswith("file:") else route.abort()))
    try:
        page = context.new_page()
        page.goto((out / "report.html").as_uri())
        page.locator("#cases").wait_for()
        widths = page.evaluate("() => ({doc: document.documentElement.scrollWidth, body: document.body.scrollWidth,"
                               " inner: window.innerWidth})")
        wide = page.evaluate("() => [...document.querySelectorAll('body *')].filter(e => "
                             "e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + "
                             "e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 10)")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "06-report-390px.png"), full_page=True)
    finally:
        context.close()
    assert widths["inner"] == 390, widths
    assert widths["doc"] <= 390 and widths["body"] <= 390, (widths, wide)
    assert wide == [], wide
    assert all(u.startswith("file:") for u in fetched), fetched


# --------------------------------------------------------------------------------------------------
# A thread in the browser: reflect, follow up, reopen from the journal, delete (issue 16)
# --------------------------------------------------------------------------------------------------
THREAD_MARKER = f"Quokkaville-{os.getpid()}-{int(time.time()) % 100000}"  # unique to this run: searched for on disk
THREAD_SITUATION = (f"My team at {THREAD_MARKER} hits every deadline, but people seem demotivated and nobody "
                    "proposes new ideas any more. I run the weekly status meeting and track every task.")
THREAD_REPLY = ("I asked them in one-on-ones. Two engineers said they want to own the roadmap for the billing "
                f"migration ({THREAD_MARKER}-next), and the designer wants to mentor the new hires.")


def journal_bytes() -> bytes:
    base = Path(os.environ["COACH_DATA_DIR"]) / "journal.sqlite3"
    return b"".join(Path(str(base) + s).read_bytes() for s in ("", "-wal", "-shm") if Path(str(base) + s).exists())


def test_follow_up_journal_and_delete_in_the_browser(streamlit_url, browser, watched):
    from coach.journal.store import Journal
    from coach.common.text import content_words

    for old in Journal().threads():  # what an earlier, failed run of this test left behind
        if "Quokkaville-" in old.first_line:
            Journal().delete(old.id)
    page = watched.page
    open_page(page, streamlit_url)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("kept on this machine only", exact=False).wait_for()
    assert sidebar.locator(".st-key-journal_save input").is_checked()

    reflect(page, THREAD_SITUATION)
    wait_for_answer(page)
    box = page.get_by_label("Answer the coach, or add what happened next")
    box.fill(THREAD_REPLY)
    box.press("Control+Enter")
    page.get_by_role("button", name="Continue this thread").click()
    wait_for_answer(page, 2)
    page.get_by_text("Lens across this thread:", exact=False).first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    journal = Journal()
    [tid] = [s.id for s in journal.threads() if THREAD_MARKER in s.first_line]
    thread = journal.thread(tid)
    assert [t.kind for t in thread.turns] == ["scenario", "reply"]
    first_answer, second = thread.turns[0].feedback["raw_answer"], thread.turns[1].feedback
    shot(page, "07-follow-up.png")

    # a new tab reopens the thread from the sidebar; the chart of leanings over time is drawn there
    other = Watched(browser)
    try:
        p2 = other.page
        open_page(p2, streamlit_url)
        p2.locator(f".st-key-reopen_{tid} button").first.click()
        wait_for_answer(p2, 2)
        p2.locator(".st-key-leaning_chart canvas, .st-key-leaning_chart svg").first.wait_for(
            state="visible", timeout=60_000)
        p2.get_by_text("Lens across this thread:", exact=False).first.wait_for()
        shot(p2, "08-journal-reopened.png")
        assert THREAD_MARKER.encode() in journal_bytes()
        # every turn is back on the page: the situation and the first answer above the newest (issue 31, item 13)
        so_far = p2.locator(".st-key-thread_so_far")
        so_far.wait_for(timeout=60_000)
        assert THREAD_MARKER in so_far.inner_text() and "The coach's answer to turn 1" in so_far.inner_text()
        p2.get_by_role("button", name="Delete this thread").click()
        p2.get_by_role("button", name="Yes, delete it").click()  # asked first (item 12)
        p2.get_by_text(f"Thread {tid} was deleted from your journal.").wait_for(timeout=60_000)
        assert p2.get_by_role("button", name="Delete this thread").count() == 0
        assert other.foreign() == []
    finally:
        other.close()
    assert tid not in [s.id for s in Journal().threads()]
    on_disk = journal_bytes()
    assert THREAD_MARKER.encode() not in on_disk
    assert watched.foreign() == []

    # the second answer speaks to the reply: facts only the reply holds (not the first turn, not a passage)
    passages = " ".join(s["text"] for s in second["sources"])
    facts = set(content_words(THREAD_REPLY)) - set(content_words(" ".join([THREAD_SITUATION, first_answer, passages])))
    assert len(facts & set(content_words(second["raw_answer"]))) >= 2, second["raw_answer"]
