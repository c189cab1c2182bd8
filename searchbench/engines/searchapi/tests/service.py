"""A small but real JSON search service for the searchapi engine tests.

It searches a handful of documents by word overlap, pages with ``size``/``from``, answers GET
(query string) and POST (JSON or form body), and has routes that fail the ways real APIs do.
Requests are recorded so tests can check what the engine sent.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DOCS: list[dict[str, Any]] = [
    {
        "doc_id": "a1",
        "title": "Lift of a swept wing at low speed",
        "author": {"name": "Hale"},
        "image": "img/a1.png",
    },
    {
        "doc_id": "a2",
        "title": "Boundary layer transition on a flat plate",
        "author": {"name": "Ito"},
        "image": "img/a2.png",
    },
    {
        "doc_id": "a3",
        "title": "Wing flutter and boundary layer suction",
        "author": {"name": "Marsh"},
        "image": "img/a3.png",
    },
    {
        "doc_id": "a4",
        "title": "Heat transfer in hypersonic flow",
        "author": {"name": "Okafor"},
        "image": "https://cdn.example/a4.png",
    },
    {
        "doc_id": "a5",
        "title": "Wing tip vortices and boundary layer wakes",
        "author": {"name": "Ruiz"},
        "image": "img/a5.png",
    },
]
API_KEY = "key-123"
USER, PASSWORD = "reader", "pa ss"
WORD = re.compile(r"[a-z0-9]+")


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: Any


def search(text: str, size: int, start: int) -> dict[str, Any]:
    words = set(WORD.findall(text.lower()))
    scored = []
    for doc in DOCS:
        overlap = len(words & set(WORD.findall(doc["title"].lower())))
        if overlap:
            scored.append((overlap, doc))
    # Higher overlap first, then by id, so the order is fixed.
    scored.sort(key=lambda pair: (-pair[0], pair[1]["doc_id"]))
    page = scored[start : start + size]
    return {
        "meta": {"found": len(scored), "took_ms": 1},
        "results": [
            {
                **doc,
                "relevance": float(overlap),
                "why": {
                    "value": float(overlap),
                    "description": "sum of:",
                    "details": [
                        {
                            "value": 1.0,
                            "description": f"weight(title:{word} in 0) [PerFieldSimilarity], result of:",
                            "details": [],
                        }
                        for word in sorted(words & set(WORD.findall(doc["title"].lower())))
                    ],
                },
                "snippets": {
                    "title": [
                        re.sub(
                            r"(?i)\b(" + "|".join(sorted(words)) + r")\b",
                            r"<em>\1</em>",
                            doc["title"],
                        )
                    ]
                },
            }
            for overlap, doc in page
        ],
    }


@dataclass
class SearchService:
    requests: list[Seen] = field(default_factory=list)
    url: str = ""

    def __enter__(self) -> SearchService:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _reply(
                self, status: int, body: Any, content_type: str = "application/json"
            ) -> None:
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query))
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body: Any = None
                if raw:
                    if "json" in (self.headers.get("Content-Type") or ""):
                        body = json.loads(raw)
                    else:
                        body = dict(parse_qsl(raw.decode()))
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append(Seen(self.command, parts.path, params, headers, body))
                self._route(parts.path, {**params, **(body if isinstance(body, dict) else {})})

            def _route(self, path: str, args: dict[str, Any]) -> None:
                if path == "/html":
                    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
                    self._reply(502, page, "text/html")
                    return
                if path == "/es":
                    # An Elasticsearch error passed through: the useful words are in root_cause.
                    cause = {
                        "type": "query_shard_exception",
                        "reason": "Failed to parse query [x(]",
                    }
                    error = {
                        "root_cause": [cause],
                        "type": "search_phase_execution_exception",
                        "reason": "all shards failed",
                    }
                    self._reply(400, {"error": error, "status": 400})
                    return
                if path == "/private/search":
                    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                    if self.headers.get("Authorization") != expected:
                        self._reply(401, {"error": {"message": "login required"}})
                        return
                    if self.headers.get("X-Api-Key") != API_KEY:
                        self._reply(403, {"message": "missing or wrong X-Api-Key"})
                        return
                elif path != "/search":
                    self._reply(404, {"detail": f"no route {path}"})
                    return
                text = str(args.get("q") or args.get("query") or "")
                if not text:
                    self._reply(400, {"error": {"message": "parameter q is required"}})
                    return
                if "(" in text:
                    self._reply(400, {"error": {"message": f"syntax error at 1: {text!r}"}})
                    return
                size = int(args.get("size", 3))
                start = int(args.get("from", 0))
                self._reply(200, search(text, size, start))

            do_GET = do_POST = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
