"""Search engines behind one narrow interface (see base.py) and one registry table."""

from searchbench.domain.search import (
    EndpointConfig,
    ExplainNode,
    PingResult,
    QueryContext,
    ResultDoc,
    SearchResult,
    TryConfig,
)
from searchbench.engines.base import Engine, EngineError
from searchbench.engines.registry import ENGINES, EngineKind, make_engine

__all__ = [
    "ENGINES",
    "EndpointConfig",
    "Engine",
    "EngineError",
    "EngineKind",
    "ExplainNode",
    "PingResult",
    "QueryContext",
    "ResultDoc",
    "SearchResult",
    "TryConfig",
    "make_engine",
]
