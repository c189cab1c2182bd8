"""The built-in engine: tantivy indexes made by ``searchbench index create``.

Endpoint URL: ``local://NAME``. The try's template is JSON::

    {"query": "#$query##", "fields": ["title^2", "body"], "operator": "or", "lenient": false}

``query`` uses tantivy's query syntax (``title:foo``, ``"a phrase"``, ``+must -not``, ``AND``/``OR``,
``term^2``), except that a word the analyzer splits (``computer-ready``) is its terms joined by the
operator, as in Lucene's classic parser, not a phrase (see query.py); ``fields`` are the default
fields with optional boosts (default: every indexed field);
``operator`` ``and`` makes bare terms required; ``lenient`` drops unparsable parts instead of failing.
With the try's escape flag on, query-syntax characters in the user's text are escaped.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import tantivy

from searchbench.domain.search import PingResult, QueryContext, SearchResult, TryConfig
from searchbench.domain.templating import render_json
from searchbench.engines.base import Engine, EngineError, build_doc, field_spec, template_context
from searchbench.engines.local.explain import parse_tantivy_explain
from searchbench.engines.local.index import (
    ID_FIELD,
    SOURCE_FIELD,
    LocalIndexError,
    OpenIndex,
    index_name,
    open_index,
)
from searchbench.engines.local.query import split_compound_words

DEFAULT_TEMPLATE = '{"query": "#$query##"}'
TEMPLATE_KEYS = {"query", "fields", "operator", "lenient"}
_BOOST = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)(?:\^(\d+(?:\.\d+)?))?$")


class LocalEngine(Engine):
    kind = "local"

    def _open(self) -> OpenIndex:
        try:
            return open_index(index_name(self.config.url), self.config.data_dir)
        except LocalIndexError as exc:
            raise EngineError(str(exc)) from None

    def execute(self, query: QueryContext, try_config: TryConfig) -> SearchResult:
        spec = field_spec(try_config)
        opened = self._open()
        template = try_config.template.strip() or DEFAULT_TEMPLATE
        body = render_json(
            template,
            template_context(query, try_config, escape=try_config.escape, syntax="tantivy"),
        )
        qtext, fields, boosts, conjunction, lenient = self._parse_body(body, opened)
        # computer-ready: its terms with the operator, as Lucene's parser has it, not a phrase.
        qtext = split_compound_words(qtext)
        request = {"index": opened.info.name, "body": body}
        index = opened.index
        try:
            if lenient:
                tquery, _errors = index.parse_query_lenient(
                    qtext, fields, field_boosts=boosts, conjunction_by_default=conjunction
                )
            else:
                tquery = index.parse_query(
                    qtext, fields, field_boosts=boosts, conjunction_by_default=conjunction
                )
        except ValueError as exc:
            raise EngineError(f"tantivy cannot parse the query {qtext!r}: {exc}") from None
        searcher = index.searcher()
        rows, start = max(0, try_config.rows), max(0, try_config.start)
        try:
            hits = searcher.search(tquery, limit=max(rows, 1), count=True, offset=start)
        except ValueError as exc:
            raise EngineError(f"tantivy failed to run the query {qtext!r}: {exc}") from None
        total = int(hits.count or 0)
        snippets = {
            f: tantivy.SnippetGenerator.create(searcher, tquery, index.schema, f)
            for f in spec.highlights
            if f in opened.info.fields
        }
        docs = []
        for i, (score, address) in enumerate(hits.hits if rows else []):
            tdoc = searcher.doc(address)
            stored = tdoc.to_dict()
            source: dict[str, Any] = json.loads(stored[SOURCE_FIELD][0])
            explain = None
            if try_config.explain:
                explain = parse_tantivy_explain(
                    json.loads(tquery.explain(searcher, address).to_json()), opened.schema_fields
                )
            highlights = {}
            for f, gen in snippets.items():
                html = gen.snippet_from_doc(tdoc).to_html()
                if html:
                    highlights[f] = [html.replace("<b>", "<em>").replace("</b>", "</em>")]
            docs.append(
                build_doc(
                    spec,
                    start + i,
                    source,
                    doc_id=stored[ID_FIELD][0] if spec.id == opened.info.id_field else None,
                    score=float(score),
                    explain=explain,
                    highlights=highlights,
                )
            )
        return SearchResult(
            total=total,
            docs=docs,
            request=request,
            response={"total": total, "ids": [d.id for d in docs]},
        )

    def _parse_body(
        self, body: Any, opened: OpenIndex
    ) -> tuple[str, list[str], dict[str, float], bool, bool]:
        if not isinstance(body, dict):
            raise EngineError(
                'the local engine template must be a JSON object like {"query": "#$query##"}'
            )
        unknown = set(body) - TEMPLATE_KEYS
        if unknown:
            raise EngineError(
                f"unknown key(s) {', '.join(sorted(unknown))} in the local template "
                f"(known: {', '.join(sorted(TEMPLATE_KEYS))})"
            )
        qtext = body.get("query")
        if not isinstance(qtext, str):
            raise EngineError('the local template needs "query": a string such as "#$query##"')
        indexed = opened.info.fields
        raw_fields = body.get("fields", indexed)
        if not isinstance(raw_fields, list) or not all(isinstance(f, str) for f in raw_fields):
            raise EngineError('"fields" must be a list of field names, e.g. ["title^2", "body"]')
        fields: list[str] = []
        boosts: dict[str, float] = {}
        for item in raw_fields:
            m = _BOOST.match(item.strip())
            if not m:
                raise EngineError(f'bad entry {item!r} in "fields": use NAME or NAME^BOOST')
            name = m.group(1)
            if name not in indexed:
                raise EngineError(
                    f"field {name!r} is not searchable in index {opened.info.name!r} "
                    f"(searchable: {', '.join(indexed)})"
                )
            fields.append(name)
            if m.group(2) is not None:
                boosts[name] = float(m.group(2))
        operator = body.get("operator", "or")
        if operator not in ("or", "and"):
            raise EngineError('"operator" must be "or" or "and"')
        lenient = body.get("lenient", False)
        if not isinstance(lenient, bool):
            raise EngineError('"lenient" must be true or false')
        return qtext, fields, boosts, operator == "and", lenient

    def ping(self) -> PingResult:
        started = time.perf_counter()
        try:
            opened = self._open()
            docs = opened.index.searcher().num_docs
        except EngineError as exc:
            return PingResult(False, str(exc), (time.perf_counter() - started) * 1000)
        return PingResult(
            True,
            f"local index {opened.info.name!r}: {docs} docs",
            (time.perf_counter() - started) * 1000,
        )
