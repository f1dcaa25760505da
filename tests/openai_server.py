"""A small, real, scriptable OpenAI chat-completions server on 127.0.0.1, for tests and benchmarks.

Why this exists: the product reaches hosted models through litellm (``openai/<name>`` with
``api_base=http://127.0.0.1:PORT/v1``). Mocking litellm in-process would skip exactly the parts that
break in practice -- HTTP, SSE parsing, retries on 429, timeouts, auth headers, concurrency -- so the
tests talk to a real socket instead. The server is standard library only, binds only to 127.0.0.1
and never opens an outbound connection, so it is safe to run anywhere, including offline CI.

In process::

    with FakeOpenAI(mode="grounded", latency=0.1) as srv:
        litellm.completion(model="openai/fake-model", api_base=srv.url, api_key="sk-x", ...)
        assert srv.count == 1

Out of process (batch tests, benchmarks)::

    python tests/openai_server.py --port 0 --mode grounded --latency 0.2
    # prints "READY http://127.0.0.1:PORT/v1" on stdout once it is listening

Behaviour is scriptable per request (``script``: 429/500/401 errors, hangs, dropped connections,
fixed content) and by default (``mode``: grounded / liar / echo / a callable). Everything it receives
is recorded for assertions (``requests``, ``request_headers``, ``auth_headers``, ``in_flight``,
``max_in_flight``, ``first_token_sent_at``), with the Authorization header kept apart so that dumping
``requests`` in a failing test never prints a key.
"""
from __future__ import annotations

import argparse
import itertools
import json
import re
import select
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable

HOST = "127.0.0.1"
DEFAULT_MODEL_NAME = "fake-model"
MODES = ("grounded", "liar", "echo")

# The liar's answer: an invented quote plus a citation to a source that was never given ([S9]) and
# an invented statistic pinned on a real one ([S1]). The product's verifier must flag all of it.
LIAR_REPLY = (
    'As Peter Drucker said, "Culture eats strategy for breakfast." [S9] '
    "Studies show 87% of teams improve with weekly check-ins. [S1]"
)
NO_SOURCES_REPLY = "I was not given any numbered sources, so I have nothing grounded to say."

Reply = Callable[[dict], str]


