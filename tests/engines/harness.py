"""The common part of the engine harnesses: real JVMs from Maven Central jars, and small HTTP servers.

A test engine is a tiny Maven project (``tests/engines/<name>/pom.xml`` + a launcher class) that is
never *built* by Maven: ``mvn dependency:build-classpath`` resolves the jars into ``~/.m2`` (the normal
Maven cache) and writes the classpath, ``javac`` compiles the launcher, and both results are cached
under ``tests/engines/.cache/<name>-<hash of pom and sources>/``. A warm start is then a bare
``java -cp CLASSES:JARS Launcher PORT DIR`` on a free loopback port.

Without java, javac or mvn — or when Maven cannot reach Maven Central — the engine tests go through
``service_missing`` (a skip on a laptop, a failure in CI). A JVM's stdout/stderr go to a log file
whose tail is quoted in every start error.

The second half holds the HTTP servers the conformance suite puts in front of (or instead of) a real
engine: a reverse proxy that demands basic auth and a header, and a server that answers with faults.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from searchbench.domain.search import EndpointConfig
from searchbench.testing import service_missing

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
START_TIMEOUT = float(os.environ.get("SEARCHBENCH_TEST_ENGINE_START_TIMEOUT", "180"))
HEAP = "-Xmx512m"
# Phrases in Maven's output that mean "no network", as opposed to a broken pom.
_OFFLINE_HINTS = ("Could not transfer", "Unknown host", "Network is unreachable", "offline mode")


class HarnessError(RuntimeError):
    """An engine could not be prepared or started; the message quotes the log tail."""


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the engine binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class JavaProject:
    """A pom + launcher sources; classpath and classes are cached by their content hash."""

    name: str
    directory: Path
    main_class: str

    def sources(self) -> list[Path]:
        return sorted((self.directory / "src" / "main" / "java").rglob("*.java"))

    def key(self) -> str:
        digest = hashlib.sha256()
        for path in [self.directory / "pom.xml", *self.sources()]:
            digest.update(path.relative_to(self.directory).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def cache_dir(self) -> Path:
        return CACHE / f"{self.name}-{self.key()}"

    def prepare(self) -> tuple[str, bool]:
        """The full classpath (classes first) and whether it had to be built (a cold start)."""
        for tool in ("java", "javac", "mvn"):
            if shutil.which(tool) is None:
                service_missing(
                    f"{tool} not found: the {self.name} test engine needs Java 17 and Maven"
                )
        target = self.cache_dir()
        classpath_file = target / "classpath.txt"
        classes = target / "classes"
        done = classes / ".done"
        if classpath_file.is_file() and done.is_file():
            return f"{classes}{os.pathsep}{classpath_file.read_text().strip()}", False
        _ensure_cache()
        target.mkdir(parents=True, exist_ok=True)
        resolve = _run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(self.directory / "pom.xml"),
                "dependency:build-classpath",
                f"-Dmdep.outputFile={classpath_file}",
            ],
        )
        if resolve.returncode != 0:
            output = (resolve.stdout + resolve.stderr)[-3000:]
            if any(hint in output for hint in _OFFLINE_HINTS):
                service_missing(f"Maven cannot download the {self.name} jars (offline?):\n{output}")
            raise HarnessError(f"resolving the {self.name} jars failed:\n{output}")
        jars = classpath_file.read_text().strip()
        shutil.rmtree(classes, ignore_errors=True)
        compiled = _run(
            [
                "javac",
                "-nowarn",
                "--release",
                "17",
                "-cp",
                jars,
                "-d",
                str(classes),
                *map(str, self.sources()),
            ],
        )
        if compiled.returncode != 0:
            raise HarnessError(
                f"compiling the {self.name} launcher failed:\n{compiled.stderr[-3000:]}"
            )
        done.write_text("ok\n")
        return f"{classes}{os.pathsep}{jars}", True


@dataclass
class EngineNode:
    """A running engine JVM."""

    name: str
    url: str  # base URL of the engine, e.g. http://127.0.0.1:PORT/solr
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    cold: bool
    start_seconds: float = 0.0
    notes: dict[str, object] = field(default_factory=dict)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 30.0) -> None:
        if self.process.poll() is not None:
            return
        # SIGTERM runs the launcher's shutdown hook, which closes the engine cleanly.
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        if self.process.stdin:
            self.process.stdin.close()


def start_jvm(
    project: JavaProject,
    args: list[str],
    *,
    port: int,
    url: str,
    log_path: Path,
    ready: Callable[[httpx.Client], bool],
    jvm_options: tuple[str, ...] = (),
    timeout: float = START_TIMEOUT,
) -> EngineNode:
    """Start ``project``'s launcher and wait (bounded) until ``ready`` says the engine answers.

    The child's stdin is a pipe we never write to: the launchers exit when it closes, so an engine
    does not outlive a pytest that was killed.
    """
    began = time.monotonic()
    classpath, cold = project.prepare()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                "java",
                "-Xms128m",
                HEAP,
                "-XX:+UseSerialGC",
                "-Djava.awt.headless=true",
                "-Dlog4j2.disable.jmx=true",
                *jvm_options,
                "-cp",
                classpath,
                project.main_class,
                *args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE,
        )
    node = EngineNode(project.name, url, port, process, log_path, cold)
    deadline = began + timeout
    try:
        with httpx.Client(timeout=5) as client:
            while True:
                if process.poll() is not None:
                    raise HarnessError(
                        f"{project.name} exited with status {process.returncode} before answering "
                        f"on {url}; last lines of {log_path}:\n{node.log_tail()}"
                    )
                try:
                    if ready(client):
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise HarnessError(
                        f"{project.name} did not answer on {url} within {timeout:.0f}s; "
                        f"last lines of {log_path}:\n{node.log_tail()}"
                    )
                time.sleep(0.2)
    except BaseException:
        node.stop()
        raise
    node.start_seconds = time.monotonic() - began
    return node


def read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None


def cranfield_docs(shared_data: Path) -> list[dict[str, object]]:
    """The 1,400 Cranfield documents plus a synthetic ``thumb`` path (for the thumbnail tests)."""
    path = shared_data / "cranfield" / "docs.jsonl"
    if not path.is_file():
        service_missing(f"Cranfield documents not found at {path}")
    return [{**doc, "thumb": f"thumbs/{doc['id']}.png"} for doc in read_jsonl(path)]


def _ensure_cache() -> None:
    # Machine-local (absolute jar paths): the cache ignores itself so nothing in it is committed.
    CACHE.mkdir(parents=True, exist_ok=True)
    ignore = CACHE / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


# --- HTTP servers used by the conformance suite -------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class LocalServer:
    """A threaded HTTP server on a free loopback port; use as a context manager."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = _Server(("127.0.0.1", 0), handler)
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# Each fault is chosen by the first path segment, so one server covers them all:
# endpoint URL http://127.0.0.1:PORT/<fault>/solr/cranfield.
FAULTS: dict[str, tuple[int, str, bytes]] = {
    "http500": (500, "text/plain", b"Internal Server Error: the index is on fire"),
    "http503": (503, "application/json", b'{"error": "node is shutting down"}'),
    "html": (
        200,
        "text/html; charset=utf-8",
        b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
        b"<body><h1>Bad Gateway</h1><p>nginx</p></body></html>",
    ),
    "badjson": (200, "application/json", b'{"response": {"numFound": 3, "docs": [{"id": "1"'),
    "wrongshape": (200, "application/json", b'["not", "what", "a", "search", "engine", "says"]'),
}
SLOW_SECONDS = 3.0


