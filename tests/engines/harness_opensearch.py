"""A real OpenSearch 2.19.6 node (and Elasticsearch 7.10.2, the same way) with Cranfield indexed.

``tests/engines/opensearch/`` holds the pom and a launcher that hands the netty4, analysis-common and
painless plugin classes to OpenSearch's protected ``Node`` constructor (what a distribution loads
from ``modules/``); ``tests/engines/elasticsearch/`` is the same for Elasticsearch. Classpath caching
and JVM start/stop come from :mod:`tests.engines.harness`. Documents go in through the bulk API.

The node also enforces HTTP basic auth on paths under ``/secured-`` (Cranfield is reachable there as
the alias ``secured-cranfield``) and refuses wrong credentials everywhere, like a secured cluster
with anonymous read access to some indexes.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from searchbench.domain.search import EndpointConfig
from tests.engines.harness import (
    HERE,
    EngineNode,
    EngineTarget,
    HarnessContext,
    HarnessError,
    JavaProject,
    cranfield_docs,
    free_port,
    start_jvm,
)

OPENSEARCH_VERSION = "2.19.6"
ELASTICSEARCH_VERSION = "7.10.2"
BASIC_AUTH = ("searchbench", "s3cret-pass")
SECURED_PREFIX = "secured-"
CRANFIELD_INDEX = "cranfield"

# The schema of the Solr core and the local index: id, title, author, body with the English
# analyzer (possessives, stop words, Porter stemming); bib and thumb stored, not searched.
CRANFIELD_INDEX_BODY: dict[str, object] = {
    # One shard: BM25 statistics then cover the whole collection, as in Solr and tantivy.
    "settings": {"number_of_shards": 1, "number_of_replicas": 0},
    "mappings": {
        "dynamic": "strict",
        "properties": {
            "id": {"type": "keyword"},
            "title": {"type": "text", "analyzer": "english"},
            "author": {"type": "text", "analyzer": "english"},
            "body": {"type": "text", "analyzer": "english"},
            "bib": {"type": "keyword", "index": False},
            "thumb": {"type": "keyword", "index": False},
        },
    },
}

# most_fields sums the per-field BM25 scores of each word, like Solr edismax tie=1 and tantivy.
TEMPLATES: dict[str, str] = {
    "bm25": '{"query": {"multi_match": {"query": "#$query##", "type": "most_fields", '
    '"fields": ["title", "body"]}}}',
    "keyword": '{"query": {"multi_match": {"query": "#$keyword1##", "type": "most_fields", '
    '"fields": ["title", "body"]}}}',
    "option": '{"query": {"multi_match": {"query": "#$query##", "fields": ["#$qOption.field##"]}}}',
    "curator": '{"query": {"multi_match": {"query": "#$query##", "type": "most_fields", '
    '"fields": ["title^##title_boost##", "body"]}}}',
    "bad": '{"query": {"query_string": {"query": "title:(#$query##"}}}',
}
BAD_QUERY_ERROR = "Failed to parse query"


def opensearch_project() -> JavaProject:
    return JavaProject("opensearch", HERE / "opensearch", "searchbench.harness.OpenSearchLauncher")


def elasticsearch_project() -> JavaProject:
    return JavaProject(
        "elasticsearch", HERE / "elasticsearch", "searchbench.harness.ElasticsearchLauncher"
    )


def start_node(
    project: JavaProject, work_dir: Path, *, auth: tuple[str, str] | None = BASIC_AUTH
) -> EngineNode:
    """Start the node on a free loopback port; wait until the cluster is at least yellow."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [str(port), str(work_dir / "node")]
    if auth:
        args += [f"{auth[0]}:{auth[1]}", SECURED_PREFIX]

    def ready(client: httpx.Client) -> bool:
        health = client.get(
            f"{url}/_cluster/health", params={"wait_for_status": "yellow", "timeout": "1s"}
        )
        return health.status_code == 200

    return start_jvm(
        project, args, port=port, url=url, log_path=work_dir / f"{project.name}.log", ready=ready
    )


def index_documents(
    url: str,
    index: str,
    docs: Iterable[dict[str, object]],
    body: dict[str, object] = CRANFIELD_INDEX_BODY,
    *,
    batch: int = 500,
    aliases: Iterable[str] = (),
) -> int:
    """(Re)create ``index`` and bulk-load ``docs`` (``_id`` = ``id``); returns the indexed count."""
    with httpx.Client(base_url=url, timeout=120) as client:
        client.delete(f"/{index}", params={"ignore_unavailable": "true"})
        _check(client.put(f"/{index}", json=body), f"creating index {index}")
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
                raise HarnessError(f"bulk-loading {index}: {len(failed)} failed, e.g. {failed[0]}")
            chunk.clear()

        for doc in docs:
            action = {"index": {"_index": index, "_id": str(doc["id"])}}
            chunk.append(json.dumps(action) + "\n" + json.dumps(doc) + "\n")
            if len(chunk) >= batch:
                flush()
        flush()
        _check(client.post(f"/{index}/_refresh"), f"refreshing {index}")
        for alias in aliases:
            _check(client.put(f"/{index}/_alias/{alias}"), f"adding alias {alias}")
        count = client.get(f"/{index}/_count")
        _check(count, f"counting {index}")
        return int(count.json()["count"])


