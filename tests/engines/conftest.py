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

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engines.harness import (
    REPORT,
    EngineTarget,
    HarnessContext,
    HarnessError,
    HarnessFactory,
)
from tests.engines.harness_local import local_target
from tests.engines.harness_opensearch import elasticsearch_target, opensearch_target
from tests.engines.harness_searchapi import searchapi_target
from tests.engines.harness_solr import solr_target

HARNESSES: dict[str, HarnessFactory] = {
    "local": local_target,
    "solr": solr_target,
    "opensearch": opensearch_target,
    "elasticsearch": elasticsearch_target,
    "searchapi": searchapi_target,
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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not REPORT:
        return
    write = terminalreporter.write_line
    terminalreporter.section("engine conformance: Cranfield (225 queries, BM25)")
    write(f"{'engine':<15}{'nDCG@10':>9}{'MAP':>9}{'start s':>9}{'cold':>6}{'index s':>9}")
    for name, facts in sorted(REPORT.items()):
        scores = facts.get("cranfield") or {}
        assert isinstance(scores, dict)
        write(
            f"{name:<15}{scores.get('nDCG@10', float('nan')):>9.4f}{scores.get('map', float('nan')):>9.4f}"
            f"{facts.get('start_seconds', '-')!s:>9}{facts.get('cold', '-')!s:>6}"
            f"{facts.get('index_seconds', '-')!s:>9}"
        )
