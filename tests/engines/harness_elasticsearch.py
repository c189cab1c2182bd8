"""Start a real Elasticsearch 7.10.2 node (the last Apache-2.0 release) the same way as OpenSearch.

``tests/engines/elasticsearch/`` holds the pom and the launcher; classpath caching, start/stop and
Cranfield indexing are shared with :mod:`tests.engines.harness_opensearch`. The node runs on the
machine's Java 17 with the official server and netty4 jars from Maven Central and the unmodified
analysis-common and lang-painless module jars republished by org.codelibs (Elastic never published
the modules themselves).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engines.harness_opensearch import (
    HERE,
    EngineNode,
    JavaProject,
    index_cranfield,
    start_node,
)

ELASTICSEARCH_PROJECT = HERE / "elasticsearch"
ELASTICSEARCH_MAIN = "searchbench.harness.ElasticsearchLauncher"


def elasticsearch_project() -> JavaProject:
    return JavaProject("elasticsearch", ELASTICSEARCH_PROJECT, ELASTICSEARCH_MAIN)


@pytest.fixture(scope="session")
def elasticsearch_node(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[EngineNode]:
    """A real Elasticsearch 7.10.2 node with Cranfield in ``cranfield`` (alias ``secured-cranfield``)."""
    try:
        node = start_node(elasticsearch_project(), tmp_path_factory.mktemp("elasticsearch"))
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        began = time.monotonic()
        node.notes["documents"] = index_cranfield(node.url, shared_data)
        node.notes["index_seconds"] = round(time.monotonic() - began, 2)
        yield node
    finally:
        node.stop()