# ------------------------------------------------------------------------------------------------
# Reading requests: message text, sources, sentences
# ------------------------------------------------------------------------------------------------
def content_text(content: Any) -> str:
    """Text of a message ``content``, which may be a string or a list of OpenAI content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif isinstance(part, str):
                parts.append(part)
        return "\n".join(parts)
    return str(content)


def last_user_text(body: dict) -> str:
    """The text of the last ``role == "user"`` message ('' if there is none)."""
    for msg in reversed(body.get("messages") or []):
        if isinstance(msg, dict) and msg.get("role") == "user":
            return content_text(msg.get("content"))
    return ""


def count_tokens(text: str) -> int:
    """Tokens, counted as whitespace-separated words: crude, deterministic and easy to assert on."""
    return len(text.split())


def prompt_tokens(body: dict) -> int:
    return sum(
        count_tokens(content_text(m.get("content")))
        for m in (body.get("messages") or [])
        if isinstance(m, dict)
    )


# A source marker at the start of a line (optionally after bullet/quote characters): "[S1] ...".
_LINE_MARKER = re.compile(r"(?im)^[ \t>*\-•]*\[(S\d+)\]")
_ANY_MARKER = re.compile(r"(?i)\[(S\d+)\]")
# A sentence ends at . ! or ? (plus closing quotes/brackets) followed by whitespace or the end, so
# "3.5" and "1-on-1’s" do not split.
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)")
_ENDS_SENTENCE = re.compile(r"[.!?][\"'”’)\]]*$")
_OPEN_QUOTES = "\"“'‘"
_CLOSE_QUOTES = "\"”'’"


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` that end with terminal punctuation; a trailing fragment is dropped."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        sentence = text[start : m.end()].strip()
        start = m.end()
        if sentence:
            out.append(sentence)
    return out


def _usable(sentence: str) -> bool:
    """Worth quoting: a real sentence (4+ words) that carries no source marker of its own."""
    return len(sentence.split()) >= 4 and not _ANY_MARKER.search(sentence)


def _strip_header_lines(paragraph: str) -> str:
    """Drop leading title/metadata lines such as ``"Leadership and Management" — Jane Doe``.

    A leading line counts as a header if it does not end a sentence and the next line starts a new
    one (capital letter, digit or quote); a wrapped line is followed by a lowercase continuation.
    """
    lines = [ln.strip() for ln in paragraph.splitlines() if ln.strip()]
    while len(lines) > 1 and not _ENDS_SENTENCE.search(lines[0]) and (
        lines[1][:1].isupper() or lines[1][:1].isdigit() or lines[1][:1] in _OPEN_QUOTES
    ):
        lines.pop(0)
    text = " ".join(" ".join(lines).split())  # wrapped lines rejoin with single spaces
    text = text.lstrip(":-–— \t")
    if len(text) > 1 and text[0] in _OPEN_QUOTES and text[-1] in _CLOSE_QUOTES:
        text = text[1:-1].strip()
    return text


def extract_sources(text: str) -> dict[str, list[str]]:
    """Map ``"S1"`` -> quotable sentences of the passage given after ``[S1]`` in ``text``.

    Tolerant on purpose, because prompt formats drift: a passage runs from its marker to the next
    marker, and within that to the first blank line -- unless that first block has no sentence in it
    (a title line on its own), in which case the next block is used. Markers count at the start of
    a line; if there are none there, anywhere. The first occurrence of each id wins.
    """
    matches = list(_LINE_MARKER.finditer(text)) or list(_ANY_MARKER.finditer(text))
    sources: dict[str, list[str]] = {}
    for i, m in enumerate(matches):
        sid = m.group(1).upper()
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        segment = text[m.end() : end]
        if sid in sources:
            continue
        sentences: list[str] = []
        for block in re.split(r"\n[ \t]*\n", segment):
            sentences = [s for s in split_sentences(_strip_header_lines(block)) if _usable(s)]
            if sentences:
                break
        sources[sid] = sentences
    return sources


def grounded_reply(body: dict) -> str:
    """Two or three sentences copied verbatim from the given sources, each followed by its marker.

    Sources are read from the last user message (falling back to earlier messages, newest first).
    Sentences are taken round-robin -- the first sentence of S1, of S2, of S3, then second sentences
    -- so the answer cites several sources when several are given. Deterministic, so tests can
    predict it exactly.
    """
    texts = [last_user_text(body)] + [
        content_text(m.get("content"))
        for m in reversed(body.get("messages") or [])
        if isinstance(m, dict)
    ]
    sources: dict[str, list[str]] = {}
    for text in texts:
        sources = {k: v for k, v in extract_sources(text).items() if v}
        if sources:
            break
    if not sources:
        return NO_SOURCES_REPLY
    total = sum(len(v) for v in sources.values())
    want = min(3, total)
    picked: list[str] = []
    for rank in itertools.count():
        if len(picked) >= want:
            break
        for sid, sentences in sources.items():
            if rank < len(sentences) and len(picked) < want:
                picked.append(f"{sentences[rank]} [{sid}]")
    return " ".join(picked)


def liar_reply(body: dict) -> str:
    return LIAR_REPLY


def echo_reply(body: dict) -> str:
    return last_user_text(body)


_MODE_REPLIES: dict[str, Reply] = {"grounded": grounded_reply, "liar": liar_reply, "echo": echo_reply}


def _stream_pieces(text: str, words_per_piece: int = 3) -> list[str]:
    """Split ``text`` into pieces of a few words that concatenate back to exactly ``text``."""
    tokens = re.findall(r"\s*\S+", text)
    pieces = ["".join(tokens[i : i + words_per_piece]) for i in range(0, len(tokens), words_per_piece)]
    tail = text[len("".join(pieces)) :]  # trailing whitespace, if any
    if tail:
        if pieces:
            pieces[-1] += tail
        else:
            pieces = [tail]
    return pieces


# ------------------------------------------------------------------------------------------------
# OpenAI-style error bodies
# ------------------------------------------------------------------------------------------------
_ERRORS: dict[int, tuple[str, str | None, str]] = {
    # status: (type, code, message)
    400: ("invalid_request_error", None, "Invalid request."),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
    ),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "not_found", "Not found."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again in 0s."),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


def error_body(status: int, message: str | None = None, code: str | None = None, type_: str | None = None) -> dict:
    """The JSON body OpenAI sends with an HTTP error, so clients map it to the right exception."""
    d_type, d_code, d_msg = _ERRORS.get(status, ("server_error" if status >= 500 else "invalid_request_error", None, f"HTTP {status}"))
    return {
        "error": {
            "message": message or d_msg,
            "type": type_ or d_type,
            "param": None,
            "code": code if code is not None else d_code,
        }
    }


class _Abort(Exception):
    """Raised inside a handler to close the connection without answering (drop / shutdown)."""


# ------------------------------------------------------------------------------------------------
# The server
# ------------------------------------------------------------------------------------------------
class _Server(ThreadingHTTPServer):
    # Daemon threads and no join on close: a hung request must never hold up shutdown or exit.
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    # The default listen backlog of 5 refuses connections under benchmark concurrency.
    request_queue_size = 128
    fake: "FakeOpenAI"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming, as clients expect
    # TCP_NODELAY: headers and body go out in two writes; with Nagle on, the body waits for the
    # client's delayed ACK of the headers (~40 ms a request), which no real server adds
    disable_nagle_algorithm = True
    server_version = "FakeOpenAI/1.0"
    server: _Server

    def version_string(self) -> str:
        return self.server_version

    # -- plumbing ---------------------------------------------------------------------------------
    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.fake._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.fake.verbose:
            sys.stderr.write("fake-openai: " + (format % args) + "\n")

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (_Abort, BrokenPipeError, ConnectionResetError, ConnectionAbortedError, socket.timeout):
            self.close_connection = True

    def _path(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/") or "/"

    def _send_json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        self._done()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_error_json(self, status: int, action: dict | None = None, **kw: Any) -> None:
        action = action or {}
        headers = {"x-request-id": f"req_fake_{id(self):x}"}
        if status == 429:
            headers["Retry-After"] = str(action.get("retry_after", 0))
        body = error_body(
            status,
            message=action.get("message") or kw.get("message"),
            code=action.get("code") or kw.get("code"),
            type_=action.get("type"),
        )
        self._send_json(status, body, headers)

    def _wait(self, seconds: float) -> None:
        """Sleep without holding anything up: ends early (abort) on server stop or client hang-up."""
        fake = self.server.fake
        deadline = time.monotonic() + max(0.0, float(seconds or 0))
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if fake._stopping.wait(min(left, 0.05)):
                raise _Abort()
            if self._client_gone():
                raise _Abort()

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if readable:
                return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True
        return False

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    # -- GET ----------------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        path = self._path()
        fake = self.server.fake
        names = fake.listed_models()
        if path in ("/v1/models", "/models"):
            data = [{"id": n, "object": "model", "created": 0, "owned_by": "fake-openai"} for n in names]
            self._send_json(200, {"object": "list", "data": data})
        elif path.startswith(("/v1/models/", "/models/")):
            name = path.split("/models/", 1)[1]
            if fake.model_names is None or name in names:
                self._send_json(200, {"id": name, "object": "model", "created": 0, "owned_by": "fake-openai"})
            else:
                self._send_error_json(404, code="model_not_found", message=_model_missing(name))
        elif path in ("/", "/health", "/v1"):
            self._send_json(200, {"status": "ok"})
        else:
            self._send_error_json(404, message=f"Unknown path {path}")

    # -- POST ---------------------------------------------------------------------------------------
    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        path = self._path()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if path not in ("/v1/chat/completions", "/chat/completions"):
            self._send_error_json(404, message=f"Unknown path {path}")
            return
        try:
            body = json.loads(raw.decode("utf-8") or "null")
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
        except (ValueError, UnicodeDecodeError) as exc:
            self._send_error_json(400, message=f"Could not parse the JSON body: {exc}")
            return
        fake = self.server.fake
        fake._begin(body, self.headers)
        self._counted = True
        try:
            self._chat(fake, body)
        finally:
            self._done()

    def _done(self) -> None:
        """Leave ``in_flight`` once per request -- just before the last bytes go out, so a client
        that has its answer never sees the request still counted as in flight."""
        if getattr(self, "_counted", False):
            self._counted = False
            self.server.fake._end()

    def _chat(self, fake: "FakeOpenAI", body: dict) -> None:
        self._wait(fake.latency)

        if fake.require_key is not None:
            auth = self.headers.get("Authorization") or ""
            if auth != f"Bearer {fake.require_key}":
                self._send_error_json(401)
                return

        model = str(body.get("model") or "")
        if fake.model_names is not None and model not in fake.model_names:
            self._send_error_json(404, code="model_not_found", message=_model_missing(model))
            return

        action = fake._next_action()
        self._wait(action.get("latency", 0))
        if action.get("hang"):
            self._wait(action["hang"])
        if action.get("drop"):
            raise _Abort()
        if action.get("status") and int(action["status"]) != 200:
            self._send_error_json(int(action["status"]), action)
            return

        try:
            text = fake._reply_text(body, action)
        except Exception as exc:  # a scripted callable failed: surface it, like a real 500
            self._send_error_json(500, message=f"reply callable failed: {exc!r}")
            return

        finish = "stop"
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if isinstance(limit, int) and limit > 0 and count_tokens(text) > limit:
            text = " ".join(text.split()[:limit])
            finish = "length"

        first_delay = float(action.get("first_token_delay", fake.first_token_delay) or 0)
        chunk_delay = float(action.get("chunk_delay", fake.chunk_delay) or 0)
        pieces = _stream_pieces(text)
        usage = {
            "prompt_tokens": prompt_tokens(body),
            "completion_tokens": count_tokens(text),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        cid = fake._new_id()
        created = int(time.time())

        if body.get("stream"):
            self._stream(fake, body, model, cid, created, pieces, finish, usage, first_delay, chunk_delay)
            return

        # Non-streaming answers arrive when "generation" would have finished, so streamed and
        # non-streamed runs of the same settings take the same total time.
        self._wait(first_delay + chunk_delay * max(0, len(pieces) - 1))
        self._send_json(
            200,
            {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": finish,
                    }
                ],
                "usage": usage,
            },
        )

    def _stream(
        self,
        fake: "FakeOpenAI",
        body: dict,
        model: str,
        cid: str,
        created: int,
        pieces: list[str],
        finish: str,
        usage: dict,
        first_delay: float,
        chunk_delay: float,
    ) -> None:
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def event(choices: list, usage_value: Any = None, with_usage: bool = include_usage) -> bytes:
            chunk: dict[str, Any] = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": choices,
            }
            if with_usage:
                chunk["usage"] = usage_value
            return b"data: " + json.dumps(chunk).encode("utf-8") + b"\n\n"

        def choice(delta: dict, finish_reason: str | None = None) -> list:
            return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._chunk(event(choice({"role": "assistant", "content": ""})))
        self._wait(first_delay)
        for i, piece in enumerate(pieces):
            if i:
                self._wait(chunk_delay)
            self._chunk(event(choice({"content": piece})))
            if i == 0:
                fake._first_token(time.perf_counter())
        self._chunk(event(choice({}, finish)))
        if include_usage:
            self._chunk(event([], usage))
        self._done()
        self._chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _model_missing(name: str) -> str:
    return f"The model `{name}` does not exist or you do not have access to it."


class FakeOpenAI:
    """A scriptable OpenAI-compatible chat-completions server on 127.0.0.1 (see the module doc).

    Settings (all changeable at runtime, from any thread, by plain assignment or ``configure``):

    - ``latency``: seconds to wait before answering each chat request (errors included).
    - ``first_token_delay``: seconds between a stream's role chunk and its first content chunk.
    - ``chunk_delay``: seconds between content chunks of a stream. A non-streamed answer waits
      ``first_token_delay + chunk_delay * (pieces - 1)`` too, so both take equally long.
    - ``mode``: the default reply -- ``"grounded"``, ``"liar"``, ``"echo"`` or a callable
      ``reply(request_json) -> str``.
    - ``script``: per-request actions consumed in arrival order before falling back to ``mode``.
      An action is a dict with any of ``status`` (error code; 429 carries ``Retry-After``,
      overridable with ``retry_after``; ``message``/``code``/``type`` override the error body),
      ``hang`` (seconds to stall, then answer), ``drop`` (close the connection unanswered),
      ``content`` (answer this text), ``mode`` (a one-off mode), ``latency``,
      ``first_token_delay``, ``chunk_delay``. A bare string is short for ``{"content": s}``.
    - ``model_names``: the served models; any other model gets 404 ``model_not_found``.
      ``None`` (the default) accepts every model and lists ``fake-model``.
    - ``require_key``: if set, a request without ``Authorization: Bearer <key>`` gets 401.

    Records (reset with ``reset()``): ``requests`` (JSON bodies in arrival order),
    ``request_headers`` (their headers minus Authorization), ``auth_headers`` (the Authorization
    values, or None), ``count``, ``in_flight``, ``max_in_flight``, ``first_token_sent_at``
    (``time.perf_counter()`` when each stream's first content chunk was flushed).
    """

    def __init__(
        self,
        port: int = 0,
        *,
        mode: str | Reply = "grounded",
        latency: float = 0.0,
        chunk_delay: float = 0.0,
        first_token_delay: float = 0.0,
        script: Iterable[dict | str] | None = None,
        model_names: Iterable[str] | None = None,
        require_key: str | None = None,
        verbose: bool = False,
    ) -> None:
        self._lock = threading.RLock()
        self._requested_port = int(port)
        self._port: int | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._ids = itertools.count(1)
        self.verbose = verbose
        self.latency = float(latency)
        self.chunk_delay = float(chunk_delay)
        self.first_token_delay = float(first_token_delay)
        self.require_key = require_key
        self.model_names = list(model_names) if model_names is not None else None
        self.mode = mode
        self._script: list[dict] = []
        self.script = list(script or [])
        self._clear_records()

    # -- settings ---------------------------------------------------------------------------------
    @property
    def mode(self) -> str | Reply:
        return self._mode

    @mode.setter
    def mode(self, value: str | Reply) -> None:
        if not callable(value) and value not in MODES:
            raise ValueError(f"mode must be one of {MODES} or a callable, not {value!r}")
        self._mode = value

    @property
    def script(self) -> list[dict]:
        """A copy of the actions still to be consumed."""
        with self._lock:
            return list(self._script)

    @script.setter
    def script(self, actions: Iterable[dict | str]) -> None:
        normalised = [_normalise_action(a) for a in actions]
        with self._lock:
            self._script = normalised

    def push(self, *actions: dict | str) -> None:
        """Append actions to the script (thread-safe)."""
        normalised = [_normalise_action(a) for a in actions]
        with self._lock:
            self._script.extend(normalised)

    def configure(self, **settings: Any) -> None:
        """Change several settings at once, e.g. ``configure(latency=0.5, mode="liar")``."""
        allowed = {"latency", "chunk_delay", "first_token_delay", "mode", "script", "model_names", "require_key", "verbose"}
        unknown = set(settings) - allowed
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        with self._lock:
            for key, value in settings.items():
                if key == "model_names" and value is not None:
                    value = list(value)
                if key in ("latency", "chunk_delay", "first_token_delay"):
                    value = float(value)
                setattr(self, key, value)

    def listed_models(self) -> list[str]:
        return list(self.model_names) if self.model_names is not None else [DEFAULT_MODEL_NAME]

    # -- lifecycle --------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeOpenAI is not started yet")
        return self._port

    @property
    def url(self) -> str:
        """The ``api_base`` to give clients: ``http://127.0.0.1:PORT/v1``."""
        return f"http://{HOST}:{self.port}/v1"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> "FakeOpenAI":
        """Bind 127.0.0.1 and serve on a daemon thread. A restart reuses the earlier port."""
        if self._server is not None:
            return self
        self._stopping.clear()
        port = self._port if self._port is not None else self._requested_port
        server = _Server((HOST, port), _Handler)
        server.fake = self
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"fake-openai-{self._port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop within well under a second, even with hung or streaming requests in progress."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes every latency/hang wait, which then aborts its request
        server.shutdown()
        with self._lock:
            conns = list(self._connections)
        for conn in conns:  # unblocks handlers idling on keep-alive connections
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- records ----------------------------------------------------------------------------------
    def _clear_records(self) -> None:
        self.requests: list[dict] = []
        self.request_headers: list[dict[str, str]] = []
        self.auth_headers: list[str | None] = []
        self.first_token_sent_at: list[float] = []
        self.in_flight = getattr(self, "in_flight", 0)
        self.max_in_flight = self.in_flight

    def reset(self) -> None:
        """Forget what was received and any unconsumed script; settings are kept."""
        with self._lock:
            self._clear_records()
            self._script = []

    @property
    def count(self) -> int:
        """How many chat-completion requests have been received (since the last reset)."""
        return len(self.requests)

    @property
    def last_request(self) -> dict | None:
        with self._lock:
            return self.requests[-1] if self.requests else None

    def _begin(self, body: dict, headers: Any) -> None:
        auth = headers.get("Authorization")
        kept = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        with self._lock:
            self.requests.append(body)
            self.request_headers.append(kept)
            self.auth_headers.append(auth)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _end(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _first_token(self, t: float) -> None:
        with self._lock:
            self.first_token_sent_at.append(t)

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            (self._connections.add if add else self._connections.discard)(conn)

    def _next_action(self) -> dict:
        with self._lock:
            return self._script.pop(0) if self._script else {}

    def _new_id(self) -> str:
        with self._lock:
            return f"chatcmpl-fake{next(self._ids):06d}"

    def _reply_text(self, body: dict, action: dict) -> str:
        if "content" in action:
            return str(action["content"])
        mode = action.get("mode", self.mode)
        if callable(mode):
            return str(mode(body))
        if mode not in _MODE_REPLIES:
            raise ValueError(f"unknown mode {mode!r}")
        return _MODE_REPLIES[mode](body)


def _normalise_action(action: dict | str) -> dict:
    if isinstance(action, str):
        return {"content": action}
    if not isinstance(action, dict):
        raise TypeError(f"a script action must be a dict or a string, not {type(action).__name__}")
    return dict(action)


# ------------------------------------------------------------------------------------------------
# Command line: run out of process
# ------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT/SIGTERM (or ``--lifetime`` seconds); print ``READY <url>`` once listening."""
    parser = argparse.ArgumentParser(description="Fake OpenAI chat-completions server on 127.0.0.1 (tests/benchmarks).")
    parser.add_argument("--port", type=int, default=0, help="port to bind on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--mode", choices=MODES, default="grounded", help="default reply")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before answering each request")
    parser.add_argument("--chunk-delay", type=float, default=0.0, help="seconds between stream chunks")
    parser.add_argument("--first-token-delay", type=float, default=0.0, help="seconds before a stream's first content")
    parser.add_argument("--model", action="append", dest="models", help="a served model name (repeatable; default: any)")
    parser.add_argument("--require-key", default=None, help="require 'Authorization: Bearer KEY'")
    parser.add_argument("--script", default=None, help="JSON list of per-request actions, e.g. '[{\"status\": 429}]'")
    parser.add_argument("--lifetime", type=float, default=0.0, help="exit after this many seconds (0: run until signalled)")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = parser.parse_args(argv)

    script = json.loads(args.script) if args.script else None
    fake = FakeOpenAI(
        args.port,
        mode=args.mode,
        latency=args.latency,
        chunk_delay=args.chunk_delay,
        first_token_delay=args.first_token_delay,
        script=script,
        model_names=args.models,
        require_key=args.require_key,
        verbose=args.verbose,
    )
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    fake.start()
    print(f"READY {fake.url}", flush=True)
    try:
        done.wait(args.lifetime if args.lifetime > 0 else None)
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
