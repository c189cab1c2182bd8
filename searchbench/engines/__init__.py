"""Search engines behind one narrow interface (see base.py) and one registry table."""

from searchbench.engines.base import (
    EndpointConfig,
    Engine,
    EngineError,
    ExplainNode,
    PingResult,
    QueryContext,
    ResultDoc,
    SearchResult,
    TryConfig,
)
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
