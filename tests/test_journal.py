"""The private journal and follow-up turns: the SQLite store itself (real files, real processes),
the CLI the way a manager uses it, and a follow-up through the built-in engine and through a real
OpenAI-compatible HTTP server.

Every test keeps its journal in its own data directory (COACH_DATA_DIR=tmp); the session's Chroma
store is linked into it so nothing has to be embedded again."""
from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from coach.journal.store import Journal, JournalError

ROOT = Path(__file__).resolve().parent.parent
SITUATION = ("My team hits every deadline, but people seem demotivated and nobody proposes new ideas "
             "any more. I run the weekly status meeting and track every task.")
REPLY = ("I asked them in one-on-ones. Two engineers said they want to own the roadmap for the billing "
         "migration, and the designer wants to mentor the new hires.")
MARKER = "Zanzibar-quokka-7731"   # a word no answer or passage contains: easy to search for on disk


@pytest.fixture
def data_home(linked_data_home):
    return linked_data_home


def fb(leaning: str = "leadership", answer: str = "An answer. [S1]", **kw) -> dict:
    return {"model": "extractive", "in_scope": True, "answer_markdown": answer, "raw_answer": answer,
            "lens": {"leaning": leaning, "score": 0.1, "dimensions": []}, "sources": [], "quotes": [],
            "checks": {}, "notices": [], **kw}


def disk_bytes(path: Path) -> bytes:
    """Everything SQLite keeps for this journal: the file, its write-ahead log and shared memory."""
    out = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(path) + suffix)
        if p.exists():
            out += p.read_bytes()
    return out


def new_words(reply: str, *already: str) -> set[str]:
    """The reply's own content words: in the reply, in none of the earlier texts."""
    from coach.common.text import content_words

    seen = set().union(*(content_words(t) for t in already))
    return set(content_words(reply)) - seen


# ---------------------------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------------------------
def test_threads_turns_order_and_lens_across_turns(tmp_path):
    j = Journal(tmp_path / "j.sqlite3")
    assert j.threads() == [] and not (tmp_path / "j.sqlite3").exists()  # reading creates nothing
    a = j.start("First situation\nsecond line", fb("management"))
    b = j.start("Second situation", fb("both"))
    assert j.add(a, "what happened next", fb("leadership")) == 2
    listed = j.threads()
    assert [s.id for s in listed] == [a, b] or [s.id for s in listed] == [b, a]
    one = {s.id: s for s in listed}[a]
    assert (one.first_line, one.turns, one.leaning, one.leanings) == ("First situation", 2, "leadership",
                                                                       ["management", "leadership"])
    shown = j.thread(a).to_dict()
    assert [list(t)[0] for t in shown["turns"]] == ["scenario", "reply"]
    assert shown["turns"][1]["reply"] == "what happened next"
    assert [x["leaning"] for x in shown["lens_over_turns"]] == ["management", "leadership"]
    assert oct((tmp_path / "j.sqlite3").stat().st_mode & 0o777) == "0o600"
    with pytest.raises(JournalError, match="no thread 99"):
        j.add(99, "x", fb())


def test_newest_first(tmp_path):
    j = Journal(tmp_path / "j.sqlite3")
    ids = [j.start(f"situation {i}", fb()) for i in range(3)]
    assert [s.id for s in j.threads()] == ids[::-1]


