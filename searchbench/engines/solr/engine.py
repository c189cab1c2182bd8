"""Apache Solr: the try's ``&``-joined params sent to ``{url}/select``.

Endpoint URL: the core or collection, e.g. ``http://localhost:8983/solr/cranfield`` (a URL that
already ends in a request handler such as ``/select`` or ``/query`` is used as is). Template:
``q=#$query##&defType=edismax&qf=title^2 body``. We add ``fl`` (the field spec's fields and
``score``), ``rows``/``start`` (from the try; the template's own are replaced), ``wt=json``,
highlighting for ``hl:`` fields, and ``debugQuery=true&debug.explain.structured=true`` for explain.
Method POST sends the same params form-encoded (for long queries). A JSON template uses Solr's
JSON Request API instead: ``{"query": "#$query##", "filter": [...], "params": {...}}`` is POSTed
as is, with the params above put into its ``params`` (its own ``limit``/``offset``/``fields`` are
replaced, as ``rows``/``start``/``fl`` are for a params template).
"""

from __future__ import annotations

from typing import Any

from searchbench.domain.fieldspec import FieldSpec
from searchbench.domain.search import PingResult, QueryContext, ResultDoc, SearchResult, TryConfig
from searchbench.domain.templating import render_json, render_params, template_kind
from searchbench.engines import http
from searchbench.engines.base import EngineError, build_doc, field_spec, template_context
from searchbench.engines.explain import parse_lucene_explain
from searchbench.engines.httpbase import HttpEngine

HANDLERS = ("select", "query", "browse", "search")
# Params searchbench controls; the template's values for these are dropped.
CONTROLLED = frozenset(
    {
        "fl",
        "wt",
        "rows",
        "start",
        "debugQuery",
        "debug",
        "debug.explain.structured",
        "indent",
        "echoParams",
    }
)
HL_PRE, HL_POST = "<em>", "</em>"


