"""The JSON search API engine for the conformance suite, over a real OpenSearch node.

An OpenSearch ``_search`` URL *is* a JSON search API, so the searchapi adapter is held to the same
tests as the native adapters: the templates are full ``_search`` bodies (POST), JMESPath maps the
answer, ``size``/``from`` carry rows and start, and ``_explanation`` is passed through as the
score breakdown. Only the mapping differs from the opensearch target; the node is shared with it.
"""

from __future__ import annotations

from collections.abc import Iterator

from searchbench.domain.search import EndpointConfig
from tests.engines.harness import EngineTarget, HarnessContext
from tests.engines.harness_opensearch import (
    BAD_QUERY_ERROR,
    CRANFIELD_INDEX,
    OPENSEARCH_VERSION,
    opensearch_project,
    shared_node,
)

MAPPING = {
    "total_path": "hits.total.value",
    "docs_path": "hits.hits[].merge(_source, {score: _score, highlights: highlight, "
    "explain: _explanation})",
    "explain_field": "explain",
    "rows_param": "size",
    "start_param": "from",
}
_COMMON = '"track_total_hits": true, "explain": true, "highlight": {"fields": {"body": {}}}'
MOST_FIELDS = (
    '{"query": {"multi_match": {"query": "%s", "type": "most_fields", "fields": [%s]}}, '
    + _COMMON
    + "}"
)
TEMPLATES: dict[str, str] = {
    "bm25": MOST_FIELDS % ("#$query##", '"title", "body"'),
    "keyword": MOST_FIELDS % ("#$keyword1##", '"title", "body"'),
    "option": MOST_FIELDS % ("#$query##", '"#$qOption.field##"'),
    "curator": MOST_FIELDS % ("#$query##", '"title^##title_boost##", "body"'),
    "bad": '{"query": {"query_string": {"query": "title:(#$query##"}}, ' + _COMMON + "}",
}


def searchapi_target(ctx: HarnessContext) -> Iterator[EngineTarget]:
    """searchapi -> POST http://127.0.0.1:PORT/cranfield/_search on a fresh OpenSearch node."""
    with shared_node(opensearch_project(), ctx.work_dir, ctx.shared_data) as node:
        yield EngineTarget(
            name="searchapi",
            endpoint=EndpointConfig(
                kind="searchapi",
                url=f"{node.url}/{CRANFIELD_INDEX}/_search",
                method="POST",
                options=dict(MAPPING),
                timeout=30.0,
            ),
            templates=dict(TEMPLATES),
            bad_query_error=BAD_QUERY_ERROR,
            node=node,
            notes={
                "version": f"OpenSearch {OPENSEARCH_VERSION} as a JSON API",
                **node.notes,
                "start_seconds": round(node.start_seconds, 2),
                "cold": node.cold,
            },
        )
