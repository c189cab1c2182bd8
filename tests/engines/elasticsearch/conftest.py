"""Fixtures of the Elasticsearch node tests."""

from tests.engines.harness_opensearch import elasticsearch_node

__all__ = ["elasticsearch_node"]
