"""Static results served as an engine, so a case can be scored against frozen results.

Endpoint URL ``static://NAME``: results imported from a CSV (``Query Text,Doc ID,Doc Position,
<field…>``) with :func:`searchbench.engines.static.results.import_csv`. Or, for a snapshot, the
endpoint option ``results`` holds the frozen mapping itself (see ``results.from_snapshot``).

A query is looked up by its text (exactly, else ignoring case and spacing); the try's template is
not used, its field spec, rows and start are. A query that is not in the results is a per-query
error naming it, so a case run shows which queries the frozen set lacks.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from searchbench.engines.base import (
    Engine,
    EngineError,
    ExplainNode,
    PingResult,
    QueryContext,
    SearchResult,
    TryConfig,
    build_doc,
    field_spec,
)
from searchbench.engines.static.results import (
    StaticResults,
    StaticResultsError,
    from_snapshot,
    load,
    static_dir,
    static_name,
)


class StaticEngine(Engine):
    kind = "static"

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._lock = threading.Lock()
        self._cached: tuple[float, StaticResults] | None = None

    def _label(self) -> str:
        return "the snapshot" if "results" in self.config.options else self.config.url

    def results(self) -> StaticResults:
        """The frozen results, reloaded when the stored file changes (a re-import)."""
        options = self.config.options
        with self._lock:
            try:
                if "results" in options:
                    if self._cached is None:
                        self._cached = (0.0, from_snapshot(options["results"]))
                    return self._cached[1]
                data_dir = options.get("data_dir")
                name = static_name(self.config.url)
                path = static_dir(Path(data_dir) if data_dir else None) / f"{name}.json"
                stamp = path.stat().st_mtime if path.exists() else -1.0
                if self._cached is None or self._cached[0] != stamp:
                    self._cached = (stamp, load(name, Path(data_dir) if data_dir else None))
                return self._cached[1]
            except StaticResultsError as exc:
                raise EngineError(str(exc)) from None

    def execute(self, query: QueryContext, try_config: TryConfig) -> SearchResult:
        spec = field_spec(try_config)
        results = self.results()
        found = results.find(query.text)
        request = {"static": self._label(), "query": query.text}
        if found is None:
            raise EngineError(
                f"query {query.text!r} is not in the static results {self._label()} "
                f"({len(results.queries)} queries)"
            )
        rows, start = max(0, try_config.rows), max(0, try_config.start)
        docs = []
        for i, frozen in enumerate(found.docs[start : start + rows]):
            source = {**frozen.fields, spec.id: frozen.id}
            doc = build_doc(spec, start + i, source, doc_id=frozen.id, score=frozen.score)
            if try_config.explain and frozen.explain:
                doc.explain = ExplainNode.from_dict(frozen.explain)
            docs.append(doc)
        return SearchResult(
            total=found.hit_count,
            docs=docs,
            request=request,
            response={"query": found.text, "docs": len(found.docs)},
        )

    def ping(self) -> PingResult:
        try:
            results = self.results()
        except EngineError as exc:
            return PingResult(False, str(exc))
        return PingResult(
            True, f"static results: {len(results.queries)} queries, {results.doc_count} docs"
        )
