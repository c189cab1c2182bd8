"""JSON search API (Quepid's "searchapi"): any HTTP endpoint that answers JSON.

Endpoint URL: the API's search URL, e.g. ``https://api.example.com/v1/search``.

Template, by its form (see ``searchbench.domain.templating``):

- params ``q=#$query##&lang=en``: sent as the query string (GET) or form-encoded (method POST);
- JSON ``{"query": "#$query##", "size": 10}``: POSTed as the JSON body (method must be POST).

The query text is not Lucene-escaped unless the try's escape flag is on *and* the endpoint option
``escape_query`` is true: a JSON API rarely speaks Lucene syntax.

The response is mapped to the total and the docs in one of two ways (endpoint options):

- ``total_path`` + ``docs_path``: a pair of JMESPath expressions (https://jmespath.org), e.g.
  ``hits.total.value`` and ``hits.hits[]._source``; ``docs_path`` must give a list of objects.
  Without ``total_path`` the total is the number of docs.
- ``mapper_code``: JavaScript defining Quepid's ``docsMapper(data)`` (a list of doc objects) and
  optionally ``numberOfResultsMapper(data)`` (a number), run in the V8 sandbox
  (``searchbench.domain.jsbox``) under ``mapper_time_limit_ms`` / ``mapper_memory_limit_mb``.

Mapped docs are plain objects; the try's field spec picks the id, title, thumb and sub fields from
them (dotted names reach into nested objects). A doc may carry ``score`` (a number) and
``highlights`` (``{field: [snippet, …]}``); names are changed with ``score_field`` and
``highlights_field``. With ``explain_field`` set, a Lucene explanation found there (an API that
passes Elasticsearch's ``_explanation`` or Solr's structured explain through) becomes the doc's
score breakdown.

Paging: with ``rows_param`` / ``start_param`` (e.g. ``size`` / ``from``) the try's rows and start
are sent as those parameters (query string or top-level JSON keys) and the page the API returns is
taken as is; without them the API is asked for its default page and searchbench cuts
``[start, start + rows)`` out of what came back.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jmespath
import jmespath.exceptions

from searchbench import env
from searchbench.domain.fieldspec import FieldSpec
from searchbench.domain.jsbox import DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIME_LIMIT_MS, JsBox, JsError
from searchbench.domain.search import PingResult, QueryContext, ResultDoc, SearchResult, TryConfig
from searchbench.domain.templating import render_json, render_params, template_kind
from searchbench.engines import http
from searchbench.engines.base import EngineError, build_doc, field_spec, template_context
from searchbench.engines.explain import parse_lucene_explain
from searchbench.engines.httpbase import HttpEngine

NUMBER_MAPPER = "numberOfResultsMapper"
DOCS_MAPPER = "docsMapper"
DEFAULT_TEMPLATE = "q=#$query##"

# Endpoint options this engine reads, with what they mean (shown in docs and error messages).
OPTIONS: dict[str, str] = {
    "total_path": "JMESPath expression for the total hit count",
    "docs_path": "JMESPath expression for the list of result docs",
    "mapper_code": "JavaScript defining docsMapper(data) and optionally numberOfResultsMapper(data)",
    "mapper_time_limit_ms": f"time limit per mapper call (default {DEFAULT_TIME_LIMIT_MS})",
    "mapper_memory_limit_mb": f"V8 heap limit for the mappers (default {DEFAULT_MEMORY_LIMIT_MB})",
    "rows_param": "parameter that carries the page size (e.g. size, rows, limit)",
    "start_param": "parameter that carries the offset (e.g. from, start, offset)",
    "score_field": "doc field holding the score (default score)",
    "highlights_field": "doc field holding {field: [snippets]} (default highlights)",
    "explain_field": "doc field holding a Lucene explanation (value, description, details), "
    "e.g. passed through from Elasticsearch's _explanation; shown as the score breakdown",
    "escape_query": "Lucene-escape the query text when the try asks for escaping (default false)",
}

# Statuses with which an API that wants a query still shows it is there.
_ANSWERS_WITHOUT_QUERY = frozenset({400, 405, 422})
# Keys of an error body that usually hold the API's own message, most specific first.
_ERROR_KEYS = (
    "error.message",
    "error.root_cause[0].reason",  # Elasticsearch/OpenSearch behind a thin API
    "error.reason",
    "error",
    "message",
    "detail",
    "errors[0].message",
)


@dataclass(frozen=True)
class Mapped:
    total: int
    docs: list[dict[str, Any]]


class Mapper:
    """Response JSON -> total + doc objects, by JMESPath or by Quepid's JS mapper functions."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.code = options.get("mapper_code")
        self.total_path = options.get("total_path")
        self.docs_path = options.get("docs_path")
        if self.code and (self.total_path or self.docs_path):
            raise EngineError(
                "give either mapper_code or total_path/docs_path in the endpoint options, not both"
            )
        # Checked whatever the mapping, so a value above the server's ceiling is never stored.
        self._time_limit = _limit(
            options,
            "mapper_time_limit_ms",
            DEFAULT_TIME_LIMIT_MS,
            "SEARCHBENCH_JS_TIME_LIMIT_MS_MAX",
        )
        self._memory_limit = _limit(
            options,
            "mapper_memory_limit_mb",
            DEFAULT_MEMORY_LIMIT_MB,
            "SEARCHBENCH_JS_MEMORY_LIMIT_MB_MAX",
        )
        if self.code:
            if not isinstance(self.code, str):
                raise EngineError("endpoint option mapper_code must be JavaScript text")
            self._box: JsBox | None = None
            self._box_lock = threading.Lock()
            return
        if not self.docs_path:
            raise EngineError(
                "a JSON search API endpoint needs a mapping: endpoint options docs_path "
                "(and total_path) as JMESPath, or mapper_code with docsMapper(data)"
            )
        self._docs_expr = _compile("docs_path", self.docs_path)
        self._total_expr = _compile("total_path", self.total_path) if self.total_path else None

    def prepare(self) -> None:
        """Compile the JS mappers now, so broken code fails before any request is sent."""
        if self.code:
            self.box()

    def map(self, data: Any) -> Mapped:
        if self.code:
            return self._map_js(data)
        return self._map_jmespath(data)

    # -- JMESPath ------------------------------------------------------------------------------

    def _map_jmespath(self, data: Any) -> Mapped:
        docs = _docs_list(self._docs_expr.search(data), f"docs_path {self.docs_path!r}", data)
        if self._total_expr is None:
            return Mapped(len(docs), docs)
        total = _count(self._total_expr.search(data), f"total_path {self.total_path!r}", data)
        return Mapped(total, docs)

    # -- Quepid's JS mappers -------------------------------------------------------------------

    def box(self) -> JsBox:
        with self._box_lock:
            if self._box is None:
                try:
                    self._box = JsBox(
                        str(self.code),
                        [DOCS_MAPPER, NUMBER_MAPPER],
                        time_limit_ms=self._time_limit,
                        memory_limit_mb=self._memory_limit,
                    )
                except JsError as exc:
                    raise EngineError(f"mapper_code does not compile: {exc}") from None
            return self._box

    def _map_js(self, data: Any) -> Mapped:
        box = self.box()
        try:
            raw_docs = box.call(DOCS_MAPPER, [data])
        except JsError as exc:
            raise EngineError(f"{DOCS_MAPPER}(data) failed: {exc}") from None
        except ValueError:  # JsBox: the function is not an export (cannot happen) -> clear text
            raise EngineError(f"mapper_code must define {DOCS_MAPPER}(data)") from None
        docs = _docs_list(raw_docs, f"{DOCS_MAPPER}(data)", None)
        try:
            raw_total = box.call(NUMBER_MAPPER, [data])
        except JsError as exc:
            if "does not define a function" in exc.message:
                return Mapped(len(docs), docs)
            raise EngineError(f"{NUMBER_MAPPER}(data) failed: {exc}") from None
        return Mapped(_count(raw_total, f"{NUMBER_MAPPER}(data)", None), docs)

    def close(self) -> None:
        if self.code and self._box is not None:
            self._box.close()


