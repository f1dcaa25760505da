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


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


class Watched:
    """A page whose every request is recorded; anything not for 127.0.0.1 is aborted."""

    def __init__(self, browser, device: dict | None = None):
        self.context = browser.new_context(**(device or DESKTOP))
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
    """The reflection is complete when its journal entry is listed under the answer. An error on the page
    fails at once, and a timeout says what the page and the server showed (a CI run gave only "Timeout")."""
    page.locator(".st-key-answer").wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
    entries = page.locator(".st-key-history details")
    errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
    deadline = time.monotonic() + ANSWER_TIMEOUT_MS / 1000
    while entries.count() < count:
        if errors.count():
            pytest.fail(f"the page shows an error: {errors.first.inner_text()[:800]}")
        if time.monotonic() > deadline:
            main = page.locator('[data-testid="stMain"]').inner_text()
            log = (ARTIFACTS / "streamlit-server.log").read_text(errors="replace")
            pytest.fail(f"no journal entry {count} after {ANSWER_TIMEOUT_MS // 1000} s.\nThe page:\n{main[-1500:]}\n"
                        f"The server's log:\n{log[-3000:]}")
        page.wait_for_timeout(250)


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
    mark = answer.get_by_text("✓ the articles").first
    assert mark.is_visible()
    # what was checked, by kind (issue 28), never a bare score
    checks = page.locator(".st-key-checks")
    assert "What was checked" in checks.inner_text() and "from the articles ✓" in checks.inner_text()
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
    assert "✓ the articles" in page.locator(".st-key-answer").inner_text()
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
        charts = page.evaluate(CHART_BOXES, "svg.chart")  # issue 31, item 11: "management" was cut off
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
    assert chart_problems(charts, 390) == [], chart_problems(charts, 390)
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
        from playwright.sync_api import expect

        expect(p2.get_by_role("button", name="Delete this thread")).to_have_count(0, timeout=30_000)
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


