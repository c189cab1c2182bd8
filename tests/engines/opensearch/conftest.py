"""Fixtures of the OpenSearch node tests (the conformance suite imports the same ones)."""

from tests.engines.harness_opensearch import opensearch_node

__all__ = ["opensearch_node"]