class SearchApiEngine(HttpEngine):
    kind = "searchapi"

    @classmethod
    def option_problems(cls, options: Mapping[str, Any]) -> list[str]:
        try:
            Mapper(dict(options))
        except EngineError as exc:
            return [str(exc)]
        return []

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._mapper: Mapper | None = None
        self._mapper_error: str | None = None
        try:
            self._mapper = Mapper(dict(config.options))
        except EngineError as exc:
            # Reported on every search (and by ping) instead of failing make_engine().
            self._mapper_error = str(exc)

    @property
    def mapper(self) -> Mapper:
        if self._mapper is None:
            raise EngineError(self._mapper_error or "no response mapping configured")
        return self._mapper

    # -- the request ---------------------------------------------------------------------------

    def build_request(self, query: QueryContext, try_config: TryConfig) -> dict[str, Any]:
        """``{"method", "params" | "data" | "json_body"}`` for :func:`http.send`."""
        template = try_config.template.strip() or DEFAULT_TEMPLATE
        escape = try_config.escape and bool(self.config.options.get("escape_query", False))
        ctx = template_context(query, try_config, escape=escape)
        method = (self.config.method or "GET").upper()
        paging = self._paging(try_config)
        if template_kind(template) == "json":
            if method != "POST":
                raise EngineError(
                    "a JSON template is sent as a request body: set the endpoint method to POST "
                    "(or write the template as name=value params for GET)"
                )
            body = render_json(template, ctx)
            if not isinstance(body, dict):
                if paging:
                    raise EngineError(
                        "rows_param/start_param need the JSON template to be an object"
                    )
            else:
                body.update(paging)
            return {"method": "POST", "json_body": body}
        if method not in ("GET", "POST"):
            raise EngineError(f"endpoint method {method} is not supported (GET or POST)")
        params = [(k, v) for k, v in render_params(template, ctx) if k not in paging]
        params += [(k, str(v)) for k, v in paging.items()]
        return {"method": method, "params" if method == "GET" else "data": params}

    def _paging(self, try_config: TryConfig) -> dict[str, int]:
        paging: dict[str, int] = {}
        rows_param = self.config.options.get("rows_param")
        start_param = self.config.options.get("start_param")
        if rows_param:
            paging[str(rows_param)] = max(0, try_config.rows)
        if start_param:
            paging[str(start_param)] = max(0, try_config.start)
        return paging

    def execute(self, query: QueryContext, try_config: TryConfig) -> SearchResult:
        spec = field_spec(try_config)
        mapper = self.mapper
        mapper.prepare()
        request = self.build_request(query, try_config)
        method = request.pop("method")
        url = self.config.url
        described = self.describe(
            method, url, params=request.get("params"), json_body=request.get("json_body")
        )
        if "data" in request:
            described["body"] = dict(request["data"])
        resp = self.send(method, url, **request)
        if not resp.ok:
            raise EngineError(_api_error(resp), transient=resp.status >= 500)
        data = resp.json()
        mapped = mapper.map(data)
        first = max(0, try_config.start)
        results = [
            self._doc(spec, first + i, source, try_config.explain)
            for i, source in enumerate(self._page(mapped.docs, try_config))
        ]
        return SearchResult(
            total=mapped.total,
            docs=results,
            request=described,
            response=data,
            elapsed_ms=resp.elapsed_ms,
        )

    def _page(self, docs: list[dict[str, Any]], try_config: TryConfig) -> list[dict[str, Any]]:
        rows, start = max(0, try_config.rows), max(0, try_config.start)
        if self.config.options.get("start_param"):
            start = 0  # the API already skipped
        return docs[start : start + rows]

    def _doc(
        self, spec: FieldSpec, position: int, source: dict[str, Any], explain: bool
    ) -> ResultDoc:
        score_field = str(self.config.options.get("score_field") or "score")
        hl_field = str(self.config.options.get("highlights_field") or "highlights")
        try:
            doc = build_doc(spec, position, source, score=_score(source.get(score_field)))
        except EngineError as exc:
            raise EngineError(f"mapped doc at position {position + 1}: {exc}") from None
        highlights = source.get(hl_field)
        if isinstance(highlights, dict):
            doc.highlights = {
                str(k): [str(s) for s in (v if isinstance(v, list) else [v])]
                for k, v in highlights.items()
            }
        explain_field = self.config.options.get("explain_field")
        if explain_field:
            explanation = source.get(str(explain_field))
            if explain and isinstance(explanation, dict) and "value" in explanation:
                doc.explain = parse_lucene_explain(explanation)
            if str(explain_field) not in spec.field_names():
                doc.fields.pop(str(explain_field), None)
        for name in (score_field, hl_field):
            if name not in spec.field_names():
                doc.fields.pop(name, None)
        return doc

    def ping(self) -> PingResult:
        def check() -> str:
            self.mapper.prepare()  # a broken mapping fails the ping
            resp = self.send("GET", self.config.url)
            if resp.status in _ANSWERS_WITHOUT_QUERY:
                # Many search APIs refuse a request without a query; that still proves they answer.
                return f"the API answers (HTTP {resp.status} without a query)"
            if not resp.ok:
                raise EngineError(_api_error(resp))
            return f"the API answers (HTTP {resp.status})"

        return self.timed_ping(check)


