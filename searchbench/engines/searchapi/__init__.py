"""JSON search API engine (Quepid's "searchapi"): JMESPath or JS mappers over any JSON endpoint."""

from searchbench.engines.searchapi.engine import OPTIONS, Mapper, SearchApiEngine

__all__ = ["OPTIONS", "Mapper", "SearchApiEngine"]
