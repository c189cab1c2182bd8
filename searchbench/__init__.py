"""searchbench: a search-relevance workbench."""

__version__ = "0.1.0"
