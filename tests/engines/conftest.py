"""Session fixtures of the engine suites and the harness registry.

``HARNESSES`` maps an engine name to a factory: a generator function that gets a
``HarnessContext`` (its own scratch directory, the shared test data), starts or builds the engine,
indexes Cranfield into it, yields one ready ``EngineTarget`` (endpoint + templates for every
``TEMPLATE_ROLES`` entry) and cleans up when resumed. The ``engine`` fixture is parametrized over
the table, so every conformance test runs once per engine; pytest groups the tests by engine, so
each engine starts once per session. To add an engine, add one line here and write its factory
next to its harness (``harness_<name>.py``). ``benchmarks/engines.py`` uses the same table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from searchbench.engines.base import EndpointConfig
from tests.engines.harness import (
    EngineTarget,
    HarnessContext,
    HarnessError,
    HarnessFactory,
    cranfield_docs,
)
from tests.engines.harness_solr import solr_target

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
    info = create_index(
        "cranfield", source, fields=["title", "author", "body"], data_dir=ctx.work_dir
    )
    yield EngineTarget(
        name="local",
        endpoint=EndpointConfig(
            kind="local", url="local://cranfield", options={"data_dir": ctx.work_dir}
        ),
        templates=dict(LOCAL_TEMPLATES),
        bad_query_error="cannot parse",
        notes={"documents": info.doc_count, "index_seconds": round(time.monotonic() - began, 2)},
    )


HARNESSES: dict[str, HarnessFactory] = {
    "local": local_target,
    "solr": solr_target,
}


@pytest.fixture(scope="session", params=list(HARNESSES))
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[EngineTarget]:
    """One ready engine with Cranfield indexed; the test runs once per entry of HARNESSES."""
    name: str = request.param
    factory = HARNESSES[name]
    targets = factory(HarnessContext(tmp_path_factory.mktemp(f"engine-{name}"), shared_data))
    try:
        target = next(targets)
    except HarnessError as exc:
        pytest.fail(f"{name}: {exc}", pytrace=False)
    try:
        yield target
    finally:
        targets.close()
