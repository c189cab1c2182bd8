"""Static results served as an engine, so a case can be scored against frozen results.

Endpoint URL ``static://NAME``: a stored set (``store.py``: a CSV import, or a snapshot served from
the web app), read from the server's data directory (``EndpointConfig.data_dir``, else
``SEARCHBENCH_DATA_DIR``). Endpoints saved before snapshots became stored sets hold the frozen
mapping in the option ``results`` (see ``results.from_snapshot``).

A query is looked up by its text (exactly, else ignoring case and spacing); the try's template is
not used, its field spec, rows and start are. A query that is not in the results is a per-query
error naming it, so a case run shows which queries the frozen set lacks. A lookup reads only that
query's page of docs.

Who may use which set is the web app's rule (checked before the engine is built); this engine
serves whatever set its URL names.
"""

from __future__ import annotations

import threading
from typing import Any

from searchbench.domain.search import ExplainNode, PingResult, QueryContext, SearchResult, TryConfig
from searchbench.engines.base import Engine, EngineError, build_doc, field_spec
from searchbench.engines.static.results import StaticResults, StaticResultsError, from_snapshot
from searchbench.engines.static.store import StoredSet, open_set


class StaticEngine(Engine):
    kind = "static"

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._lock = threading.Lock()
        self._snapshot: StaticResults | None = None

    def _label(self) -> str:
        return "the snapshot" if "results" in self.config.options else self.config.url

    def results(self) -> StaticResults | StoredSet:
        """What queries are looked up in: the snapshot in the options, else the stored set
        (opened afresh each time, so a re-import is seen at once)."""
        options = self.config.options
        try:
            if "results" in options:
                with self._lock:
                    if self._snapshot is None:
                        self._snapshot = from_snapshot(options["results"])
                    return self._snapshot
            return open_set(self.config.url, self.config.data_dir)
        except StaticResultsError as exc:
            raise EngineError(str(exc)) from None

    def execute(self, query: QueryContext, try_config: TryConfig) -> SearchResult:
        spec = field_spec(try_config)
        results = self.results()
        start = max(0, try_config.start)
        try:
            found = results.lookup(query.text, start, try_config.rows)
        except StaticResultsError as exc:
            raise EngineError(str(exc)) from None
        request = {"static": self._label(), "query": query.text}
        if found is None:
            try:
                count = f" ({results.query_count} queries)"
            except StaticResultsError:
                count = ""
            raise EngineError(
                f"query {query.text!r} is not in the static results {self._label()}{count}"
            )
        docs = []
        for i, frozen in enumerate(found.docs):
            source = {**frozen.fields, spec.id: frozen.id}
            doc = build_doc(spec, start + i, source, doc_id=frozen.id, score=frozen.score)
            if try_config.explain and frozen.explain:
                doc.explain = ExplainNode.from_dict(frozen.explain)
            docs.append(doc)
        return SearchResult(
            total=found.total,
            docs=docs,
            request=request,
            response={"query": found.text, "docs": len(found.docs)},
        )

    def ping(self) -> PingResult:
        try:
            results = self.results()
            counts = f"{results.query_count} queries, {results.doc_count} docs"
        except (EngineError, StaticResultsError) as exc:
            return PingResult(False, str(exc))
        return PingResult(True, f"static results: {counts}")
