"""The built-in engine (tantivy, in process) over Cranfield, for the conformance suite and as the
reference the other engines' Cranfield scores are compared with."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from searchbench.domain.search import EndpointConfig
from tests.engines.harness import EngineTarget, HarnessContext, cranfield_docs

LOCAL_TEMPLATES: dict[str, str] = {
    "bm25": '{"query": "#$query##", "fields": ["title", "body"]}',
    "keyword": '{"query": "#$keyword1##", "fields": ["title", "body"]}',
    "option": '{"query": "#$query##", "fields": ["#$qOption.field##"]}',
    "curator": '{"query": "#$query##", "fields": ["title^##title_boost##", "body"]}',
    "bad": '{"query": "title:(#$query##"}',
}


def local_target(ctx: HarnessContext) -> Iterator[EngineTarget]:
    """The built-in tantivy engine over a Cranfield index built in the scratch directory."""
    from searchbench.engines.local import create_index

    source = ctx.work_dir / "cranfield.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for doc in cranfield_docs(ctx.shared_data):
            handle.write(json.dumps(doc) + "\n")
    began = time.monotonic()
    # The English analyzer (Lucene's stop set, possessives, stemming) is the equivalent of the
    # Solr/ES/OpenSearch schemas; tantivy's default en_stem keeps stop words.
    info = create_index(
        "cranfield",
        source,
        fields=["title", "author", "body"],
        data_dir=ctx.work_dir,
        analyzer="english",
    )
    yield EngineTarget(
        name="local",
        endpoint=EndpointConfig(kind="local", url="local://cranfield", data_dir=ctx.work_dir),
        templates=dict(LOCAL_TEMPLATES),
        bad_query_error="cannot parse",
        notes={
            "analyzer": "english",
            "documents": info.doc_count,
            "index_seconds": round(time.monotonic() - began, 2),
        },
    )