@contextmanager
def node_with_cranfield(
    project: JavaProject, work_dir: Path, shared_data: Path
) -> Iterator[EngineNode]:
    """A started node with Cranfield in ``cranfield`` (+ alias ``secured-cranfield``); stopped after."""
    docs = cranfield_docs(shared_data)
    node = start_node(project, work_dir)
    try:
        began = time.monotonic()
        node.notes["documents"] = index_documents(
            node.url, CRANFIELD_INDEX, docs, aliases=[SECURED_PREFIX + CRANFIELD_INDEX]
        )
        node.notes["index_seconds"] = round(time.monotonic() - began, 2)
        yield node
    finally:
        node.stop()


# Nodes in use by this test session, by project name: the node tests, the opensearch target and
# the searchapi target (which fronts OpenSearch) then share one JVM instead of starting three.
# Nothing writes to a node after indexing, so sharing cannot couple the tests.
_SHARED: dict[str, tuple[EngineNode, int, ExitStack]] = {}
_SHARED_LOCK = threading.Lock()


@contextmanager
def shared_node(project: JavaProject, work_dir: Path, shared_data: Path) -> Iterator[EngineNode]:
    """``node_with_cranfield``, reusing a live node of the same project; the last user stops it."""
    with _SHARED_LOCK:
        entry = _SHARED.get(project.name)
        if entry is not None and entry[0].alive():
            node, users, stack = entry
        else:
            stack = ExitStack()
            node = stack.enter_context(node_with_cranfield(project, work_dir, shared_data))
            users = 0
        _SHARED[project.name] = (node, users + 1, stack)
    try:
        yield node
    finally:
        with _SHARED_LOCK:
            node, users, stack = _SHARED[project.name]
            if users > 1:
                _SHARED[project.name] = (node, users - 1, stack)
            else:
                del _SHARED[project.name]
                stack.close()


def _target(
    kind: str, version: str, project: JavaProject, ctx: HarnessContext
) -> Iterator[EngineTarget]:
    with shared_node(project, ctx.work_dir, ctx.shared_data) as node:
        yield EngineTarget(
            name=kind,
            endpoint=EndpointConfig(kind=kind, url=f"{node.url}/{CRANFIELD_INDEX}", timeout=30.0),
            templates=dict(TEMPLATES),
            bad_query_error=BAD_QUERY_ERROR,
            node=node,
            notes={
                "version": version,
                **node.notes,
                "start_seconds": round(node.start_seconds, 2),
                "cold": node.cold,
            },
        )


def opensearch_target(ctx: HarnessContext) -> Iterator[EngineTarget]:
    """The conformance suite's view of a fresh OpenSearch node with Cranfield."""
    yield from _target("opensearch", OPENSEARCH_VERSION, opensearch_project(), ctx)


def elasticsearch_target(ctx: HarnessContext) -> Iterator[EngineTarget]:
    """The conformance suite's view of a fresh Elasticsearch 7.10.2 node with Cranfield."""
    yield from _target("elasticsearch", ELASTICSEARCH_VERSION, elasticsearch_project(), ctx)


def _node_fixture(project: JavaProject, work_dir: Path, shared_data: Path) -> Iterator[EngineNode]:
    try:
        with shared_node(project, work_dir, shared_data) as node:
            yield node
    except HarnessError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def opensearch_node(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[EngineNode]:
    """A bare OpenSearch node with Cranfield, for tests of the node itself."""
    yield from _node_fixture(
        opensearch_project(), tmp_path_factory.mktemp("opensearch"), shared_data
    )


@pytest.fixture(scope="session")
def elasticsearch_node(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[EngineNode]:
    """A bare Elasticsearch node with Cranfield, for tests of the node itself."""
    yield from _node_fixture(
        elasticsearch_project(), tmp_path_factory.mktemp("elasticsearch"), shared_data
    )


def _check(response: httpx.Response, doing: str) -> None:
    if response.status_code >= 300:
        raise HarnessError(f"{doing}: HTTP {response.status_code}: {response.text[:800]}")
