"""Fixtures of the Elasticsearch node tests (the conformance suite imports the same ones)."""

from tests.engines.harness_elasticsearch import elasticsearch_node

__all__ = ["elasticsearch_node"]
