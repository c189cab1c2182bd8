"""Start a real OpenSearch (or Elasticsearch) node from Maven Central jars, index Cranfield, stop it.

The Java side lives in ``tests/engines/opensearch/`` (a pom plus a launcher). We never run a Maven
build: ``mvn dependency:build-classpath`` resolves the jars into ``~/.m2`` and writes the classpath,
``javac`` compiles the launcher, and both results are cached under ``tests/engines/.cache/`` keyed by
the hash of the pom and the Java sources, so a warm start is a bare ``java -cp … Launcher PORT DIR``.

Without java/javac/mvn every engine test goes through ``service_missing`` (a skip on a laptop, a
failure in CI). The node's stdout/stderr go to ``<data dir>/node.log``, quoted in any start error.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from searchbench.testing import service_missing

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
OPENSEARCH_PROJECT = HERE / "opensearch"
OPENSEARCH_MAIN = "searchbench.harness.OpenSearchLauncher"

# Credentials the test node demands for index paths starting with SECURED_PREFIX (and refuses
# everywhere when wrong): lets the conformance suite prove that endpoint basic auth reaches the engine.
BASIC_AUTH = ("searchbench", "s3cret-pass")
SECURED_PREFIX = "secured-"
CRANFIELD_INDEX = "cranfield"

START_TIMEOUT = float(os.environ.get("SEARCHBENCH_TEST_ENGINE_START_TIMEOUT", "180"))
HEAP = "-Xmx512m"

# Same schema as the Solr core and the local engine: id, title, author, body with English analysis
# (stop words, possessives, Porter stemming), bib stored but not searched.
CRANFIELD_INDEX_BODY: dict[str, object] = {
    "settings": {
        "number_of_shards": 1,
        # One shard: BM25 statistics then cover the whole collection, as in Solr and tantivy.
        "number_of_replicas": 0,
    },
    "mappings": {
        "dynamic": "strict",
        "properties": {
            "id": {"type": "keyword"},
            "title": {"type": "text", "analyzer": "english"},
            "author": {"type": "text", "analyzer": "english"},
            "body": {"type": "text", "analyzer": "english"},
            "bib": {"type": "keyword", "index": False},
        },
    },
}


@dataclass
class JavaProject:
    """A pom + launcher sources whose classpath and classes are cached by content hash."""

    name: str
    directory: Path
    main_class: str
    java: str = "java"
    javac: str = "javac"

    def key(self) -> str:
        digest = hashlib.sha256()
        for path in sorted([self.directory / "pom.xml", *self.sources()]):
            digest.update(path.relative_to(self.directory).as_posix().encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def sources(self) -> list[Path]:
        return sorted((self.directory / "src" / "main" / "java").rglob("*.java"))

    def cache_dir(self) -> Path:
        return CACHE / f"{self.name}-{self.key()}"

    def prepare(self) -> tuple[str, bool]:
        """The full classpath (classes first); True when it had to be built (a cold start)."""
        for tool in (self.java, self.javac, "mvn"):
            if shutil.which(tool) is None:
                service_missing(
                    f"{tool} not found: the {self.name} test node needs Java 17 and Maven"
                )
        target = self.cache_dir()
        classpath_file = target / "classpath.txt"
        classes = target / "classes"
        if classpath_file.is_file() and (classes / ".done").is_file():
            return f"{classes}{os.pathsep}{classpath_file.read_text().strip()}", False
        _ensure_cache_dir()
        target.mkdir(parents=True, exist_ok=True)
        _run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(self.directory / "pom.xml"),
                "dependency:build-classpath",
                f"-Dmdep.outputFile={classpath_file}",
            ],
            f"resolving the {self.name} jars from Maven Central",
        )
        jars = classpath_file.read_text().strip()
        shutil.rmtree(classes, ignore_errors=True)
        _run(
            [
                self.javac,
                "-nowarn",
                "--release",
                "17",
                "-cp",
                jars,
                "-d",
                str(classes),
                *map(str, self.sources()),
            ],
            f"compiling the {self.name} launcher",
        )
        (classes / ".done").write_text("ok\n")
        return f"{classes}{os.pathsep}{jars}", True


@dataclass
class EngineNode:
    """A running engine process."""

    name: str
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    start_seconds: float
    cold: bool
    auth: tuple[str, str] | None = None
    notes: dict[str, object] = field(default_factory=dict)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 30.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()  # SIGTERM runs the launcher's shutdown hook: node.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def opensearch_project() -> JavaProject:
    return JavaProject("opensearch", OPENSEARCH_PROJECT, OPENSEARCH_MAIN)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_node(
    project: JavaProject,
    data_dir: Path,
    *,
    auth: tuple[str, str] | None = BASIC_AUTH,
    secured_prefix: str = SECURED_PREFIX,
) -> EngineNode:
    """Start the project's launcher on a free loopback port and wait until HTTP answers."""
    began = time.monotonic()
    classpath, cold = project.prepare()
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "node.log"
    args = [str(port), str(data_dir)]
    if auth:
        args += [f"{auth[0]}:{auth[1]}", secured_prefix]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                project.java,
                "-Xms256m",
                HEAP,
                "-XX:+UseSerialGC",
                "-Djava.awt.headless=true",
                "-Dlog4j2.disable.jmx=true",
                "-cp",
                classpath,
                project.main_class,
                *args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    node = EngineNode(
        project.name, f"http://127.0.0.1:{port}", port, process, log_path, 0.0, cold, auth
    )
    try:
        _wait_until_up(node, began + START_TIMEOUT)
    except BaseException:
        node.stop()
        raise
    node.start_seconds = time.monotonic() - began
    return node


