"""Stored static sets are indexed by query: a lookup reads its own query's rows and no others.

(The cost this removes: a 60 MB set was parsed whole on every query-page view, 3–5 s and ~1 GB.)
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from searchbench.domain.search import EndpointConfig, QueryContext, TryConfig
from searchbench.engines import make_engine
from searchbench.engines.static import from_snapshot, load, save
from searchbench.engines.static import store as store_module


def big_set(queries: int = 300, docs: int = 20) -> Any:
    return from_snapshot(
        {
            f"query {q}": [
                {"id": f"{q}-{d}", "fields": {"title": f"doc {d} of {q}"}} for d in range(docs)
            ]
            for q in range(queries)
        }
    )


def test_a_lookup_reads_only_its_querys_rows(tmp_path: Path) -> None:
    save(big_set(), "big", tmp_path)
    # Break every other query's stored docs: a lookup that read them would fail to decode them.
    path = tmp_path / "static" / "big.sqlite"
    with sqlite3.connect(path) as con:
        con.execute(
            "UPDATE docs SET fields = '{broken' WHERE query_id != "
            "(SELECT id FROM queries WHERE text = 'query 7')"
        )
    engine = make_engine(EndpointConfig(kind="static", url="static://big", data_dir=tmp_path))
    result = engine.search(
        QueryContext("Query  7"), TryConfig(template="", rows=3, start=2, field_spec="id:id title")
    )
    assert result.error is None, result.error
    assert [d.id for d in result.docs] == ["7-2", "7-3", "7-4"]
    assert result.total == 20
    assert result.docs[0].title == "doc 2 of 7"


def test_every_statement_of_a_lookup_uses_an_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(big_set(50, 5), "big", tmp_path)
    statements: list[str] = []
    real_connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        con: sqlite3.Connection = real_connect(*args, **kwargs)
        con.set_trace_callback(statements.append)
        return con

    monkeypatch.setattr(sqlite3, "connect", traced)
    stored = store_module.open_set("big", tmp_path)
    assert stored.lookup("query 9", 0, 10) is not None
    assert stored.lookup("QUERY 9 ", 0, 10) is not None  # the case- and space-forgiving path
    assert stored.lookup("missing", 0, 10) is None
    # (The set's few meta rows are read whole when it is opened; they are not per query.)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "meta" not in s]
    # exact + docs; exact, forgiving + docs; exact, forgiving (and nothing else)
    assert len(selects) == 7
    with real_connect(tmp_path / "static" / "big.sqlite") as con:
        for sql in selects:
            plan = " | ".join(row[-1] for row in con.execute(f"EXPLAIN QUERY PLAN {sql}"))
            assert "SCAN" not in plan, (sql, plan)


def test_a_set_stored_by_an_older_version_is_converted_once(tmp_path: Path) -> None:
    folder = tmp_path / "static"
    folder.mkdir()
    legacy = {
        "version": 1,
        "source": "old.csv",
        "fields": ["title"],
        "queries": [
            {
                "text": "alien",
                "total": None,
                "docs": [{"id": "347", "position": 1, "fields": {"title": "Alien"}}],
            }
        ],
    }
    (folder / "old.json").write_text(json.dumps(legacy), encoding="utf-8")
    engine = make_engine(EndpointConfig(kind="static", url="static://old", data_dir=tmp_path))
    result = engine.search(QueryContext("alien"), TryConfig(template="", field_spec="id:id title"))
    assert [d.title for d in result.docs] == ["Alien"]
    assert (folder / "old.sqlite").is_file() and not (folder / "old.json").exists()
    assert load("old", tmp_path).fields == ["title"]


def test_a_damaged_set_is_a_per_query_error_without_a_server_path(tmp_path: Path) -> None:
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "bad.sqlite").write_bytes(b"not a database at all" * 100)
    engine = make_engine(EndpointConfig(kind="static", url="static://bad", data_dir=tmp_path))
    result = engine.search(QueryContext("alien"), TryConfig(template=""))
    assert result.error == "static results 'bad' are unreadable; import them again"
    assert not engine.ping().ok