# -- helpers ------------------------------------------------------------------------------------


def _compile(option: str, expression: Any) -> Any:
    if not isinstance(expression, str) or not expression.strip():
        raise EngineError(f"endpoint option {option} must be a JMESPath expression")
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        first = str(exc).strip().splitlines()[0]
        raise EngineError(
            f"endpoint option {option}={expression!r} is not JMESPath: {first}"
        ) from None


def _shape(data: Any) -> str:
    if isinstance(data, dict):
        keys = ", ".join(sorted(map(str, data))[:12])
        return f"an object with keys {keys}" if keys else "an empty object"
    if isinstance(data, list):
        return f"a list of {len(data)}"
    return f"a {type(data).__name__}"


def _docs_list(value: Any, source: str, data: Any) -> list[dict[str, Any]]:
    where = f" (the response is {_shape(data)})" if data is not None else ""
    if value is None:
        raise EngineError(f"{source} matched nothing{where}")
    if not isinstance(value, list):
        raise EngineError(f"{source} gave {_shape(value)}, not a list of docs{where}")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise EngineError(f"{source}: doc #{i + 1} is {_shape(item)}, not an object")
    return value


def _count(value: Any, source: str, data: Any) -> int:
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or value < 0:
        where = f" (the response is {_shape(data)})" if data is not None else ""
        shown = "nothing" if value is None else repr(value)[:80]
        raise EngineError(f"{source} gave {shown}, not a hit count{where}")
    return value


def _score(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def _limit(options: dict[str, Any], name: str, default: int, ceiling_setting: str) -> int:
    """A user-set sandbox limit, between 1 and the server's ceiling (a setting in env.py)."""
    ceiling = int(env.get(ceiling_setting))
    value = options.get(name, min(default, ceiling))
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ceiling:
        raise EngineError(
            f"endpoint option {name} must be a whole number from 1 to {ceiling} "
            f"(the server's ceiling, {ceiling_setting})"
        )
    return value


def _api_error(resp: http.HttpResponse) -> str:
    """``HTTP 400 from URL: <the API's own message>``, else the neutral reading of the body."""
    try:
        body = resp.json()
    except http.BadResponse:
        return http.error_text(resp)
    for path in _ERROR_KEYS:
        found = jmespath.search(path, body) if isinstance(body, dict) else None
        if isinstance(found, str) and found.strip():
            return f"HTTP {resp.status} from {http.mask_url(resp.url)}: {found.strip()}"
    return http.error_text(resp)