class FaultyServer(LocalServer):
    """Answers every request with the fault named by the first path segment (see FAULTS), or
    ``slow``: sleeps SLOW_SECONDS before answering (for timeout tests)."""

    def __init__(self) -> None:
        outer = self
        self.requests: list[str] = []

        class Handler(QuietHandler):
            def _fault(self) -> None:
                self._body()
                outer.requests.append(self.path)
                name = self.path.lstrip("/").split("/", 1)[0]
                if name == "slow":
                    time.sleep(SLOW_SECONDS)
                    self._send(200, b"{}", "application/json")
                    return
                status, content_type, body = FAULTS.get(name, (404, "text/plain", b"no such fault"))
                self._send(status, body, content_type)

            do_GET = do_POST = _fault

        super().__init__(Handler)


class AuthProxy(LocalServer):
    """A reverse proxy to ``upstream`` that answers 401 unless the request carries basic auth
    ``user:password`` and header ``header_name: header_value`` — proof that an endpoint's
    credentials and custom headers reach the engine."""

    def __init__(
        self, upstream: str, user: str, password: str, header_name: str, header_value: str
    ) -> None:
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        outer = self
        self.seen: list[dict[str, str]] = []
        self.client = httpx.Client(base_url=upstream.rstrip("/"), timeout=30)

        class Handler(QuietHandler):
            def _proxy(self) -> None:
                body = self._body()
                outer.seen.append({k.lower(): v for k, v in self.headers.items()})
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="searchbench-test"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.headers.get(header_name) != header_value:
                    self._send(403, f"missing header {header_name}".encode(), "text/plain")
                    return
                forwarded = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "authorization", "content-length", "connection")
                }
                answer = outer.client.request(
                    self.command, self.path, content=body or None, headers=forwarded
                )
                self._send(
                    answer.status_code,
                    answer.content,
                    answer.headers.get("content-type", "application/octet-stream"),
                )

            do_GET = do_POST = _proxy

        super().__init__(Handler)

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self.client.close()


