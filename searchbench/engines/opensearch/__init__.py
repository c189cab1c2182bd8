"""OpenSearch adapter."""

from searchbench.engines.opensearch.engine import OpenSearchEngine

__all__ = ["OpenSearchEngine"]