def test_delete_leaves_no_bytes_on_disk_even_with_another_reader_open(tmp_path):
    path = tmp_path / "j.sqlite3"
    j = Journal(path)
    keep = j.start("A situation to keep about weekly planning.", fb())
    gone = j.start(f"My team lead {MARKER} stopped talking in meetings.", fb(answer=f"Reply about {MARKER}. [S1]"))
    j.add(gone, f"Update: {MARKER} spoke up today.", fb())
    other = sqlite3.connect(str(path))  # the page, say, with the journal open in another connection
    other.execute("SELECT COUNT(*) FROM turns").fetchone()
    try:
        assert Path(str(path) + "-wal").exists()
        assert MARKER.encode() in disk_bytes(path)
        assert j.delete(gone) == 1
        assert MARKER.encode() not in disk_bytes(path)
        assert MARKER.encode("utf-16-le") not in disk_bytes(path)
        assert b"weekly planning" in disk_bytes(path) or j.thread(keep).turns[0].text.endswith("planning.")
    finally:
        other.close()
    assert [s.id for s in j.threads()] == [keep]
    with pytest.raises(JournalError, match="no thread"):
        j.delete(gone)
    assert j.delete(None) == 1
    assert b"weekly planning" not in disk_bytes(path)


WRITER = textwrap.dedent("""
    import sys
    from coach.journal.store import Journal
    path, who, thread, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    j = Journal(path)
    fb = {"model": "extractive", "in_scope": True, "lens": {"leaning": "both"}}
    for i in range(n):
        j.add(thread, f"{who} reply {i}", fb)
        j.start(f"{who} situation {i}", fb)
    print("done")
""")


def test_two_processes_writing_at_once_lose_no_turn(tmp_path):
    path = tmp_path / "j.sqlite3"
    shared = Journal(path).start("the shared thread", fb())
    n = 40
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), who, str(shared), str(n)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(ROOT))
             for who in ("page", "cli")]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    j = Journal(path)
    thread = j.thread(shared)
    assert [t.n for t in thread.turns] == list(range(1, 2 * n + 2))          # no gap, no duplicate
    replies = {t.text for t in thread.turns[1:]}
    assert replies == {f"{who} reply {i}" for who in ("page", "cli") for i in range(n)}
    assert len(j.threads()) == 2 * n + 1


def test_a_locked_journal_is_one_clear_error(tmp_path):
    path = tmp_path / "j.sqlite3"
    Journal(path).start("first", fb())
    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(JournalError, match="locked by another program") as e:
            Journal(path, timeout=0.3).start("second", fb())
        assert "\n" not in str(e.value)
    finally:
        holder.rollback()
        holder.close()
    assert len(Journal(path).threads()) == 1


def test_a_corrupt_journal_is_one_clear_error(tmp_path):
    path = tmp_path / "j.sqlite3"
    path.write_bytes(b"this is not a database, it is a shopping list " * 100)
    with pytest.raises(JournalError, match="damaged"):
        Journal(path).threads()
    with pytest.raises(JournalError, match="damaged"):
        Journal(path).start("x", fb())


def test_a_long_thread_keeps_the_situation_and_the_newest_words():
    from coach.journal.followup import thread_turn

    texts = ["The situation. " * 20] + [f"reply {i} " + "x " * 600 for i in range(8)]
    turn = thread_turn(texts, ["answer"] * len(texts), "the newest words", limit=6000)
    assert len(turn.scenario) <= 6000
    assert turn.scenario.startswith("The situation.") and turn.scenario.endswith("the newest words")
    assert "reply 7" in turn.scenario and "reply 0" not in turn.scenario and turn.notices
    assert turn.reply == "the newest words" and len(turn.history) == len(texts)


# ---------------------------------------------------------------------------------------------
# The CLI, as a manager uses it
# ---------------------------------------------------------------------------------------------
def one_line_error(r) -> None:
    assert "Traceback" not in r.stderr, r.stderr
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.startswith("coach: error:")]
    assert len(lines) == 1, r.stderr