def solr_error_message(body: Any) -> str | None:
    """Solr's own words from an error response: ``error.msg`` (or the trace's first line)."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        msg = error.get("msg")
        if isinstance(msg, str) and msg:
            return msg
        trace = error.get("trace")
        if isinstance(trace, str) and trace:
            return trace.splitlines()[0]
    return None


def fl_param(spec: FieldSpec) -> str:
    names = ["*"] if spec.all_fields else spec.field_names()
    # Quepid's convention: function:name fetches the pseudo-field name:$name (a param of the query)
    names += [f"{fn}:${fn}" for fn in spec.functions]
    return " ".join([*names, "score"])


class SolrEngine(HttpEngine):
    kind = "solr"

    def select_url(self) -> str:
        if self.config.url.rstrip("/").rsplit("/", 1)[-1] in HANDLERS:
            return self.config.url.rstrip("/")
        return self.endpoint_url(str(self.config.options.get("request_handler", "select")))

    def build_params(
        self, query: QueryContext, try_config: TryConfig, spec: FieldSpec
    ) -> list[tuple[str, str]]:
        params = [
            (k, v)
            for k, v in render_params(
                try_config.template, template_context(query, try_config, escape=try_config.escape)
            )
            if k not in CONTROLLED
        ]
        return params + self.controlled_params(
            try_config, spec, has_hl=any(k == "hl" for k, _ in params)
        )

    def controlled_params(
        self, try_config: TryConfig, spec: FieldSpec, has_hl: bool
    ) -> list[tuple[str, str]]:
        """The params searchbench sets: fields, paging, JSON, highlighting and explain."""
        params = [
            ("fl", fl_param(spec)),
            ("rows", str(max(0, try_config.rows))),
            ("start", str(max(0, try_config.start))),
            ("wt", "json"),
        ]
        if spec.highlights and not has_hl:
            params += [
                ("hl", "true"),
                ("hl.fl", " ".join(spec.highlights)),
                ("hl.method", "unified"),
                ("hl.tag.pre", HL_PRE),
                ("hl.tag.post", HL_POST),
                ("hl.simple.pre", HL_PRE),
                ("hl.simple.post", HL_POST),
            ]
        if try_config.explain:
            params += [("debugQuery", "true"), ("debug.explain.structured", "true")]
        return params

    def build_json_body(
        self, query: QueryContext, try_config: TryConfig, spec: FieldSpec
    ) -> dict[str, Any]:
        body = render_json(
            try_config.template, template_context(query, try_config, escape=try_config.escape)
        )
        if not isinstance(body, dict):
            raise EngineError("a JSON Solr template must be an object (Solr's JSON Request API)")
        for key in ("limit", "offset", "fields"):
            body.pop(key, None)
        own = body.get("params") or {}
        if not isinstance(own, dict):
            raise EngineError('"params" in a JSON Solr template must be an object')
        own = {k: v for k, v in own.items() if k not in CONTROLLED}
        controlled = self.controlled_params(try_config, spec, has_hl="hl" in own)
        body["params"] = {**own, **dict(controlled)}
        return body

    def execute(self, query: QueryContext, try_config: TryConfig) -> SearchResult:
        spec = field_spec(try_config)
        url = self.select_url()
        if template_kind(try_config.template) == "json":
            body = self.build_json_body(query, try_config, spec)
            resp = self.send("POST", url, json_body=body)
        else:
            params = self.build_params(query, try_config, spec)
            if self.config.method.upper() == "POST":
                resp = self.send("POST", url, data=params)
            else:
                resp = self.send("GET", url, params=params)
        return self.keeping_request(resp, lambda: self.parse(resp, spec, try_config, resp.request))

    def parse(
        self,
        resp: http.HttpResponse,
        spec: FieldSpec,
        try_config: TryConfig,
        request: dict[str, Any],
    ) -> SearchResult:
        if not resp.ok:
            raise self.error_status(resp, "Solr", solr_error_message)
        body = resp.json()
        if not isinstance(body, dict):
            raise EngineError(
                f"Solr answered with JSON that is not an object from {http.mask_url(resp.url)}"
            )
        if "grouped" in body:
            raise EngineError(
                "grouped Solr responses (group=true) are not supported; remove the group params"
            )
        response = body.get("response")
        if not isinstance(response, dict) or not isinstance(response.get("docs"), list):
            raise EngineError(
                f"the Solr response has no response.docs (keys: {', '.join(body) or 'none'}); "
                "is the URL a Solr core/collection?"
            )
        highlighting = body.get("highlighting") or {}
        explains = (body.get("debug") or {}).get("explain") or {}
        docs: list[ResultDoc] = []
        for i, source in enumerate(response["docs"]):
            if not isinstance(source, dict):
                raise EngineError(f"Solr doc #{i + 1} is not an object")
            doc = build_doc(spec, try_config.start + i, source, score=_float(source.get("score")))
            hl = highlighting.get(doc.id)
            if isinstance(hl, dict):
                doc.highlights = {
                    k: [str(s) for s in v] for k, v in hl.items() if isinstance(v, list) and v
                }
            ex = explains.get(doc.id)
            if isinstance(ex, dict):
                doc.explain = parse_lucene_explain(ex)
            elif isinstance(ex, str):
                raise EngineError(
                    "Solr returned a text explain; keep debug.explain.structured=true"
                )
            doc.fields.pop("score", None)
            docs.append(doc)
        total = response.get("numFound")
        return SearchResult(
            total=int(total) if isinstance(total, int) else len(docs),
            docs=docs,
            request=request,
            response=body,
            elapsed_ms=resp.elapsed_ms,
        )

    def ping(self) -> PingResult:
        def check() -> str:
            url = self.select_url()
            resp = self.send("GET", url, params=[("q", "*:*"), ("rows", "0"), ("wt", "json")])
            result = self.parse(
                resp, field_spec(TryConfig(template="")), TryConfig(template="", rows=0), {}
            )
            return f"Solr answers: {result.total} docs"

        return self.timed_ping(check)


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
