"""A stand-in for an OpenAI-compatible chat-completions server, for the judge tests.

No small model could be installed from the package registries on the CI machine (llama.cpp's
server needs a model file, and none is packaged there), so the tests talk to this server instead:
a real HTTP server on a loopback port (engines/tests/server.py) that speaks the protocol as the
OpenAI API documents it (``POST /v1/chat/completions``; a ``chat.completion`` object with
``choices[0].message`` {role, content, refusal}, ``finish_reason`` and ``usage``; errors as
``{"error": {"message", "type", "param", "code"}}``; 401 without the right bearer key) and
replays the shapes a real one answers with. The shape of each answer is chosen by the prompt:
a doc field ``shape:NAME`` picks one of SHAPES, ``grade:N`` the grade a normal reply gives.

- ``normal``   ``{"judgment": N, "explanation": …}`` as the message content
- ``fenced``   the same JSON inside a Markdown ```json fence, with a sentence before it
- ``refusal``  content null and ``refusal`` set (OpenAI's structured-output refusal)
- ``prose``    a sentence, not JSON
- ``offscale`` ``{"judgment": 7, …}``: a grade no scale here has
- ``429``      429 with ``Retry-After: 1`` the first time the prompt is seen, then normal
- ``500``      500 with an error body the first time, then normal
- ``timeout``  no answer within the client's timeout (``slow`` seconds) the first time, then normal
- ``down``     500 every time
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from searchbench.engines.tests.server import FakeServer, Recorded, Reply, start_server

API_KEY = "sk-test-0123456789"
SHAPES = ("normal", "fenced", "refusal", "prose", "offscale", "429", "500", "timeout", "down")
_SHAPE = re.compile(r"shape:(\w+)")
_GRADE = re.compile(r"grade:(\d+)")


def _error(status: int, message: str, kind: str, code: str | None = None) -> Reply:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return status, {"Content-Type": "application/json"}, body


def _text_of(messages: list[Any]) -> str:
    parts = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts += [p.get("text", "") for p in content if p.get("type") == "text"]
    return "\n".join(parts)


@dataclass
class ChatServer:
    """The server's state: what it was asked, and how slow a ``timeout`` answer is."""

    http: FakeServer
    slow: float = 2.0
    seen: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"{self.http.url}/v1"

    @property
    def calls(self) -> list[Recorded]:
        return [r for r in self.http.requests if r.path == "/v1/chat/completions"]

    def answer(self, request: Recorded) -> Reply:
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return _error(
                401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
            )
        try:
            body = request.json()
        except ValueError:
            return _error(
                400, "We could not parse the JSON body of your request.", "invalid_request_error"
            )
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages or not body.get("model"):
            return _error(400, "'messages' and 'model' are required.", "invalid_request_error")
        prompt = _text_of(messages)
        with self.lock:
            self.seen[prompt] += 1
            first = self.seen[prompt] == 1
        shape_match = _SHAPE.search(prompt)
        shape = shape_match.group(1) if shape_match else "normal"
        grade_match = _GRADE.search(prompt)
        grade = int(grade_match.group(1)) if grade_match else 1
        if shape == "429" and first:
            status, headers, payload = _error(
                429, "Rate limit reached for requests.", "requests", "rate_limit_exceeded"
            )
            return status, {**headers, "Retry-After": "1"}, payload
        if shape == "down" or (shape == "500" and first):
            return _error(
                500, "The server had an error while processing your request.", "server_error"
            )
        if shape == "timeout" and first:
            time.sleep(self.slow)
        content: str | None
        refusal = None
        verdict = {"judgment": grade, "explanation": f"the doc fits the query (grade {grade})"}
        if shape == "fenced":
            content = "Here is my judgment:\n```json\n" + json.dumps(verdict, indent=2) + "\n```"
        elif shape == "refusal":
            content, refusal = None, "I'm sorry, I can't help with that request."
        elif shape == "prose":
            content = "The result looks quite relevant to me."
        elif shape == "offscale":
            content = json.dumps({"judgment": 7, "explanation": "very very relevant"})
        else:
            content = json.dumps(verdict)
        completion = len((content or refusal or "").split())
        prompt_tokens = len(prompt.split())
        return (
            200,
            {"Content-Type": "application/json"},
            {
                "id": f"chatcmpl-{len(self.http.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": refusal},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion,
                    "total_tokens": prompt_tokens + completion,
                },
            },
        )


@contextmanager
def chat_server(slow: float = 2.0) -> Iterator[ChatServer]:
    state, server = start_server()
    chat = ChatServer(state, slow=slow)
    state.route("POST", "/v1/chat/completions", chat.answer)
    try:
        yield chat
    finally:
        server.shutdown()
        server.server_close()
