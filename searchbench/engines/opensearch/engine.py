"""OpenSearch: the Elasticsearch adapter under its own name (same _search API and explain)."""

from __future__ import annotations

from typing import ClassVar

from searchbench.engines.elasticsearch.engine import ElasticsearchEngine


class OpenSearchEngine(ElasticsearchEngine):
    kind = "opensearch"
    product: ClassVar[str] = "OpenSearch"
