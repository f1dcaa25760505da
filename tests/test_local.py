"""The embedded local LLM (`local/smollm2`): the real model, in-process, through litellm, offline.

These tests need the `local` extra (`pip install -e '.[local]'`, which `make test` does); without it
they fail with the install hint rather than skip. The end-to-end test runs in a subprocess whose
sockets refuse every non-loopback address and whose proxies point at a closed port, so a pass proves
the whole LLM path needs no network at all.
"""
from __future__ import annotations

import asyncio
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from procs import free_port

from coach.engines import Request, local
from coach.errors import EngineError
from coach.feedback import Lens, Source

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ("My team keeps missing deadlines and nobody tracks where the work stands. Should I plan and check "
            "progress more closely, or inspire them to own it?")
MSGS = [{"role": "user", "content": "Name two things a good manager does."}]
CONTRACT_FIELDS = {"scenario", "model", "answer_markdown", "sources", "quotes", "checks", "lens"}

# Installed in the subprocess before anything else: any socket to a non-loopback address, and any
# name lookup other than localhost, raises and is recorded; the recorded list is printed at the end.
NET_GUARD = r'''
import json, os, socket, sys
BLOCKED = []
_LOOP = {"127.0.0.1", "::1", "localhost", None, ""}
_connect, _connect_ex, _gai = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

def _check(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOOP:
        BLOCKED.append(repr(address))
        raise OSError(101, "network blocked by the test: %r" % (address,))

def connect(self, address):
    _check(self, address)
    return _connect(self, address)

def connect_ex(self, address):
    _check(self, address)
    return _connect_ex(self, address)

def getaddrinfo(host, *a, **k):
    h = host.decode() if isinstance(host, bytes) else host
    if h not in _LOOP:
        BLOCKED.append("dns:" + str(h))
        raise socket.gaierror(-2, "name lookup blocked by the test: %s" % h)
    return _gai(host, *a, **k)

socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo

from coach.pipeline import reflect
tokens = []
fb = reflect(sys.argv[1], model="local/smollm2", on_token=tokens.append)
print("RESULT " + json.dumps({"feedback": fb.to_dict(), "streamed": "".join(tokens), "pieces": len(tokens),
                             "blocked": BLOCKED}))
'''


def _require_extra() -> None:
    st = local.status()
    assert st.available, f"the local model is not usable ({st.problem}); install the extra: pip install -e '.[local]'"


def _sources(n: int = 5, chars: int = 900) -> list[Source]:
    body = ("Managers plan the work, set deadlines and track progress against goals. " * 20)[:chars]
    return [Source(f"S{i}", f"doc{i}", f"Title {i}", None, f"Passage {i}. {body}", 0.9 - i / 10) for i in range(1, n + 1)]


# -- the prompt -----------------------------------------------------------------------------------
def test_compact_prompt_keeps_two_trimmed_passages_and_a_tight_task():
    req = Request(scenario="x " * 2000 + "end", sources=_sources(), lens=Lens())
    msgs = local.build_messages(req)
    assert [m["role"] for m in msgs] == ["user"]           # no system prompt: it made the 135M model worse
    user = msgs[-1]["content"]
    assert "[S1]" in user and "[S2]" in user and "[S3]" not in user, user
    assert len(user) < 2000, len(user)                      # short context for a 135M model
    assert "each passage as one sentence" in user and "marker" in user   # one tight task
    assert "end" not in user.split("Passages:")[0]          # over-long scenario trimmed
    for s in req.sources[:2]:
        assert s.text[:40] in user


def test_compact_prompt_skips_one_line_lead_ins_and_keeps_their_ids():
    srcs = _sources(4)
    srcs[0].text = "Learn more about how, in 6 key instances, both are necessary:"
    user = local.build_messages(Request(scenario="My team misses deadlines.", sources=srcs, lens=Lens()))[0]["content"]
    assert "[S1]" not in user and "[S2]" in user and "[S3]" in user and "[S4]" not in user, user
    assert "for example: ... [S2]" in user


# -- the model file and the extra -------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["missing", "garbage", "header-only", "truncated"])
def test_bad_model_file_is_a_clear_engine_error(kind, tmp_path, monkeypatch):
    _require_extra()
    f = tmp_path / "model.gguf"
    if kind == "garbage":
        f.write_bytes(os.urandom(2_000_000))
    elif kind == "header-only":  # a GGUF header that passes the cheap checks, garbage behind it: native code sees it
        f.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 272, 37) + os.urandom(2_000_000))
    elif kind == "truncated":
        with open(local.model_path(), "rb") as src:
            f.write_bytes(src.read(30_000_000))
    monkeypatch.setenv(local.ENV_MODEL_PATH, str(f))
    with pytest.raises(EngineError) as e:
        local.ensure_registered()
    msg = str(e.value)
    assert str(f) in msg and "\n" not in msg
    assert {"missing": "missing", "garbage": "not a GGUF", "header-only": "could not be loaded",
            "truncated": "could not be loaded"}[kind] in msg, msg
    assert not local.status().available