# --- What a harness hands to the conformance suite ----------------------------------------------

# The named searches every engine target spells in its own query language. The conformance suite
# only ever refers to these roles, so a new engine joins by writing its templates once.
TEMPLATE_ROLES: dict[str, str] = {
    "bm25": "#$query## with every word optional, matched in title and body with BM25, the "
    "per-field scores summed (Solr edismax tie=1, ES/OS multi_match most_fields, tantivy's default)",
    "keyword": "only #$keyword1## (the first word of the query), in title and body",
    "option": "#$query## in the single field named by the query option #$qOption.field##",
    "curator": "#$query## in title^##title_boost## and body (curator variable title_boost)",
    "bad": "a template that renders to a query the engine itself rejects as a syntax error when "
    "the query text is 'wing' (e.g. an unbalanced parenthesis)",
}
# The field spec the suite uses: id, title, a highlighted body, author, and a relative thumbnail
# path completed by a prefix (the fixtures index a synthetic ``thumb`` field).
THUMB_PREFIX = "https://img.example/"
FIELD_SPEC = (
    "id:id title:title hl:body author "
    '{"name": "thumb", "type": "thumb", "prefix": "' + THUMB_PREFIX + '"}'
)


@dataclass
class EngineTarget:
    """An engine that is up, with Cranfield indexed, as the conformance suite sees it."""

    name: str
    endpoint: EndpointConfig
    templates: dict[str, str]  # TEMPLATE_ROLES -> this engine's template
    bad_query_error: str  # a fragment of the engine's own message for the "bad" template
    node: EngineNode | None = None  # None for in-process engines
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def http(self) -> bool:
        return self.endpoint.url.startswith(("http://", "https://"))

    def endpoint_at(self, base: str, **changes: Any) -> EndpointConfig:
        """This endpoint moved to another server ``base`` (scheme://host:port[/prefix]), same path:
        the way the suite points an adapter at a faulty server or an auth proxy."""
        parts = urlsplit(self.endpoint.url)
        return dataclasses.replace(self.endpoint, url=base.rstrip("/") + parts.path, **changes)

    def missing_roles(self) -> list[str]:
        return sorted(set(TEMPLATE_ROLES) - set(self.templates))


@dataclass
class HarnessContext:
    """What a harness factory gets: a scratch directory of its own and the shared test data."""

    work_dir: Path
    shared_data: Path


HarnessFactory = Callable[[HarnessContext], Iterator[EngineTarget]]

# What the suite measured per engine (start times, Cranfield scores), printed at the end of the run
# by conftest's terminal summary: engine name -> facts.
REPORT: dict[str, dict[str, object]] = {}
