"""The static engine against every live engine: freeze a Cranfield run, serve it, score it again.

For each engine of the conformance suite, the 225 Cranfield queries are run live, frozen two ways
(exported as a static-data CSV and imported back; kept as a snapshot with scores and explain), and
served by the static engine. A case scored against the frozen results must score exactly like the
live run, query by query, which is what a frozen baseline is for.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from searchbench.domain.scorers import RankedDoc
from searchbench.domain.scoring import score_case
from searchbench.domain.search import EndpointConfig, QueryContext, SearchResult, TryConfig
from searchbench.engines import make_engine
from searchbench.engines.runner import run_queries
from searchbench.engines.static import from_snapshot, import_csv, to_csv
from searchbench.engines.static.results import StaticDoc, StaticQuery, StaticResults
from tests.engines.harness import EngineTarget
from tests.engines.test_conformance import load_case

pytestmark = pytest.mark.engines

SCORERS = ("nDCG@10", "map", "quepid:P@10")


def ranked(
    results: dict[str, SearchResult], ratings: dict[str, dict[str, float]]
) -> dict[str, list[RankedDoc]]:
    return {
        q: [RankedDoc(d.id, d.fields, ratings.get(q, {}).get(d.id)) for d in r.docs]
        for q, r in results.items()
    }


def run_all(
    endpoint: EndpointConfig, template: str, queries: dict[str, str], explain: bool
) -> dict[str, SearchResult]:
    try_config = TryConfig(
        template=template, field_spec="id:id title:title", rows=10, explain=explain
    )
    results = run_queries(
        make_engine(endpoint), [QueryContext(t) for t in queries.values()], try_config, 4
    )
    errors = [r.error for r in results if r.error]
    assert not errors, errors[:3]
    return dict(zip(queries, results, strict=True))


def test_a_frozen_run_scores_like_the_live_one(
    engine: EngineTarget, shared_data: Path, tmp_path: Path
) -> None:
    texts, ratings = load_case(shared_data)
    # Cranfield has a few queries with the same text; a frozen set is keyed by text.
    queries = {q: t for q, t in texts.items() if list(texts.values()).count(t) == 1}
    live = run_all(engine.endpoint, engine.templates["bm25"], queries, explain=True)

    frozen = StaticResults(
        {
            queries[q]: StaticQuery(
                queries[q],
                [StaticDoc(d.id, i + 1, dict(d.fields)) for i, d in enumerate(r.docs)],
                r.total,
            )
            for q, r in live.items()
        },
        ["title"],
    )
    csv_path = tmp_path / "frozen.csv"
    csv_path.write_text(to_csv(frozen), encoding="utf-8")
    import_csv(csv_path, "frozen", tmp_path)
    from_csv = run_all(
        EndpointConfig(kind="static", url="static://frozen", data_dir=tmp_path),
        "",
        queries,
        explain=False,
    )
    snapshot = {
        queries[q]: {
            "total": r.total,
            "docs": [
                {
                    "id": d.id,
                    "fields": d.fields,
                    "score": d.score,
                    "explain": d.explain.to_dict() if d.explain else None,
                }
                for d in r.docs
            ],
        }
        for q, r in live.items()
    }
    from_snapshot(snapshot)  # a snapshot the engine refuses would fail here with its problems
    served = run_all(
        EndpointConfig(kind="static", url="", options={"results": snapshot}),
        "",
        queries,
        explain=True,
    )

    for q, r in live.items():
        assert [d.id for d in from_csv[q].docs] == [d.id for d in r.docs], q
        assert [d.title for d in from_csv[q].docs] == [d.title for d in r.docs], q
        assert [(d.id, d.score) for d in served[q].docs] == [(d.id, d.score) for d in r.docs], q
        assert served[q].total == r.total
        if r.docs and r.docs[0].explain is not None:
            assert served[q].docs[0].explain == r.docs[0].explain
    for scorer in SCORERS:
        expected = score_case(scorer, ranked(live, ratings), ratings).per_query
        assert score_case(scorer, ranked(from_csv, ratings), ratings).per_query == expected
        assert score_case(scorer, ranked(served, ratings), ratings).per_query == expected
