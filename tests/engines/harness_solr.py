"""A real Solr 9.10.1 node (``JettySolrRunner``, real HTTP on 127.0.0.1) with the Cranfield core.

``tests/engines/solr/`` holds the pom (``solr-test-framework`` for ``JettySolrRunner``), the launcher
and a solr home whose ``cranfield`` core has the schema we ship (id, title, author, body as English
text, BM25). The home is copied into a temporary directory per node, so the index never lands in
the repository. Documents go in through Solr's JSON update API.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from searchbench.domain.search import EndpointConfig
from tests.engines.harness import (
    EngineNode,
    EngineTarget,
    HarnessContext,
    HarnessError,
    JavaProject,
    cranfield_docs,
    free_port,
    start_jvm,
)

SOLR_PROJECT = Path(__file__).resolve().parent / "solr"
SOLR_MAIN = "searchbench.harness.SolrLauncher"
SOLR_VERSION = "9.10.1"
CORE = "cranfield"


def solr_project() -> JavaProject:
    return JavaProject("solr", SOLR_PROJECT, SOLR_MAIN)


def start_solr(work_dir: Path) -> EngineNode:
    """Start Solr on a free loopback port with an empty ``cranfield`` core; wait until it pings."""
    home = work_dir / "home"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(SOLR_PROJECT / "home", home)
    port = free_port()
    url = f"http://127.0.0.1:{port}/solr"

    def ready(client: httpx.Client) -> bool:
        return client.get(f"{url}/{CORE}/admin/ping", params={"wt": "json"}).status_code == 200

    return start_jvm(
        solr_project(),
        [str(port), str(home)],
        port=port,
        url=url,
        log_path=work_dir / "solr.log",
        ready=ready,
        jvm_options=(
            f"-Dsolr.log.dir={work_dir}",
            f"-Dlog4j2.configurationFile={SOLR_PROJECT / 'log4j2.xml'}",
        ),
    )


def index_documents(core_url: str, docs: list[dict[str, object]], batch: int = 500) -> int:
    """Replace the core's documents with ``docs`` and commit; returns the number indexed."""
    with httpx.Client(timeout=120) as client:
        _check(
            client.post(
                f"{core_url}/update", params={"commit": "true"}, json={"delete": {"query": "*:*"}}
            ),
            "clearing the core",
        )
        for offset in range(0, len(docs), batch):
            _check(
                client.post(f"{core_url}/update", json=docs[offset : offset + batch]),
                f"indexing documents {offset + 1}-{offset + batch}",
            )
        _check(
            client.post(f"{core_url}/update", params={"commit": "true"}, json={"commit": {}}),
            "committing",
        )
        found = client.get(f"{core_url}/select", params={"q": "*:*", "rows": 0, "wt": "json"})
        _check(found, "counting documents")
        return int(found.json()["response"]["numFound"])


def _check(response: httpx.Response, doing: str) -> None:
    if response.status_code >= 300:
        raise HarnessError(f"Solr: {doing}: HTTP {response.status_code}: {response.text[:800]}")


@contextmanager
def solr_with_cranfield(work_dir: Path, shared_data: Path) -> Iterator[EngineNode]:
    """A started Solr with Cranfield indexed; stops it when the generator is closed."""
    docs = cranfield_docs(shared_data)
    node = start_solr(work_dir)
    try:
        began = time.monotonic()
        node.notes["core_url"] = f"{node.url}/{CORE}"
        node.notes["documents"] = index_documents(f"{node.url}/{CORE}", docs)
        node.notes["index_seconds"] = round(time.monotonic() - began, 2)
        yield node
    finally:
        node.stop()


SOLR_TEMPLATES: dict[str, str] = {
    # tie=1.0 makes edismax add the title and body scores of a word, as tantivy and most_fields do.
    "bm25": "q=#$query##&defType=edismax&q.op=OR&qf=title body&tie=1.0",
    "keyword": "q=#$keyword1##&defType=edismax&qf=title body&tie=1.0",
    "option": "q=#$query##&defType=edismax&q.op=OR&qf=#$qOption.field##",
    "curator": "q=#$query##&defType=edismax&q.op=OR&qf=title^##title_boost## body&tie=1.0",
    "bad": "q=title:(#$query##&defType=lucene",
}


def solr_target(ctx: HarnessContext) -> Iterator[EngineTarget]:
    """The conformance suite's view of a fresh Solr node with Cranfield in core ``cranfield``."""
    with solr_with_cranfield(ctx.work_dir, ctx.shared_data) as node:
        endpoint = EndpointConfig(kind="solr", url=str(node.notes["core_url"]), timeout=30.0)
        yield EngineTarget(
            name="solr",
            endpoint=endpoint,
            templates=dict(SOLR_TEMPLATES),
            bad_query_error="Cannot parse",
            node=node,
            notes={
                "version": SOLR_VERSION,
                **node.notes,
                "start_seconds": round(node.start_seconds, 2),
                "cold": node.cold,
            },
        )