def test_reflect_list_follow_up_show_export_delete(ingested, data_home, coach_cli):
    from coach.common.text import content_words

    situation = SITUATION + f" You can reach me at {MARKER.lower()}@example.com."
    r = coach_cli("reflect", situation)
    assert r.returncode == 0, r.stderr
    assert "saved to your journal as thread 1, turn 1" in r.stderr
    first_answer = r.stdout

    r = coach_cli("journal", "list", "--json")
    assert r.returncode == 0, r.stderr
    listed = json.loads(r.stdout)
    assert [(t["id"], t["turns"]) for t in listed] == [(1, 1)]
    assert listed[0]["first_line"].startswith("My team hits every deadline")
    assert listed[0]["leaning"] in ("management", "leadership", "both")
    r = coach_cli("journal", "list")
    assert re.search(r"^\s+1\s+\d{4}-\d\d-\d\d\s+1 turn\s", r.stdout, re.M), r.stdout

    r = coach_cli("reflect", "--json", "--follow-up", "1", REPLY)
    assert r.returncode == 0, r.stderr
    turn2 = json.loads(r.stdout)
    assert turn2["journal"]["thread_id"] == 1 and turn2["journal"]["turn"] == 2
    assert REPLY in turn2["scenario"] and SITUATION in turn2["scenario"]  # the whole thread was read
    assert turn2["checks"]["invalid_citations"] == [] and "sentences" in turn2["checks"]

    r = coach_cli("journal", "show", "--json", "1")
    shown = json.loads(r.stdout)
    assert shown["id"] == 1 and len(shown["turns"]) == 2
    assert shown["turns"][0]["scenario"] == situation and shown["turns"][1]["reply"] == REPLY
    assert len(shown["lens_over_turns"]) == 2
    r = coach_cli("journal", "show", "1")
    assert "Lens across turns:" in r.stdout and "Your reply" in r.stdout

    # exports leave the machine: personal data is replaced unless asked otherwise
    out = data_home.parent / "export.md"
    r = coach_cli("journal", "export", "--format", "md", "1", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "[EMAIL]" in out.read_text() and "@example.com" not in out.read_text()
    r = coach_cli("journal", "export", "--format", "json", "--allow-pii")
    assert "@example.com" in r.stdout and json.loads(r.stdout)["threads"][0]["id"] == 1

    path = data_home / "journal.sqlite3"
    assert MARKER.lower().encode() in disk_bytes(path)
    r = coach_cli("journal", "delete", "1")
    assert r.returncode == 0, r.stderr
    assert MARKER.lower().encode() not in disk_bytes(path)
    assert b"billing" not in disk_bytes(path) and b"demotivated" not in disk_bytes(path)
    assert json.loads(coach_cli("journal", "list", "--json").stdout) == []

    # the second answer speaks to the reply: it uses the reply's own facts, words that neither the
    # first turn nor any passage it was given holds (so copying the corpus cannot pass this)
    second_fb = shown["turns"][1]["feedback"]
    passages = " ".join(s["text"] for s in second_fb["sources"])
    facts = new_words(REPLY, situation, first_answer, passages)
    assert {"roadmap", "migration"} <= facts
    engaged = facts & set(content_words(second_fb["raw_answer"]))
    assert len(engaged) >= 2, f"the follow-up answer does not engage the reply {sorted(facts)}:\n{second_fb['raw_answer']}"


def test_no_save_and_journal_usage_errors(ingested, data_home, coach_cli):
    r = coach_cli("reflect", "--no-save", "--json", SITUATION)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["journal"] is None
    assert not (data_home / "journal.sqlite3").exists()
    r = coach_cli("reflect", "--follow-up", "7", "what happened next")
    assert r.returncode == 1 and "no thread 7" in r.stderr
    one_line_error(r)
    r = coach_cli("journal", "delete")
    assert r.returncode == 2
    one_line_error(r)


def test_a_corrupt_journal_never_costs_the_answer(ingested, data_home, coach_cli):
    (data_home / "journal.sqlite3").write_bytes(b"garbage " * 512)
    r = coach_cli("reflect", SITUATION)
    assert r.returncode == 1
    assert "Where your situation sits" in r.stdout            # the answer is on screen
    assert "not saved to your journal" in r.stdout            # with a notice
    one_line_error(r)
    r = coach_cli("journal", "list")
    assert r.returncode == 1 and "damaged" in r.stderr
    one_line_error(r)


def test_personal_data_in_a_thread_is_held_back_from_a_remote_model(ingested, data_home, coach_cli, fake_openai):
    j = Journal()
    tid = j.start(SITUATION + " Call me on +44 20 7946 0958.", fb())
    r = coach_cli("reflect", "--follow-up", str(tid), "--model", "openai/fake-model", "--api-base", fake_openai.url,
                  "--api-key", "sk-test", "They improved a bit.")
    assert r.returncode == 1 and "phone number" in r.stderr and "7946" not in r.stderr
    one_line_error(r)
    assert fake_openai.count == 0
    assert len(j.thread(tid).turns) == 1


# ---------------------------------------------------------------------------------------------
# A follow-up through a real HTTP model server, in process
# ---------------------------------------------------------------------------------------------
def test_follow_up_through_an_openai_compatible_server(ingested, data_home, fake_openai):
    from coach.journal import followup
    from coach.engines import EngineOptions
    from coach.pipeline import reflect

    opts = EngineOptions(api_base=fake_openai.url, api_key="sk-test", retries=0)
    j = Journal()
    first = reflect(SITUATION, model="openai/fake-model", opts=opts, store=ingested)
    tid = j.start(SITUATION, first)
    from coach.turn import guard

    turn = guard(followup.from_thread(j.thread(tid), REPLY + " Mail me: ana@example.com"), "openai/fake-model", "redact")
    second = reflect(turn.scenario, model="openai/fake-model", opts=opts, store=ingested,
                     reply=turn.reply, history=turn.history)
    j.add(tid, REPLY, second)
    sent = json.dumps(fake_openai.last_request)
    assert "billing migration" in sent and "demotivated" in sent       # the reply and the situation
    assert "ana@example.com" not in sent and "[EMAIL]" in sent        # the guard applies to follow-ups
    user = fake_openai.last_request["messages"][-1]["content"]
    newest = re.search(r"-REPLY>\n(.*?)\n</", user, re.S).group(1)    # the newest words, marked as such
    assert newest.startswith("I asked them in one-on-ones") and newest.endswith("Mail me: [EMAIL]")
    earlier = re.search(r"-EARLIER>\n(.*?)\n</", user, re.S).group(1)  # and what the coach said before
    first_words = re.sub(r" ?\[S\d+\]", "", first.raw_answer).strip()[:60]
    assert first_words and first_words in earlier
    assert second.checks.invalid_citations == [] and second.checks.sentences  # verified like the first
    assert second.in_scope and second.sources
    assert [t.kind for t in j.thread(tid).turns] == ["scenario", "reply"]


def test_cli_text_quotes_the_situation_at_a_sentence_boundary_and_the_reply(ingested, data_home, coach_cli):
    """Issue 31, item 14, in the CLI: the situation was cut at 600 characters mid-sentence with no "…",
    and a follow-up's reply was never quoted."""
    long = (SITUATION + " I also plan every sprint myself and check each pull request before it is merged, which my "
            "own manager praises as thorough. Two of the senior engineers have stopped speaking in the retrospective, "
            "and one told me privately that she no longer sees why her ideas would matter here. The release dates "
            "still hold, so on paper nothing is wrong, but I worry the team will not survive the next reorganisation. "
            "Should I keep this level of control, or step back and let people own more of the plan, the sprints and "
            "the reviews?")
    assert len(long) > 650
    r = coach_cli("reflect", long)
    assert r.returncode == 0, r.stderr
    quote = r.stdout.split("\n\n")[1]
    assert quote.startswith("> My team hits every deadline") and quote.endswith(". …"), quote
    assert len(quote) < 620 and long.startswith(quote[2:-2]), quote
    r = coach_cli("reflect", "--follow-up", "1", REPLY)
    assert r.returncode == 0, r.stderr
    head = r.stdout.split("*Engine:", 1)[0]
    assert "**Your reply:**\n\n> " + REPLY in head, head
