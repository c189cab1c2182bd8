"""Static results: CSV import (all-or-nothing, with line numbers), snapshots, and the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchbench.domain.scorers import RankedDoc
from searchbench.domain.scoring import score_case
from searchbench.domain.search import EndpointConfig, QueryContext, TryConfig
from searchbench.engines import make_engine
from searchbench.engines.registry import ENGINES
from searchbench.engines.runner import run_queries
from searchbench.engines.static import (
    StaticEngine,
    StaticResultsError,
    from_snapshot,
    import_csv,
    list_static,
    load,
    read_csv,
    to_csv,
)

GOOD = """\
Query Text,Doc ID,Doc Position,title,poster
star wars,11,1,Star Wars,/p/11.jpg
star wars,1891,2,The Empire Strikes Back,
star wars,1892,3,"Return of the Jedi,
the third one",/p/1892.jpg
alien,348,2,Aliens,/p/348.jpg
alien,347,1,Alien,https://cdn.example/347.jpg
"""
SPEC = 'id:id title:title {"name": "poster", "type": "thumb", "prefix": "https://img.example"}'


def write(tmp_path: Path, text: str, name: str = "frozen.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def engine_for(data_dir: Path, name: str = "frozen") -> StaticEngine:
    config = EndpointConfig(kind="static", url=f"static://{name}", data_dir=data_dir)
    engine = make_engine(config)
    assert isinstance(engine, StaticEngine)
    return engine


# --- CSV parsing ----------------------------------------------------------------------------------


def test_it_reads_queries_docs_in_position_order_and_fields(tmp_path: Path) -> None:
    results = read_csv(write(tmp_path, GOOD))
    assert list(results.queries) == ["star wars", "alien"]
    assert results.fields == ["title", "poster"]
    alien = results.queries["alien"]
    assert [(d.id, d.position) for d in alien.docs] == [("347", 1), ("348", 2)]
    jedi = results.queries["star wars"].docs[2]
    assert jedi.fields["title"] == "Return of the Jedi,\nthe third one"
    assert "poster" not in results.queries["star wars"].docs[1].fields  # empty cell: no value


def test_it_accepts_a_byte_order_mark_and_any_header_case(tmp_path: Path) -> None:
    text = "\ufeffquery text, doc id ,DOC POSITION\nq,1,1\n"
    results = read_csv(write(tmp_path, text))
    assert [d.id for d in results.queries["q"].docs] == ["1"]


def test_it_reports_every_bad_row_with_its_line(tmp_path: Path) -> None:
    text = (
        "Query Text,Doc ID,Doc Position,title\n"  # line 1
        'q1,1,1,"two\nlines"\n'  # lines 2-3
        "q1,2,one,Bad position\n"  # line 4
        "q1,3,1,Same position as line 2\n"  # line 5
        ",4,2,No query\n"  # line 6
        "q1,1,3,Doc 1 again\n"  # line 7
        "q1,5,4\n"  # line 8: a column short
        "q2,,0,No id and position 0\n"  # line 9
    )
    with pytest.raises(StaticResultsError) as caught:
        read_csv(write(tmp_path, text))
    assert caught.value.problems == [
        f"{tmp_path / 'frozen.csv'}:4: column 'Doc Position' is 'one', expected a whole number from 1 up",
        f"{tmp_path / 'frozen.csv'}:5: query 'q1' has position 1 twice (also line 2)",
        f"{tmp_path / 'frozen.csv'}:6: column 'Query Text' is empty",
        f"{tmp_path / 'frozen.csv'}:7: query 'q1' lists doc '1' twice (also line 2)",
        f"{tmp_path / 'frozen.csv'}:8: 3 columns, but the header has 4",
        f"{tmp_path / 'frozen.csv'}:9: column 'Doc ID' is empty",
        f"{tmp_path / 'frozen.csv'}:9: column 'Doc Position' is '0', expected a whole number from 1 up",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "Query,Doc ID,Doc Position\n",
            "the header must start with Query Text,Doc ID,Doc Position",
        ),
        (
            "Query Text,Doc ID,Doc Position,title,Title\n",
            "header column 5 'Title' repeats column 4",
        ),
        ("Query Text,Doc ID,Doc Position,,x\n", "header column 4 has no name"),
        ("", "empty file"),
        ("\n\n", "empty file"),
    ],
)
def test_a_bad_header_is_named(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(StaticResultsError, match=problem):
        read_csv(write(tmp_path, text))


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "Query Text,Doc ID,Doc Position\ncafé,1,1\n", encoding="latin-1")
    with pytest.raises(StaticResultsError, match=r"frozen.csv:2: not UTF-8 \(byte 0xe9\)"):
        read_csv(path)


def test_broken_quoting_is_reported(tmp_path: Path) -> None:
    text = 'Query Text,Doc ID,Doc Position\nq,1,1\nq,"2"x,2\n'
    with pytest.raises(StaticResultsError, match=r"frozen.csv:3: broken CSV"):
        read_csv(write(tmp_path, text))


def test_a_long_list_of_problems_is_cut_short_but_kept_whole(tmp_path: Path) -> None:
    rows = "".join(f"q,{i},x\n" for i in range(30))
    with pytest.raises(StaticResultsError) as caught:
        read_csv(write(tmp_path, "Query Text,Doc ID,Doc Position\n" + rows))
    assert len(caught.value.problems) == 30
    assert str(caught.value).endswith("… and 10 more")


# --- import and storage ---------------------------------------------------------------------------


def test_import_is_all_or_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    import_csv(write(tmp_path, GOOD), "frozen", data)
    before = load("frozen", data)
    broken = write(tmp_path, GOOD + "alien,349,x,Alien 3,\n", "broken.csv")
    with pytest.raises(StaticResultsError, match="broken.csv:8"):
        import_csv(broken, "frozen", data)
    assert load("frozen", data) == before  # the stored set is untouched
    with pytest.raises(StaticResultsError):
        import_csv(broken, "other", data)
    assert list_static(data) == ["frozen"]
    assert [p.name for p in (data / "static").iterdir()] == ["frozen.sqlite"]  # no temp files


def test_a_bad_name_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(StaticResultsError, match="bad static results name '../x'"):
        import_csv(tmp_path / "missing.csv", "../x", tmp_path)


def test_the_data_dir_setting_is_the_default_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEARCHBENCH_DATA_DIR", str(tmp_path / "home"))
    import_csv(write(tmp_path, GOOD), "frozen")
    assert (tmp_path / "home" / "static" / "frozen.sqlite").is_file()
    result = make_engine(EndpointConfig(kind="static", url="static://frozen")).search(
        QueryContext("alien"), TryConfig(template="")
    )
    assert [d.id for d in result.docs] == ["347", "348"]


# --- the engine -----------------------------------------------------------------------------------


def test_it_is_registered_as_static() -> None:
    assert "static" in ENGINES


def test_it_serves_frozen_results_through_the_field_spec(tmp_path: Path) -> None:
    import_csv(write(tmp_path, GOOD), "frozen", tmp_path)
    result = engine_for(tmp_path).search(
        QueryContext("star wars"), TryConfig(template="ignored #$query##", field_spec=SPEC)
    )
    assert result.error is None
    assert result.total == 3
    assert [d.id for d in result.docs] == ["11", "1891", "1892"]
    assert [d.title for d in result.docs][:2] == ["Star Wars", "The Empire Strikes Back"]
    assert result.docs[0].thumb == "https://img.example/p/11.jpg"
    assert result.docs[1].thumb is None
    assert [d.position for d in result.docs] == [0, 1, 2]


def test_it_pages_and_counts(tmp_path: Path) -> None:
    import_csv(write(tmp_path, GOOD), "frozen", tmp_path)
    engine = engine_for(tmp_path)
    page = engine.search(QueryContext("star wars"), TryConfig(template="", rows=1, start=1))
    assert [(d.id, d.position) for d in page.docs] == [("1891", 1)]
    assert page.total == 3
    none = engine.search(QueryContext("star wars"), TryConfig(template="", rows=0))
    assert none.docs == [] and none.total == 3


def test_query_lookup_forgives_case_and_spacing(tmp_path: Path) -> None:
    import_csv(write(tmp_path, GOOD), "frozen", tmp_path)
    result = engine_for(tmp_path).search(QueryContext("  Star   WARS "), TryConfig(template=""))
    assert result.total == 3


def test_a_query_not_frozen_is_a_per_query_error_and_the_run_goes_on(tmp_path: Path) -> None:
    import_csv(write(tmp_path, GOOD), "frozen", tmp_path)
    results = run_queries(
        engine_for(tmp_path),
        [QueryContext("alien"), QueryContext("jaws"), QueryContext("star wars")],
        TryConfig(template=""),
        concurrency=2,
    )
    assert [r.error for r in results] == [
        None,
        "query 'jaws' is not in the static results static://frozen (2 queries)",
        None,
    ]


def test_a_missing_set_is_an_error_and_a_failed_ping(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, "nothing")
    result = engine.search(QueryContext("alien"), TryConfig(template=""))
    assert result.error and "no static results named 'nothing'" in result.error
    assert not engine.ping().ok


def test_it_picks_up_a_reimport(tmp_path: Path) -> None:
    import_csv(write(tmp_path, GOOD), "frozen", tmp_path)
    engine = engine_for(tmp_path)
    assert engine.ping().message == "static results: 2 queries, 5 docs"
    import_csv(
        write(tmp_path, "Query Text,Doc ID,Doc Position\njaws,578,1\n", "new.csv"),
        "frozen",
        tmp_path,
    )
    assert engine.ping().message == "static results: 1 queries, 1 docs"


# --- snapshots ------------------------------------------------------------------------------------

SNAPSHOT = {
    "boundary layer": {
        "total": 120,
        "docs": [
            {
                "id": "7",
                "fields": {"title": "Suction on a wing"},
                "score": 9.5,
                "explain": {"value": 9.5, "description": "sum of:", "kind": "sum", "children": []},
            },
            {"id": "3", "fields": {"title": "Flat plate"}, "score": 7.25},
        ],
    },
    "heat": [{"id": "9", "fields": {"title": "Heat transfer"}}],
}


def snapshot_engine() -> StaticEngine:
    engine = make_engine(EndpointConfig(kind="static", url="", options={"results": SNAPSHOT}))
    assert isinstance(engine, StaticEngine)
    return engine


def test_it_serves_a_snapshot_with_scores_totals_and_explain() -> None:
    engine = snapshot_engine()
    result = engine.search(
        QueryContext("boundary layer"), TryConfig(template="", field_spec="id:id title:title")
    )
    assert result.total == 120  # the engine's count when frozen, not the 2 docs kept
    assert [(d.id, d.score, d.title) for d in result.docs] == [
        ("7", 9.5, "Suction on a wing"),
        ("3", 7.25, "Flat plate"),
    ]
    assert result.docs[0].explain is not None and result.docs[0].explain.kind == "sum"
    assert result.docs[1].explain is None
    quiet = engine.search(QueryContext("boundary layer"), TryConfig(template="", explain=False))
    assert all(d.explain is None for d in quiet.docs)
    heat = engine.search(QueryContext("heat"), TryConfig(template=""))
    assert heat.total == 1 and heat.docs[0].score is None
    assert engine.ping().message == "static results: 2 queries, 3 docs"


def test_a_bad_snapshot_lists_every_problem() -> None:
    with pytest.raises(StaticResultsError) as caught:
        from_snapshot(
            {
                "a": {"total": -1, "docs": [{"id": "1"}, {"id": "1"}, {"fields": {}}]},
                "b": "nope",
                "c": [{"id": "2", "score": "high"}, {"id": "3", "explain": [1]}],
            }
        )
    assert caught.value.problems == [
        "snapshot: query 'a': total -1 is not a hit count",
        "snapshot: query 'a': doc '1' appears twice",
        "snapshot: query 'a': doc #3 has no id",
        "snapshot: query 'b': expected a list of docs",
        "snapshot: query 'c': doc '2': score 'high' is not a number",
        "snapshot: query 'c': doc '3': explain must be an object",
    ]


def test_a_case_scores_the_same_against_its_frozen_results(tmp_path: Path) -> None:
    ratings = {"star wars": {"11": 3.0, "1892": 2.0, "99": 3.0}, "alien": {"348": 3.0}}
    frozen = read_csv(write(tmp_path, GOOD))
    live = {
        q: [RankedDoc(d.id, d.fields, ratings[q].get(d.id)) for d in frozen.queries[q].docs]
        for q in ratings
    }
    import_csv(write(tmp_path, GOOD), "frozen", tmp_path)
    engine = engine_for(tmp_path)
    served = {}
    for q in ratings:
        result = engine.search(QueryContext(q), TryConfig(template="", rows=10))
        served[q] = [RankedDoc(d.id, d.fields, ratings[q].get(d.id)) for d in result.docs]
    for scorer in ("nDCG@10", "quepid:P@10"):
        assert (
            score_case(scorer, served, ratings).per_query
            == score_case(scorer, live, ratings).per_query
        )
    # and the numbers are the ones the ratings give: alien has its relevant doc second
    assert score_case("P@10", served, ratings).per_query["alien"] == pytest.approx(1 / 10)


def test_csv_written_back_reads_the_same(tmp_path: Path) -> None:
    results = read_csv(write(tmp_path, GOOD))
    again = read_csv(to_csv(results), name="round-trip")
    assert again.queries == results.queries
    assert again.fields == results.fields


def test_csv_export_writes_structured_values_as_json() -> None:
    frozen = from_snapshot({"q": [{"id": "1", "fields": {"tags": ["a", "b"], "n": 2}}]})
    assert to_csv(frozen) == 'Query Text,Doc ID,Doc Position,tags,n\nq,1,1,"[""a"", ""b""]",2\n'
