"""The search vocabulary: what a case asks an engine and what comes back.

Pure data, no Django and no engine: case files build ``EndpointConfig`` and ``TryConfig``
directly, engines (``searchbench.engines``) take them and answer ``SearchResult`` with
``ResultDoc`` rows and ``ExplainNode`` trees, and the explain analysis reads the same trees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class EndpointConfig:
    kind: str
    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    username: str | None = None
    password: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    requests_per_minute: int | None = None
    timeout: float = 10.0
    # Where engines that keep data on disk (local, static) find it. Set by the server or the
    # command line only, never from user-supplied options: None is SEARCHBENCH_DATA_DIR.
    data_dir: Path | None = None

    def __repr__(self) -> str:  # never show the password, even in a traceback
        return (
            f"EndpointConfig(kind={self.kind!r}, url={self.url!r}, method={self.method!r}, "
            f"username={self.username!r}, password={'***' if self.password else None})"
        )


@dataclass
class TryConfig:
    template: str
    field_spec: str = ""
    rows: int = 10
    start: int = 0
    escape: bool = True
    curator_vars: dict[str, Any] = field(default_factory=dict)
    explain: bool = True


@dataclass
class QueryContext:
    text: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExplainNode:
    """One node of a score breakdown, the same shape for every engine.

    ``kind`` is one of EXPLAIN_KINDS (what the node computes); ``field``/``term`` are set on the
    nodes that score one term (or phrase) in one field.
    """

    value: float
    description: str
    children: list[ExplainNode] = field(default_factory=list)
    kind: str = "other"
    field: str | None = None
    term: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "description": self.description,
            "kind": self.kind,
            "field": self.field,
            "term": self.term,
            "children": [c.to_dict() for c in self.children],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExplainNode:
        return cls(
            value=float(data.get("value", 0.0)),
            description=str(data.get("description", "")),
            children=[cls.from_dict(c) for c in data.get("children", [])],
            kind=str(data.get("kind", "other")),
            field=data.get("field"),
            term=data.get("term"),
        )


@dataclass
class ResultDoc:
    id: str
    position: int
    fields: dict[str, Any] = field(default_factory=dict)
    score: float | None = None
    explain: ExplainNode | None = None
    title: str | None = None
    thumb: str | None = None
    image: str | None = None
    highlights: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class SearchResult:
    total: int = 0
    docs: list[ResultDoc] = field(default_factory=list)
    error: str | None = None
    request: dict[str, Any] | None = None  # what was sent (secrets masked)
    response: Any = None  # the engine's raw answer, on a failed result only (Engine.search)
    elapsed_ms: float = 0.0
    # The error may pass if the request is sent again (a timeout, a refused connection, a 5xx).
    transient: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class PingResult:
    ok: bool
    message: str
    elapsed_ms: float = 0.0
