"""A real HTTP server on a free loopback port for adapter tests (no mocks of httpx).

Routes map (method, path) to a handler returning (status, headers, body); every request is
recorded with its query params, headers and body so tests can check exactly what was sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    params: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def param(self, name: str) -> str | None:
        values = [v for k, v in self.params if k == name]
        return values[-1] if values else None


Reply = tuple[int, dict[str, str], bytes | str | dict[str, Any] | list[Any]]
Handler = Callable[[Recorded], Reply]


@dataclass
class FakeServer:
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""
    delay: float = 0.0

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method, path)] = handler

    def json_reply(self, method: str, path: str, body: Any, status: int = 200) -> None:
        self.route(method, path, lambda _r: (status, {"Content-Type": "application/json"}, body))


def start_server() -> tuple[FakeServer, ThreadingHTTPServer]:
    state = FakeServer()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            params = parse_qsl(parts.query, keep_blank_values=True)
            if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                params += parse_qsl(body.decode(), keep_blank_values=True)
            rec = Recorded(self.command, parts.path, params, dict(self.headers.items()), body)
            state.requests.append(rec)
            if state.delay:
                time.sleep(state.delay)
            handler = state.routes.get((self.command, parts.path))
            if handler is None:
                status, headers, payload = 404, {"Content-Type": "text/plain"}, b"no route"
            else:
                status, headers, payload = handler(rec)
            if isinstance(payload, dict | list):
                data = json.dumps(payload).encode()
            elif isinstance(payload, str):
                data = payload.encode()
            else:
                data = payload
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _handle

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            # A client that gave up (timeout tests) leaves a broken pipe; that is the point.
            pass

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    ).start()
    return state, server
