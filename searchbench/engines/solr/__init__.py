"""Apache Solr adapter."""

from searchbench.engines.solr.engine import SolrEngine

__all__ = ["SolrEngine"]