# --------------------------------------------------------------------------------------------------
# Accessibility (WCAG 2 A/AA, checked by axe-core) and charts on a phone (issue 31, items 10 and 11)
# --------------------------------------------------------------------------------------------------
AXE = ROOT / "tests" / "tooling" / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}, resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => ({target: n.target.join(' '),
    html: n.html.slice(0, 160), why: (n.failureSummary || '').slice(0, 300)}))}));
}"""
# every chart's box and its texts, in page pixels (Vega draws SVG: each label is a <text>)
CHART_BOXES = """(selector) => [...document.querySelectorAll(selector)].map(box => {
  const c = box.getBoundingClientRect();
  const own = t => [...t.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
  const texts = [...box.querySelectorAll('svg text')].filter(t => own(t)).map(t => {
    const r = t.getBoundingClientRect();
    const hidden = t.getAttribute('opacity') === '0' || getComputedStyle(t).opacity === '0' || r.width === 0;
    return {text: own(t), l: r.left, r: r.right, t: r.top, b: r.bottom, hidden};
  });
  return {l: c.left, r: c.right, texts};
})"""


def axe_violations(page) -> list[dict]:
    """axe-core 4, injected into the page as it is (installed by `make axe`; nothing is fetched)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make axe` (axe-core from the npm registry, once)")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate(AXE_RUN)


def open_sidebar(page) -> None:
    """On a phone the sidebar starts folded away: open it the way a finger would."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    if sidebar.get_attribute("aria-expanded") != "true":
        page.locator('[data-testid="stExpandSidebarButton"]').click()
    page.wait_for_function("() => { const s = document.querySelector('[data-testid=stSidebar]');"
                           " const r = s.getBoundingClientRect(); return r.left >= 0 && r.width > 100; }",
                           timeout=30_000)
    page.wait_for_timeout(600)  # its slide-in transition


def chart_problems(boxes: list[dict], width: int) -> list[str]:
    """Texts of one chart that overlap another or stick out of the chart's box or of the screen. (A label
    the chart hid, such as a time axis's repeated day, is not drawn: callers check the ones that must be.)"""
    out = []
    for n, box in enumerate(boxes):
        shown = [t for t in box["texts"] if not t["hidden"]]
        for t in shown:
            if t["l"] < box["l"] - 0.5 or t["r"] > box["r"] + 0.5:
                out.append(f"chart {n}: {t['text']!r} [{t['l']:.0f}, {t['r']:.0f}] is cut off by the chart "
                           f"[{box['l']:.0f}, {box['r']:.0f}]")
            if t["l"] < 0 or t["r"] > width:
                out.append(f"chart {n}: {t['text']!r} [{t['l']:.0f}, {t['r']:.0f}] is off the {width} px screen")
        for i, a in enumerate(shown):
            for b in shown[i + 1:]:
                w = min(a["r"], b["r"]) - max(a["l"], b["l"])
                h = min(a["b"], b["b"]) - max(a["t"], b["t"])
                if w > 1 and h > 1:
                    out.append(f"chart {n}: {a['text']!r} and {b['text']!r} overlap")
    return out


def answered_page(browser, streamlit_url: str, device: dict, reflections: int = 1) -> Watched:
    w = Watched(browser, device)
    open_page(w.page, streamlit_url)
    for n in range(1, reflections + 1):  # two or more: the sidebar draws the leanings-over-time chart
        reflect(w.page, DRUCKER_SCENARIO if n % 2 else HOSTILE_SCENARIO.split("<")[0])
        wait_for_answer(w.page, n)
    w.page.locator('.st-key-answer').wait_for()
    w.page.locator('[data-testid="stMain"] [data-testid="stVegaLiteChart"] svg').first.wait_for(timeout=60_000)
    return w


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["1280x900", "390x844"])
def test_no_accessibility_violations_after_an_answer(streamlit_url, browser, device):
    """Issue 31, item 10: axe-core found color-contrast on 5-7 nodes (the sidebar's captions, code chips,
    the subtitle) and svg-img-alt on the charts. After an answer, sidebar open, with its chart: none."""
    w = answered_page(browser, streamlit_url, device, reflections=2)
    try:
        page = w.page
        if device is PHONE:
            open_sidebar(page)
        page.locator(".st-key-leaning_chart svg").first.wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        found = axe_violations(page)
        page.screenshot(path=str(ARTIFACTS / f"09-axe-{device['viewport']['width']}px.png"))
        assert found == [], "\n".join(f"{v['id']} ({v['help']}): " + "; ".join(
            f"{n['target']} {n['why']}" for n in v["nodes"][:5]) for v in found)
        # the charts' text alternative: the lens in words, on the chart itself
        lens = page.locator('[data-testid="stMain"] [data-testid="stVegaLiteChart"]').first
        assert (lens.get_attribute("aria-label") or "").startswith("Chart of the lens: for each axis")
        assert w.foreign() == [], w.foreign()
    finally:
        w.close()


def test_charts_fit_a_390px_phone(streamlit_url, browser):
    """Issue 31, item 11: on a 390 px phone the lens chart's labels took ~60% of the width, "← management"
    and "leadership →" overlapped and "balanced" disappeared; "management" was cut off in the sidebar's
    chart. Every label of both charts is drawn, inside its chart and the screen, and none overlaps another."""
    w = answered_page(browser, streamlit_url, PHONE, reflections=2)
    try:
        page = w.page
        lens = page.evaluate(CHART_BOXES, '[data-testid="stMain"] [data-testid="stVegaLiteChart"]')
        assert len(lens) == 1
        said = [t["text"] for t in lens[0]["texts"] if not t["hidden"]]
        assert {"← management", "balanced", "leadership →"} <= set(said), said
        problems = chart_problems(lens, 390)
        names = [t for t in lens[0]["texts"] if t["text"] not in ("← management", "balanced", "leadership →")]
        # the axes' names no longer eat the bars' width: the bars start at the chart's left edge
        assert names and min(t["l"] for t in names) < lens[0]["l"] + 10, names
        open_sidebar(page)
        page.locator(".st-key-leaning_chart svg").first.wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        trend = page.evaluate(CHART_BOXES, ".st-key-leaning_chart [data-testid='stVegaLiteChart']")
        assert len(trend) == 1
        drawn = [t["text"] for t in trend[0]["texts"] if not t["hidden"]]
        assert {"↑ leadership", "↓ management"} <= set(drawn), trend
        assert [x for x in drawn if x[:2].isdigit()], trend  # and at least one day on the time axis
        problems += chart_problems(trend, 390)
        page.locator(".st-key-leaning_chart").screenshot(path=str(ARTIFACTS / "10-trend-390px.png"))
        assert problems == [], problems
        assert w.foreign() == [], w.foreign()
    finally:
        w.close()


def test_the_reports_which_role_chart_fits_a_390px_phone(browser, tmp_path):
    """Issue 31, item 11, in the batch report: "management" was cut off on the left of the "Which role the
    situations call for" chart (its label column was sized at 8 px a letter). Every leaning, every label."""
    from coach.reports.batch import render_report

    def case(n: int, leaning: str) -> dict:
        dims = [{"name": name, "management": 0.7, "leadership": 0.3} for name in
                ("current roles vs developing the next leaders", "concrete data vs abstract thinking", "focus")]
        return {"id": f"case-{n}", "status": "ok", "elapsed_s": 0.4, "fields": {},
                "feedback": {"model": "extractive", "in_scope": True, "scenario": "My team misses deadlines.",
                             "answer_markdown": "Plan the work. [S1]", "checks": {"on_corpus": 1.0}, "quotes": [],
                             "sources": [], "lens": {"leaning": leaning, "dimensions": dims}}}

    # no out-of-scope case: its 12-letter label widened the label column enough to hide the fault
    records = [case(1, "management"), case(2, "management"), case(3, "leadership"), case(4, "both")]
    records.append({"id": "case-6", "status": "error", "error": "timed out", "elapsed_s": 1.0, "fields": {}})
    path = tmp_path / "report.html"
    path.write_text(render_report(records, input_name="cases.csv", model="extractive", not_run=["case-7"]),
                    encoding="utf-8")
    context = browser.new_context(**PHONE)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        page.locator("#summary svg.chart").first.wait_for()
        charts = page.evaluate(CHART_BOXES, "svg.chart")
        page.locator("#summary").screenshot(path=str(ARTIFACTS / "11-report-charts-390px.png"))
    finally:
        context.close()
    said = {t["text"] for c in charts for t in c["texts"]}
    assert {"management", "leadership", "both"} <= said, said
    assert chart_problems(charts, 390) == [], chart_problems(charts, 390)

