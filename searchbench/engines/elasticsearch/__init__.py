"""Elasticsearch adapter (OpenSearch shares it)."""

from searchbench.engines.elasticsearch.engine import ElasticsearchEngine, es_error_message

__all__ = ["ElasticsearchEngine", "es_error_message"]
