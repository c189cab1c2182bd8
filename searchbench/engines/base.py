"""The narrow interface every search engine adapter implements.

The vocabulary it speaks (EndpointConfig, TryConfig, QueryContext, ResultDoc, SearchResult,
ExplainNode, PingResult) is the domain's (``searchbench.domain.search``), so case files, scorers
and explain analysis use the same types without importing an engine.

An adapter subclasses :class:`Engine` and implements ``execute(query, try_config)`` (and ``ping()``).
``execute`` may raise :class:`EngineError` (or let a TemplateError/FieldSpecError/HttpError escape);
the public ``search()`` turns every such fault into ``SearchResult(error=...)`` and times the call, so
a case run records the fault for that one query and goes on. ``search()`` keeps the engine's raw
answer (``response``) on failed results only, where it tells what went wrong.
"""

from __future__ import annotations

import functools
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from searchbench.domain.fieldspec import FieldSpec, FieldSpecError, parse_field_spec
from searchbench.domain.search import (
    EndpointConfig,
    ExplainNode,
    PingResult,
    QueryContext,
    ResultDoc,
    SearchResult,
    TryConfig,
)
from searchbench.domain.templating import TemplateContext, TemplateError
from searchbench.engines.http import HttpError


class EngineError(Exception):
    """A fault of the engine or of the request we built, with a message fit for the user.

    ``request`` (masked) and ``response`` (raw) are kept on the failed SearchResult for debugging.
    """

    def __init__(
        self,
        message: str,
        request: dict[str, Any] | None = None,
        response: Any = None,
        *,
        transient: bool = False,
    ):
        super().__init__(message)
        self.request = request
        self.response = response
        # The same request may well succeed a moment later (an HTTP 5xx): the loop retries it.
        self.transient = transient


class Engine(ABC):
    """Base class of the adapters. Instances are shared by the runner's threads: keep them
    free of per-query state."""

    kind: ClassVar[str] = ""

    def __init__(self, config: EndpointConfig) -> None:
        self.config = config

    @classmethod
    def option_problems(cls, options: Mapping[str, Any]) -> list[str]:
        """What is wrong with a user's endpoint options for this kind (checked on save)."""
        return []

    def search(self, query: QueryContext, try_config: TryConfig) -> SearchResult:
        """Run one query. Never raises for engine, network, template or field-spec faults.

        A successful result carries the parsed docs, not the engine's whole answer: nothing reads
        that once the docs are parsed, and a run holding thousands of them (tens of KB of JSON
        each) makes every full pass of Python's cycle collector walk millions of objects."""
        started = time.perf_counter()
        try:
            result = self.execute(query, try_config)
            if result.error is None:
                result.response = None
        except (EngineError, TemplateError, FieldSpecError, HttpError) as exc:
            result = SearchResult(
                error=str(exc),
                request=getattr(exc, "request", None),
                response=getattr(exc, "response", None),
                transient=_transient(exc),
            )
        if not result.elapsed_ms:
            result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result

    @abstractmethod
    def execute(self, query: QueryContext, try_config: TryConfig) -> SearchResult:
        """Build the request, send it, parse the answer. May raise EngineError."""

    @abstractmethod
    def ping(self) -> PingResult:
        """Whether the endpoint answers (never raises)."""


def template_context(
    query: QueryContext, try_config: TryConfig, escape: bool, syntax: str = "lucene"
) -> TemplateContext:
    return TemplateContext(
        query=query.text,
        options=query.options,
        curator_vars=try_config.curator_vars,
        escape=escape,
        syntax=syntax,
    )


def field_spec(try_config: TryConfig) -> FieldSpec:
    """The try's parsed field spec (cached: a case run parses the same spec for every query;
    callers must not modify it)."""
    return _cached_field_spec(try_config.field_spec)


@functools.lru_cache(maxsize=256)
def _cached_field_spec(text: str) -> FieldSpec:
    return parse_field_spec(text)


def _lookup(source: Mapping[str, Any], name: str) -> Any:
    """A field value; dotted names reach into nested objects (``author.name``)."""
    if name in source:
        return source[name]
    if "." not in name:
        return None
    value: Any = source
    for part in name.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return None
    return value


def _first_text(value: Any) -> str | None:
    if type(value) is str:  # the usual case, first
        return value
    if value is None:
        return None
    if isinstance(value, list):
        return _first_text(value[0]) if value else None
    return str(value)


@dataclass(frozen=True)
class _DocPlan:
    """What ``build_doc`` reads from every doc, worked out once per field spec."""

    id_field: str
    names: tuple[str, ...] | None  # None: every source field (``*``)
    title_field: str
    thumb: tuple[str, str] | None  # (prefix, field)
    image: tuple[str, str] | None


_plans: dict[int, tuple[FieldSpec, _DocPlan]] = {}


def _doc_plan(spec: FieldSpec) -> _DocPlan:
    # Keyed by identity (a FieldSpec is a mutable dataclass, so not hashable); the entry keeps the
    # spec alive, so its id cannot be reused by another object while the entry exists.
    entry = _plans.get(id(spec))
    if entry is not None and entry[0] is spec:
        return entry[1]
    plan = _DocPlan(
        id_field=spec.id,
        names=None if spec.all_fields else tuple(spec.field_names()),
        title_field=spec.title_field,
        thumb=(spec.thumb.prefix, spec.thumb.name) if spec.thumb else None,
        image=(spec.image.prefix, spec.image.name) if spec.image else None,
    )
    if len(_plans) >= 256:
        _plans.clear()
    _plans[id(spec)] = (spec, plan)
    return plan


def build_doc(
    spec: FieldSpec,
    position: int,
    source: Mapping[str, Any],
    *,
    doc_id: str | None = None,
    score: float | None = None,
    explain: ExplainNode | None = None,
    highlights: Mapping[str, list[str]] | None = None,
) -> ResultDoc:
    """A ResultDoc with the field-spec roles filled from a doc's source fields."""
    plan = _doc_plan(spec)
    if doc_id is None:
        raw_id = _lookup(source, plan.id_field)
        if raw_id is None:
            raise EngineError(
                f"result #{position + 1} has no id field {plan.id_field!r} "
                f"(fields: {', '.join(sorted(source)) or 'none'}); fix the field spec's id:"
            )
        doc_id = _first_text(raw_id) or ""
    if plan.names is None:
        fields = dict(source)
    else:
        fields = {}
        for name in plan.names:
            value = _lookup(source, name)
            if value is not None:
                fields[name] = value
    return ResultDoc(
        id=doc_id,
        position=position,
        fields=fields,
        score=score,
        explain=explain,
        title=_first_text(_lookup(source, plan.title_field)) or doc_id,
        thumb=_media(plan.thumb[0], _lookup(source, plan.thumb[1])) if plan.thumb else None,
        image=_media(plan.image[0], _lookup(source, plan.image[1])) if plan.image else None,
        highlights={k: list(v) for k, v in highlights.items()} if highlights else {},
    )


def _media(prefix: str, value: Any) -> str | None:
    text = _first_text(value)
    if not text:
        return None
    if prefix and not text.startswith(("http://", "https://", "data:")):
        return prefix + text
    return text


def _transient(exc: Exception) -> bool:
    """Whether sending the same request again may succeed: a timeout, a connection that failed,
    an HTTP 5xx. (Not a rate limit: the caller chose not to wait for it.)"""
    from searchbench.engines.http import ConnectFailed, Timeout

    return isinstance(exc, Timeout | ConnectFailed) or bool(getattr(exc, "transient", False))
