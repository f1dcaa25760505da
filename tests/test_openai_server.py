"""Proves tests/openai_server.py on its own, over real HTTP with the standard library only.

Why: the product's litellm tests and the benchmarks trust this fake to behave like OpenAI. If the
fake were wrong (bad SSE framing, a 429 without Retry-After, concurrency serialised), those tests
would pass or fail for the wrong reasons. So it is checked here with plain urllib / http.client,
with no litellm in the way.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import select
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

try:  # tests/ on sys.path (pytest's default rootdir-less import)
    from openai_server import LIAR_REPLY, FakeOpenAI, split_sentences
except ImportError:  # tests/ is a package
    from tests.openai_server import LIAR_REPLY, FakeOpenAI, split_sentences

SERVER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "openai_server.py")

# Real corpus-style passages (from corpus/six-key-instances.md), as the product would send them.
P1 = (
    "To better understand the differences between management and leadership, think about the daily "
    "routines of the managers and leaders in your organization. Managers facilitate 1-on-1’s with their "
    "direct reports, creating clear expectations and holding their team accountable for meeting them. "
    "Managers also hold team meetings for direction and communication, revisiting and tracking progress "
    "towards quarterly goals."
)
P2 = (
    "A leader’s daily routine is different – they focus on the big picture of the company, helping to "
    "inspire others through support and consistency. A leader shows appreciation to team members, give "
    "awards and accolades when deserved."
)
P3 = "Good managers create competent and productive people. Good leaders create passionate and focused people."


def prompt_with_sources() -> str:
    return (
        "Answer using only these sources and cite each sentence like [S1].\n\n"
        '[S1] "Leadership and Management: Both Are Necessary"\n'
        f"{P1}\n\n"
        f"[S2] {P2}\n\n"
        f"[S3] {P3}\n\n"
        "Scenario: my team keeps missing deadlines and I dread our weekly meeting. What should I try?"
    )


def chat_body(content: str = "Hello there, coach.", **extra) -> dict:
    return {"model": "fake-model", "messages": [{"role": "user", "content": content}], **extra}


def post(url: str, body: dict, headers: dict | None = None, timeout: float = 5.0):
    """POST JSON; return (status, headers, raw bytes) for success and HTTP errors alike."""
    req = urllib.request.Request(
        url + "/chat/completions",
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def sse_events(raw: bytes) -> list[str]:
    return [line[len("data: ") :] for line in raw.decode("utf-8").split("\n") if line.startswith("data: ")]


@pytest.fixture
def server():
    with FakeOpenAI() as srv:
        yield srv


def test_non_streaming_response_has_openai_shape(server):
    server.script = [{"content": "Hold a short weekly one-on-one."}]
    status, headers, raw = post(server.url, chat_body("two words"), {"Authorization": "Bearer sk-abc"})
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    data = json.loads(raw)
    assert data["id"].startswith("chatcmpl-")
    assert data["object"] == "chat.completion"
    assert isinstance(data["created"], int)
    assert data["model"] == "fake-model"
    choice = data["choices"][0]
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"] == "Hold a short weekly one-on-one."
    assert choice["finish_reason"] == "stop"
    assert data["usage"] == {"prompt_tokens": 2, "completion_tokens": 5, "total_tokens": 7}
    # Recorded for assertions, with the key kept apart from the logged headers.
    assert server.count == 1 and server.requests[0]["messages"][0]["content"] == "two words"
    assert server.auth_headers == ["Bearer sk-abc"]
    assert all(k.lower() != "authorization" for k in server.request_headers[0])
    assert server.in_flight == 0


def test_streaming_chunks_reassemble_and_end_with_done(server):
    server.configure(chunk_delay=0.01)
    server.script = [{"content": "Managers plan and budget, while leaders align people and set a direction."}]
    status, headers, raw = post(server.url, chat_body(stream=True, stream_options={"include_usage": True}))
    assert status == 200
    assert headers["Content-Type"].startswith("text/event-stream")
    events = sse_events(raw)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    content_chunks = [c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]
    assert len(content_chunks) >= 3  # a few words per chunk, not one blob
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Managers plan and budget, while leaders align people and set a direction."
    finals = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert [f["choices"][0]["finish_reason"] for f in finals] == ["stop"]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 12
    assert len(server.first_token_sent_at) == 1


def test_script_429_then_200(server):
    server.script = [{"status": 429}]
    status, headers, raw = post(server.url, chat_body())
    assert status == 429
    assert headers["Retry-After"] == "0"
    err = json.loads(raw)["error"]
    assert err["code"] == "rate_limit_exceeded" and err["message"]
    status, _, raw = post(server.url, chat_body())
    assert status == 200
    assert json.loads(raw)["choices"][0]["message"]["content"]
    assert server.count == 2 and server.script == []


def test_unknown_model_is_404_model_not_found():
    with FakeOpenAI(model_names=["coach-small"]) as srv:
        status, _, raw = post(srv.url, {**chat_body(), "model": "gpt-nope"})
        assert status == 404
        assert json.loads(raw)["error"]["code"] == "model_not_found"
        status, _, _ = post(srv.url, {**chat_body(), "model": "coach-small"})
        assert status == 200
        with urllib.request.urlopen(srv.url + "/models", timeout=5) as resp:
            listed = [m["id"] for m in json.loads(resp.read())["data"]]
        assert listed == ["coach-small"]


def test_require_key_rejects_missing_or_wrong_key():
    with FakeOpenAI(require_key="sk-test") as srv:
        assert post(srv.url, chat_body())[0] == 401
        status, _, raw = post(srv.url, chat_body(), {"Authorization": "Bearer sk-wrong"})
        assert status == 401 and json.loads(raw)["error"]["code"] == "invalid_api_key"
        assert post(srv.url, chat_body(), {"Authorization": "Bearer sk-test"})[0] == 200
        assert srv.auth_headers == [None, "Bearer sk-wrong", "Bearer sk-test"]


def test_concurrency_high_water_mark_reaches_five():
    with FakeOpenAI(latency=0.3) as srv:
        results: list[int] = []
        threads = [threading.Thread(target=lambda: results.append(post(srv.url, chat_body())[0])) for _ in range(5)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        elapsed = time.perf_counter() - started
        assert results == [200] * 5
        assert srv.max_in_flight == 5
        assert srv.in_flight == 0
        assert elapsed < 1.2, f"requests were serialised ({elapsed:.2f}s)"


def test_grounded_mode_copies_sentences_verbatim_with_markers(server):
    status, _, raw = post(server.url, chat_body(prompt_with_sources()))
    assert status == 200
    answer = json.loads(raw)["choices"][0]["message"]["content"]
    passages = {"S1": P1, "S2": P2, "S3": P3}
    cited = []
    pairs = re.findall(r"(.+?) \[(S\d+)\]\s*", answer)
    assert 2 <= len(pairs) <= 3, answer
    for sentence, sid in pairs:
        assert sid in passages, answer
        assert sentence in split_sentences(passages[sid]), (sentence, sid)
        cited.append(sid)
    assert "".join(f"{s} [{sid}] " for s, sid in pairs).strip() == answer
    assert len(set(cited)) >= 2  # draws on more than one source when several are given
    assert "Scenario" not in answer and "Leadership and Management: Both" not in answer


def test_liar_mode_cites_a_source_never_given(server):
    server.mode = "liar"
    status, _, raw = post(server.url, chat_body(prompt_with_sources()))
    assert status == 200
    answer = json.loads(raw)["choices"][0]["message"]["content"]
    assert answer == LIAR_REPLY
    assert "[S9]" in answer and '"Culture eats strategy for breakfast."' in answer


def test_echo_mode_returns_what_reached_the_server(server):
    server.mode = "echo"
    _, _, raw = post(server.url, chat_body("My report [NAME] is late again."))
    assert json.loads(raw)["choices"][0]["message"]["content"] == "My report [NAME] is late again."


def test_hang_times_out_client_without_blocking_others_or_shutdown():
    srv = FakeOpenAI().start()
    try:
        srv.script = [{"hang": 30}]
        with pytest.raises((TimeoutError, urllib.error.URLError)):
            post(srv.url, chat_body(), timeout=0.3)
        started = time.perf_counter()
        assert post(srv.url, chat_body(), timeout=5)[0] == 200
        assert time.perf_counter() - started < 1.0
        srv.script = [{"hang": 30}]
        outcome: list[object] = []

        def hang_until_stopped() -> None:
            try:
                outcome.append(post(srv.url, chat_body(), timeout=30)[0])
            except (OSError, http.client.HTTPException) as exc:  # the server hung up on stop
                outcome.append(exc)

        hung = threading.Thread(target=hang_until_stopped, daemon=True)
        hung.start()
        time.sleep(0.2)
        assert srv.in_flight == 1
    finally:
        started = time.perf_counter()
        srv.stop()
    assert time.perf_counter() - started < 1.0
    hung.join(2)
    assert not hung.is_alive()
    assert outcome and not isinstance(outcome[0], int), "a hung request should be dropped, not answered, on stop"


def test_subprocess_mode_prints_ready_and_serves():
    proc = subprocess.Popen(
        [sys.executable, SERVER_SCRIPT, "--port", "0", "--mode", "liar", "--latency", "0.05", "--lifetime", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        assert ready, "server did not print READY within 10 s"
        line = proc.stdout.readline().strip()
        assert line.startswith("READY http://127.0.0.1:") and line.endswith("/v1"), line
        url = line.split(" ", 1)[1]
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("POST", "/v1/chat/completions", json.dumps(chat_body()), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 200
        assert "[S9]" in json.loads(resp.read())["choices"][0]["message"]["content"]
        conn.close()
    finally:
        proc.terminate()
        try:
            code = proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, proc.stderr.read()


def test_connections_send_without_nagle_delay(server):
    """The server writes a response's headers and body separately; with Nagle's algorithm on, the body
    waits for the client's delayed ACK (~40 ms a request), a latency no real server adds and which the
    batch benchmark would count against `coach batch`. So every accepted socket has TCP_NODELAY."""
    import http.client
    import socket

    host, port = server.url.split("//", 1)[1].split("/", 1)[0].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", "/v1/models")
    conn.getresponse().read()  # keep-alive: the server's socket stays open and tracked
    try:
        with server._lock:
            socks = list(server._connections)
        assert socks
        assert all(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in socks)
    finally:
        conn.close()