def test_packaged_model_of_the_wrong_size_is_refused(tmp_path):
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 272, 37) + bytes(2_000_000))
    with pytest.raises(EngineError, match="damaged"):
        local.check_model_file(f, expected_size=98_362_432)


def test_missing_model_package_names_the_extra(monkeypatch):
    import importlib.metadata as md

    real = md.distribution

    def fake(name):
        if name == local.PACKAGE:
            raise md.PackageNotFoundError(name)
        return real(name)

    monkeypatch.delenv(local.ENV_MODEL_PATH, raising=False)
    monkeypatch.setattr(md, "distribution", fake)
    with pytest.raises(EngineError, match=r"make install-local"):
        local.ensure_registered()
    assert local.status().extra_installed is False


def test_missing_llama_cpp_names_the_extra_and_exits_cleanly():
    code = ("import sys; sys.modules['llama_cpp'] = None\n"
            "from coach.engines import local\n"
            "from coach.errors import EngineError\n"
            "assert not local.is_available()\n"
            "try:\n    local.ensure_registered()\nexcept EngineError as e:\n    print('ERR', e)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=str(ROOT))
    assert r.returncode == 0, r.stderr
    assert "ERR the local model is not installed: run `make install-local`" in r.stdout


def test_cli_reports_a_corrupt_model_in_one_line(coach_cli, ingested, tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 272, 37) + os.urandom(2_000_000))
    r = coach_cli("reflect", "--model", "local/smollm2", SCENARIO, env={local.ENV_MODEL_PATH: str(bad)})
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])    # not a native crash (negative code)
    assert "Traceback" not in r.stderr
    assert "coach: error: the local model file could not be loaded" in r.stderr, r.stderr[-2000:]


# -- the provider through litellm -------------------------------------------------------------------
def _litellm():
    _require_extra()
    local.ensure_registered()
    import litellm

    return litellm


