"""The child process that runs llama.cpp for ``local/smollm2``.

Why a child: native code can die on instructions the CPU advertises but cannot run (SIGILL was seen
on Xeons with AVX-512-FP16/AMX). In here a crash kills only this process; the parent (CLI, page,
batch, eval) sees the pipe close, reads the signal from the exit status and reports one line.

Protocol: one JSON object per line on stdin, answers as JSON lines on the original stdout (file
descriptor 1 is pointed at stderr so nothing native can write into the protocol):
- ``{"op": "load", "path", "n_ctx", "threads"}`` -> ``{"ok": true, "load_s"}`` or ``{"error"}``
- ``{"op": "generate", "messages", "max_tokens", "temperature", "top_p", "seed", "stop"}`` ->
  ``{"t": piece}``... then ``{"done": true, "finish_reason", "usage"}`` or ``{"error"}``
- ``{"op": "reset"}`` -> ``{"ok": true}`` (forget the prompt cache: the benchmark's cold runs)

``COACH_LOCAL_FAULT`` injects a real crash for the tests: ``sigill`` kills this process with SIGILL
at every generation, ``sigill:TEXT`` only when the prompt contains TEXT.

Only the standard library and llama_cpp are imported here: the child starts in a fraction of a second.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
from typing import Any

CHATML = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}<|im_start|>assistant\n"


def _fault(messages: list[dict[str, str]]) -> None:
    spec = os.environ.get("COACH_LOCAL_FAULT", "")
    if not spec.startswith("sigill"):
        return
    _, _, needle = spec.partition(":")
    if not needle or any(needle in (m.get("content") or "") for m in messages):
        os.kill(os.getpid(), signal.SIGILL)


class Model:
    def __init__(self) -> None:
        self.llm: Any = None
        self.template: Any = None

    def load(self, req: dict) -> dict:
        import llama_cpp

        t0 = time.perf_counter()
        try:
            self.llm = llama_cpp.Llama(model_path=req["path"], n_ctx=int(req["n_ctx"]), n_threads=int(req["threads"]),
                                       n_threads_batch=int(req["threads"]), seed=0, verbose=False)
        except Exception as e:  # llama.cpp reports a file it cannot parse as ValueError
            why = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
            return {"error": f"the local model file could not be loaded (corrupt or unsupported GGUF): {req['path']} ({why})"}
        self.template = self._chat_template()
        return {"ok": True, "load_s": time.perf_counter() - t0}

    def _chat_template(self):
        """The model's own chat template (GGUF metadata), so any GGUF formats and counts its prompt right;
        ChatML only when the file carries none."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        meta = getattr(self.llm, "metadata", {}) or {}
        template = meta.get("tokenizer.chat_template") or CHATML
        bos = self.llm.detokenize([self.llm.token_bos()]).decode("utf-8", "ignore") if self.llm.token_bos() >= 0 else ""
        eos = self.llm.detokenize([self.llm.token_eos()]).decode("utf-8", "ignore") if self.llm.token_eos() >= 0 else ""
        return Jinja2ChatFormatter(template=template, bos_token=bos, eos_token=eos)

    def prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        prompt = self.template(messages=messages).prompt
        return len(self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

    def generate(self, req: dict, send) -> None:
        msgs = req["messages"]
        _fault(msgs)
        n_ctx = self.llm.n_ctx()
        prompt_tokens = self.prompt_tokens(msgs)
        room = n_ctx - prompt_tokens - 8
        if room < 16:
            send({"error": f"the prompt is too long for the local model ({prompt_tokens} tokens, context {n_ctx})"})
            return
        stream = self.llm.create_chat_completion(
            messages=msgs, stream=True, max_tokens=min(int(req["max_tokens"]), room),
            temperature=float(req.get("temperature", 0.2)), top_p=float(req.get("top_p", 0.95)),
            seed=int(req.get("seed", 0)), repeat_penalty=1.1, stop=req.get("stop"))
        n, finish = 0, "stop"
        for chunk in stream:
            choice = chunk["choices"][0]
            piece = (choice.get("delta") or {}).get("content") or ""
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
            if piece:
                n += 1
                send({"t": piece})
        send({"done": True, "finish_reason": finish,
              "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": n, "total_tokens": prompt_tokens + n}})


def main() -> None:
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # native prints go to stderr, never into the protocol

    def send(obj: dict) -> None:
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    model = Model()
    for line in sys.stdin:
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "load":
                send(model.load(req))
            elif op == "generate":
                model.generate(req, send)
            elif op == "reset":
                model.llm.reset()
                send({"ok": True})
            else:
                send({"error": f"unknown op {op!r}"})
        except Exception as e:  # a Python-level failure is an answer, not a crash
            send({"error": f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"})


if __name__ == "__main__":
    main()