def _wait_until_up(node: EngineNode, deadline: float) -> None:
    while True:
        if node.process.poll() is not None:
            raise RuntimeError(
                f"{node.name} exited with status {node.process.returncode} before answering on "
                f"{node.url}; last lines of {node.log_path}:\n{node.log_tail()}"
            )
        try:
            response = httpx.get(
                f"{node.url}/_cluster/health",
                params={"wait_for_status": "yellow", "timeout": "1s"},
                timeout=5,
            )
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{node.name} did not answer on {node.url} within {START_TIMEOUT:.0f}s; "
                f"last lines of {node.log_path}:\n{node.log_tail()}"
            )
        time.sleep(0.25)


def read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None


def index_documents(
    url: str,
    index: str,
    docs: Iterable[dict[str, object]],
    body: dict[str, object] = CRANFIELD_INDEX_BODY,
    *,
    batch: int = 500,
    aliases: Iterable[str] = (),
) -> int:
    """(Re)create ``index`` with ``body`` and bulk-load ``docs`` (``_id`` = ``id``); returns the count."""
    with httpx.Client(base_url=url, timeout=60) as client:
        client.delete(f"/{index}", params={"ignore_unavailable": "true"})
        _check(client.put(f"/{index}", json=body), f"creating index {index}")
        count = 0
        chunk: list[str] = []

        def flush() -> None:
            if not chunk:
                return
            response = client.post(
                "/_bulk",
                content="".join(chunk).encode(),
                headers={"Content-Type": "application/x-ndjson"},
            )
            _check(response, f"bulk-loading {index}")
            result = response.json()
            if result.get("errors"):
                failed = [i for i in result["items"] if next(iter(i.values())).get("error")]
                raise RuntimeError(
                    f"bulk-loading {index}: {len(failed)} failed, first: {failed[0]}"
                )
            chunk.clear()

        for doc in docs:
            action = {"index": {"_index": index, "_id": str(doc["id"])}}
            chunk.append(json.dumps(action) + "\n" + json.dumps(doc) + "\n")
            count += 1
            if len(chunk) >= batch:
                flush()
        flush()
        _check(client.post(f"/{index}/_refresh"), f"refreshing {index}")
        for alias in aliases:
            _check(client.put(f"/{index}/_alias/{alias}"), f"adding alias {alias}")
        return count


def index_cranfield(url: str, shared_data: Path, index: str = CRANFIELD_INDEX) -> int:
    docs = shared_data / "cranfield" / "docs.jsonl"
    if not docs.is_file():
        service_missing(f"Cranfield documents not found at {docs}")
    return index_documents(url, index, read_jsonl(docs), aliases=[SECURED_PREFIX + index])


def _check(response: httpx.Response, doing: str) -> None:
    if response.status_code >= 300:
        raise RuntimeError(f"{doing}: HTTP {response.status_code}: {response.text[:500]}")


def _ensure_cache_dir() -> None:
    # The cache holds jars' classpath and compiled classes for this machine only; it ignores itself
    # so nothing in it is ever committed, whatever the repository's .gitignore says.
    CACHE.mkdir(parents=True, exist_ok=True)
    ignore = CACHE / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")


def _run(command: list[str], doing: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-3000:]
        raise RuntimeError(
            f"{doing} failed (exit {result.returncode}): {' '.join(command[:4])} …\n{output}"
        )


@pytest.fixture(scope="session")
def opensearch_node(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[EngineNode]:
    """A real OpenSearch 2.19 node with Cranfield in index ``cranfield`` (alias ``secured-cranfield``)."""
    try:
        node = start_node(opensearch_project(), tmp_path_factory.mktemp("opensearch"))
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        began = time.monotonic()
        node.notes["documents"] = index_cranfield(node.url, shared_data)
        node.notes["index_seconds"] = round(time.monotonic() - began, 2)
        yield node
    finally:
        node.stop()