def test_completion_and_streaming_through_litellm():
    litellm = _litellm()
    local.ensure_registered()  # idempotent
    assert sum(1 for e in litellm.custom_provider_map if e["provider"] == "local") == 1
    resp = litellm.completion(model="local/smollm2", messages=MSGS, max_tokens=24)
    text = resp.choices[0].message.content
    assert text and text.strip()
    assert resp.usage.completion_tokens > 0 and resp.usage.prompt_tokens > 0
    pieces = [c.choices[0].delta.content for c in litellm.completion(model="local/smollm2", messages=MSGS,
                                                                     max_tokens=24, stream=True)
              if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 2, pieces
    assert "".join(pieces).strip()


def test_async_completion_streaming_and_concurrency():
    litellm = _litellm()

    async def main():
        one, two = await asyncio.gather(
            litellm.acompletion(model="local/smollm2", messages=MSGS, max_tokens=16),
            litellm.acompletion(model="local/smollm2", messages=MSGS, max_tokens=16))
        stream = await litellm.acompletion(model="local/smollm2", messages=MSGS, max_tokens=16, stream=True)
        pieces = [c.choices[0].delta.content async for c in stream if c.choices and c.choices[0].delta.content]
        return one, two, pieces

    one, two, pieces = asyncio.run(main())
    assert one.choices[0].message.content.strip() and two.choices[0].message.content.strip()
    assert len(pieces) > 2 and "".join(pieces).strip()


def test_timeout_raises_litellm_timeout():
    litellm = _litellm()
    with pytest.raises(litellm.Timeout, match="did not finish within"):
        litellm.completion(model="local/smollm2", messages=MSGS, max_tokens=64, timeout=0.001)


def test_areflect_runs_the_local_model_through_the_engine(ingested):
    _require_extra()
    from coach.pipeline import areflect, prepare

    prep = prepare(SCENARIO, store=ingested)
    assert prep.in_scope
    fb = asyncio.run(areflect(prep, "local/smollm2"))
    assert fb.model == "local/smollm2" and fb.raw_answer.strip()
    assert fb.checks.sentences and 0.0 <= fb.checks.on_corpus <= 1.0


# -- end to end, with the network shut -------------------------------------------------------------
def test_reflect_end_to_end_with_no_network(ingested, tmp_path):
    _require_extra()
    guard = tmp_path / "offline_reflect.py"
    guard.write_text(NET_GUARD)
    proxy = f"http://127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "all_proxy")}
    env.update({"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "http_proxy": proxy, "https_proxy": proxy,
                "PYTHONPATH": str(ROOT)})
    r = subprocess.run([sys.executable, str(guard), SCENARIO], capture_output=True, text=True, env=env,
                       timeout=900, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr[-3000:]
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line, r.stdout[-2000:] + r.stderr[-2000:]
    out = json.loads(line[len("RESULT "):])
    assert out["blocked"] == [], f"something tried to reach the network: {out['blocked']}"
    fb = out["feedback"]
    assert CONTRACT_FIELDS <= set(fb), set(fb)
    assert fb["model"] == "local/smollm2"
    assert fb["in_scope"] is True
    assert fb["answer_markdown"].strip() and fb["raw_answer"].strip()
    # streamed token by token, shown whole, less the task line the model may write back (removed with a notice)
    from coach.engines.prompt import strip_leaks

    assert out["pieces"] > 2 and strip_leaks(out["streamed"], "local/smollm2")[0] == fb["raw_answer"]
    assert {"id", "doc_id", "title", "author", "text", "score"} <= set(fb["sources"][0])
    checks = fb["checks"]
    assert {"invalid_citations", "unverified_quotes", "unsupported_sentences", "on_corpus"} <= set(checks)
    assert checks["sentences"], "the verifier did not run on the model's answer"
    assert 0.0 <= checks["on_corpus"] <= 1.0
    assert fb["lens"]["leaning"] in ("management", "leadership", "both")


def test_benchmark_reports_speed_and_latency():
    _require_extra()
    b = local.benchmark_local(max_tokens=24, runs=1)
    assert set(b) >= {"tokens_per_s", "load_s", "latency_s"}
    assert b["tokens_per_s"] > 0 and b["load_s"] > 0 and b["latency_s"] > 0


# -- the model's copies of its own task (issue 31, item 5) -------------------------------------------
# Three situations of evals/cases.yaml on which SmolLM2-135M (seed 0) writes its task line back into
# the answer; measured on 16 of them, 8 answers had one.
ECHOING = [
    "We've missed three sprint deadlines in a row and honestly nobody, including me, could tell you where any given "
    "ticket stands. The board hasn't been up to date since spring, and we dropped stand-ups because people said they "
    "were a waste of time. My director asked me on Friday what's blocking the release and I had to go around asking. "
    "I don't think anyone is slacking, it all just slips.",
    "I keep cancelling my one-on-ones because something more urgent always comes up. Two of my reports wrote in their "
    "reviews that they don't really know what's expected of them or how they're being judged. One of them found out "
    "from a peer that the goals for her role had changed. I feel bad about it, but I also don't know where to find "
    "the time.",
    "Our leadership team decided in January to move mid-market customers to self-serve onboarding. The decision is "
    "made and I actually agree with it. My problem is that my team reopens the question in every meeting instead of "
    "working out the migration plan, the order of accounts and who does what, and I've let it happen. It's March and "
    "we have nothing concrete.",
]


def test_the_task_line_the_model_writes_back_is_removed_with_a_notice(ingested):
    """docs/engines.md promises that an answer repeating the instructions has those lines removed, with a
    notice; local/smollm2's answers kept "Rewrite each passage as one sentence of advice:" with
    ``notices == []``. Real model, real pipeline."""
    _require_extra()
    import re

    from coach.engines.prompt import LEAK_NOTICE
    from coach.pipeline import reflect

    echo = re.compile(r"\brewrite\b[^\n]*\b(passages?|advice)\b|\brewrite\s*:|put the passage marker", re.I)
    echoed = 0
    for scenario in ECHOING:
        streamed: list[str] = []  # what the model wrote, as it wrote it
        fb = reflect(scenario, model="local/smollm2", store=ingested, on_token=streamed.append)
        raw = "".join(streamed)
        assert fb.in_scope and raw.strip()
        assert not echo.search(fb.answer_markdown), fb.answer_markdown       # nothing of the task is shown
        if echo.search(raw):
            echoed += 1
            assert LEAK_NOTICE in fb.notices, (raw, fb.notices)              # and the user is told
            assert fb.answer_markdown.strip()                                  # the advice around it stays
        assert not [s for s in fb.checks.sentences if echo.search(s.text)]   # nor checked as a claim
    assert echoed >= 2, "the model no longer echoes its task here: pick situations where it does"


def test_task_echo_is_cut_and_advice_that_says_rewrite_is_kept():
    from coach.engines.prompt import LEAK_NOTICE, strip_leaks

    raw = ("S1. Leadership is about getting results through people. [S1]\n"
           "Rewrite each passage as one sentence of advice:\n"
           "[S2] Think about the daily routines of your managers.\n"
           "Rewrite: [S2] An organization needs both good managers and effective leaders.\n"
           "[Rewrite each passage as one sentence of advice for this manager: S2].\n"
           "Rewrite each passage in a narrative format with one sentence of advice at the end: [S2].\n"
           "Put the passage marker at the end of the sentence, for example: ... [S1].")
    text, notices = strip_leaks(raw, "local/smollm2")
    assert notices == [LEAK_NOTICE]
    assert text.splitlines() == ["S1. Leadership is about getting results through people. [S1]",
                                 "[S2] Think about the daily routines of your managers.",
                                 "[S2] An organization needs both good managers and effective leaders."], text
    advice = "Rewrite the purchasing process with the three people who buy supplies. [S6]"
    assert strip_leaks(advice, "local/smollm2") == (advice, [])
    assert strip_leaks(raw, "openai/gpt-4o-mini")[1] == []  # another model's prompt has no such task line
