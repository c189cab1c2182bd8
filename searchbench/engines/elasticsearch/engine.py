"""Elasticsearch (and, via a subclass, OpenSearch): the try's JSON body POSTed to ``{url}/_search``.

Endpoint URL: the index (or alias, or comma-separated indices), e.g. ``http://localhost:9200/cranfield``.
Template: a JSON query body, e.g.
``{"query": {"multi_match": {"query": "#$query##", "fields": ["title^2", "body"]}}}``.
We set ``from``/``size`` (from the try), ``_source`` (the field spec's fields, or all for ``*``),
``explain: true`` when explain is on, ``track_total_hits: true`` (exact totals; endpoint option
``track_total_hits: false`` for engines before 7.0), and a ``highlight`` section for ``hl:`` fields
unless the template has its own. The query text is not Lucene-escaped: ES query bodies (match,
multi_match) do not parse query syntax; use ``query_string`` with care.
"""

from __future__ import annotations

from typing import Any, ClassVar

from searchbench.domain.fieldspec import FieldSpec
from searchbench.domain.search import PingResult, QueryContext, ResultDoc, SearchResult, TryConfig
from searchbench.domain.templating import render_json
from searchbench.engines import http
from searchbench.engines.base import EngineError, build_doc, field_spec, template_context
from searchbench.engines.explain import parse_lucene_explain
from searchbench.engines.httpbase import HttpEngine

DEFAULT_TEMPLATE = '{"query": {"multi_match": {"query": "#$query##"}}}'


def es_error_message(body: Any) -> str | None:
    """The engine's own reason from an error body (``error.root_cause[0].reason`` first)."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, str):
        return error
    if not isinstance(error, dict):
        return None
    parts: list[str] = []
    causes = error.get("root_cause")
    if isinstance(causes, list) and causes and isinstance(causes[0], dict):
        cause = causes[0]
        if cause.get("reason"):
            parts.append(f"{cause.get('type', 'error')}: {cause['reason']}")
    reason = error.get("reason")
    if reason and not any(str(reason) in p for p in parts):
        parts.append(f"{error.get('type', 'error')}: {reason}")
    caused = error.get("caused_by")
    if not parts and isinstance(caused, dict) and caused.get("reason"):
        parts.append(f"{caused.get('type', 'error')}: {caused['reason']}")
    return "; ".join(parts) or None


class ElasticsearchEngine(HttpEngine):
    kind = "elasticsearch"
    product: ClassVar[str] = "Elasticsearch"

    def build_body(
        self, query: QueryContext, try_config: TryConfig, spec: FieldSpec
    ) -> dict[str, Any]:
        template = try_config.template.strip() or DEFAULT_TEMPLATE
        body = render_json(template, template_context(query, try_config, escape=False))
        if not isinstance(body, dict):
            raise EngineError(f"the {self.product} template must be a JSON object (a _search body)")
        body["from"] = max(0, try_config.start)
        body["size"] = max(0, try_config.rows)
        body["_source"] = True if spec.all_fields else spec.field_names()
        if try_config.explain:
            body["explain"] = True
        if self.config.options.get("track_total_hits", True) and "track_total_hits" not in body:
            body["track_total_hits"] = True
        if spec.highlights and "highlight" not in body:
            body["highlight"] = {
                "pre_tags": ["<em>"],
                "post_tags": ["</em>"],
                "fields": {f: {} for f in spec.highlights},
            }
        return body

    def execute(self, query: QueryContext, try_config: TryConfig) -> SearchResult:
        spec = field_spec(try_config)
        body = self.build_body(query, try_config, spec)
        url = self.endpoint_url("_search")
        resp = self.send("POST", url, json_body=body)
        return self.keeping_request(resp, lambda: self.parse(resp, spec, try_config, resp.request))

    def parse(
        self,
        resp: http.HttpResponse,
        spec: FieldSpec,
        try_config: TryConfig,
        request: dict[str, Any],
    ) -> SearchResult:
        if not resp.ok:
            raise self.error_status(resp, self.product, es_error_message)
        body = resp.json()
        hits = body.get("hits") if isinstance(body, dict) else None
        if not isinstance(hits, dict) or not isinstance(hits.get("hits"), list):
            shards = body.get("_shards") if isinstance(body, dict) else None
            raise EngineError(
                f"the {self.product} response has no hits.hits"
                + (f" (shards: {shards})" if shards else "")
                + "; is the URL an index?"
            )
        shards = body.get("_shards") or {}
        if shards.get("total") and not shards.get("successful"):
            failures = shards.get("failures") or []
            reason = (
                failures[0].get("reason") if failures and isinstance(failures[0], dict) else None
            )
            raise EngineError(
                f"{self.product}: every shard failed: {es_error_message({'error': reason}) or reason}"
            )
        total_raw = hits.get("total")
        if isinstance(total_raw, dict):
            total = int(total_raw.get("value", 0))
        elif isinstance(total_raw, int):
            total = total_raw
        else:
            total = len(hits["hits"])
        docs: list[ResultDoc] = []
        for i, hit in enumerate(hits["hits"]):
            if not isinstance(hit, dict):
                raise EngineError(f"{self.product} hit #{i + 1} is not an object")
            source = dict(hit.get("_source") or {})
            for name, values in (hit.get("fields") or {}).items():
                source.setdefault(
                    name, values[0] if isinstance(values, list) and len(values) == 1 else values
                )
            source.setdefault("_id", hit.get("_id"))
            doc_id = None if spec.id != "_id" and spec.id in source else str(hit.get("_id"))
            doc = build_doc(
                spec, try_config.start + i, source, doc_id=doc_id, score=_float(hit.get("_score"))
            )
            if spec.all_fields and spec.id != "_id":
                doc.fields.pop("_id", None)
            hl = hit.get("highlight")
            if isinstance(hl, dict):
                doc.highlights = {
                    k: [str(s) for s in v] for k, v in hl.items() if isinstance(v, list)
                }
            ex = hit.get("_explanation")
            if isinstance(ex, dict):
                doc.explain = parse_lucene_explain(ex)
            docs.append(doc)
        return SearchResult(
            total=total, docs=docs, request=request, response=body, elapsed_ms=resp.elapsed_ms
        )

    def ping(self) -> PingResult:
        def check() -> str:
            resp = self.send("GET", self.endpoint_url("_count"))
            if not resp.ok:
                raise self.error_status(resp, self.product, es_error_message)
            body = resp.json()
            count = body.get("count") if isinstance(body, dict) else None
            if not isinstance(count, int):
                raise EngineError(
                    f"{http.mask_url(resp.url)} does not look like {self.product} (no count)"
                )
            return f"{self.product} answers: {count} docs"

        return self.timed_ping(check)


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
