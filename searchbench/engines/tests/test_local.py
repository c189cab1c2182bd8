from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from searchbench.domain.explain_analysis import breakdown, compare, summarize
from searchbench.engines import EndpointConfig, QueryContext, TryConfig, make_engine
from searchbench.engines.local import (
    LocalIndexError,
    create_index,
    delete_index,
    list_indexes,
    open_index,
)

DOCS = [
    {
        "id": "d1",
        "title": "Boundary layer on a flat plate",
        "body": "laminar flow over a flat plate",
        "year": 1958,
        "img": "d1.png",
    },
    {
        "id": "d2",
        "title": "Heat transfer in hypersonic flow",
        "body": "the boundary layer heats up",
        "year": 1960,
    },
    {
        "id": "d3",
        "title": "Wing theory",
        "body": "lift of a slender wing; boundary conditions",
        "year": 1955,
    },
    {
        "id": "d4",
        "title": "Shock waves",
        "body": "shock and boundary-layer interaction near a flat wall",
        "year": 1962,
    },
]


def write_jsonl(path: Path, docs: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


@pytest.fixture
def index(tmp_path: Path, data_dir: Path) -> str:
    create_index("aero", write_jsonl(tmp_path / "docs.jsonl", DOCS), "id", ["title", "body"])
    return "aero"


def search(query: str, template: str = '{"query": "#$query##"}', **kw: object):  # type: ignore[no-untyped-def]
    engine = make_engine(EndpointConfig(kind="local", url="local://aero"))
    return engine.search(QueryContext(query), TryConfig(template=template, **kw))  # type: ignore[arg-type]


def test_it_builds_an_index_with_metadata(index: str, data_dir: Path) -> None:
    [info] = list_indexes()
    assert (info.name, info.doc_count, info.id_field, info.fields) == (
        "aero",
        4,
        "id",
        ["title", "body"],
    )
    meta = json.loads((data_dir / "indexes" / "aero" / "searchbench.json").read_text())
    assert meta["doc_count"] == 4 and meta["extra"]["analyzer"] == "en_stem"


def test_it_finds_stemmed_terms_with_bm25_scores_in_rank_order(index: str) -> None:
    res = search("plates", field_spec="id:id title:title year")
    assert res.error is None
    assert res.total == 1 and res.docs[0].id == "d1"
    assert res.docs[0].title == "Boundary layer on a flat plate"
    assert res.docs[0].fields == {
        "id": "d1",
        "title": "Boundary layer on a flat plate",
        "year": 1958,
    }
    res = search("boundary")
    scores = [d.score for d in res.docs]
    assert res.total == 4 and scores == sorted(scores, reverse=True)  # type: ignore[type-var]
    assert [d.position for d in res.docs] == [0, 1, 2, 3]


def test_field_boosts_change_the_order(index: str) -> None:
    body_first = search("flat", '{"query": "#$query##", "fields": ["title", "body^10"]}')
    title_first = search("flat", '{"query": "#$query##", "fields": ["title^10", "body"]}')
    assert body_first.docs[0].id == "d1"  # in both title and body
    assert [d.id for d in title_first.docs] == ["d1", "d4"]
    assert title_first.docs[0].score > body_first.docs[0].score / 10  # type: ignore[operator]


def test_it_runs_phrase_and_boolean_queries_without_escaping(index: str) -> None:
    assert [d.id for d in search('"flat plate"', escape=False).docs] == ["d1"]
    assert {d.id for d in search("boundary AND -wing", escape=False).docs} == {"d1", "d2", "d4"}
    assert [d.id for d in search("title:shock", escape=False).docs] == ["d4"]


@pytest.mark.parametrize(
    "text",
    ["title:(", "biot's plate", "a /flat/ plate", "plate AND OR NOT", "x IN [a b]", 'C++ "code'],
)
def test_escaping_makes_syntax_characters_literal(index: str, text: str) -> None:
    assert search(text, escape=False).error is not None
    assert search(text, escape=True).error is None


def test_operator_and_makes_every_term_required(index: str) -> None:
    res = search("boundary wing", '{"query": "#$query##", "operator": "and"}')
    assert [d.id for d in res.docs] == ["d3"]


def test_rows_and_start_page_through_results(index: str) -> None:
    all_ids = [d.id for d in search("boundary").docs]
    page2 = search("boundary", rows=2, start=2)
    assert page2.total == 4 and [d.id for d in page2.docs] == all_ids[2:]
    assert [d.position for d in page2.docs] == [2, 3]
    assert search("boundary", rows=0).total == 4


def test_it_explains_scores_per_field_and_term(index: str) -> None:
    res = search("flat plate", '{"query": "#$query##", "fields": ["title^2", "body"]}')
    top = res.docs[0].explain
    assert top is not None and top.value == pytest.approx(res.docs[0].score, rel=1e-4)
    parts = breakdown(top).clauses
    assert {c.label for c in parts} == {"title:flat", "title:plate", "body:flat", "body:plate"}
    assert sum(c.contribution for c in parts) == pytest.approx(top.value, rel=1e-4)
    assert {c.field: c.weight for c in parts} == {"title": pytest.approx(2.0), "body": 1.0}
    assert compare(top, res.docs[1].explain).rows[0].delta > 0  # type: ignore[arg-type]
    assert summarize(d.explain for d in res.docs).shares[0].label.startswith("title:")
    assert search("flat", explain=False).docs[0].explain is None


def test_it_highlights_hl_fields_and_fills_thumbs(index: str) -> None:
    spec = 'title hl:body {"name": "img", "type": "thumb", "prefix": "https://img.example/"}'
    res = search("laminar", field_spec=spec)
    assert res.docs[0].highlights == {"body": ["<em>laminar</em> flow over a flat plate"]}
    assert res.docs[0].thumb == "https://img.example/d1.png"


def test_star_returns_every_source_field(index: str) -> None:
    res = search("shock", field_spec="")
    assert res.docs[0].fields == DOCS[3]


def test_bad_queries_and_templates_become_errors_not_exceptions(index: str) -> None:
    assert "tantivy cannot parse" in (search("a AND", escape=False).error or "")
    assert "not searchable" in (
        search("x", '{"query": "#$query##", "fields": ["year"]}').error or ""
    )
    assert "unknown key" in (search("x", '{"q": "#$query##"}').error or "")
    assert "unknown placeholder" in (search("x", '{"query": "#$qery##"}').error or "")
    assert "not valid JSON" in (search("x", '{"query": #$query##').error or "")
    missing = make_engine(EndpointConfig(kind="local", url="local://nope")).search(
        QueryContext("x"), TryConfig(template="")
    )
    assert "no local index 'nope'" in (missing.error or "")


def test_ping_reports_the_doc_count(index: str) -> None:
    ping = make_engine(EndpointConfig(kind="local", url="aero")).ping()
    assert ping.ok and "4 docs" in ping.message
    assert not make_engine(EndpointConfig(kind="local", url="missing")).ping().ok


def test_a_rebuild_replaces_the_index_and_removes_the_old_version(
    index: str, tmp_path: Path, data_dir: Path
) -> None:
    old = open_index("aero").info
    create_index("aero", write_jsonl(tmp_path / "two.jsonl", DOCS[:2]), "id", ["title"])
    assert search("wing").total == 0 and search("boundary").total == 1
    versions = os.listdir(data_dir / "indexes" / ".versions")
    assert len(versions) == 1 and old.doc_count == 4


def test_a_failed_rebuild_keeps_the_old_index(index: str, tmp_path: Path, data_dir: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "title": "x"}\n{"id": "a", "title": "y"}\n')
    with pytest.raises(LocalIndexError, match=r"bad.jsonl:2: duplicate id 'a'"):
        create_index("aero", bad)
    assert search("boundary").total == 4
    assert len(os.listdir(data_dir / "indexes" / ".versions")) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "a"}\n{oops\n', r":2: not valid JSON"),
        ('{"title": "no id"}\n', r":1: missing id field 'id'"),
        ('["a"]\n', r":1: expected a JSON object"),
        ('{"id": "a", "title": {"x": 1}}\n', r":1: field 'title' must be text"),
    ],
)
def test_bad_source_lines_are_named(
    tmp_path: Path, data_dir: Path, content: str, message: str
) -> None:
    src = tmp_path / "s.jsonl"
    src.write_text(content)
    with pytest.raises(LocalIndexError, match=message):
        create_index("x", src)
    assert list_indexes() == []


def test_bad_names_are_refused(tmp_path: Path, data_dir: Path) -> None:
    src = write_jsonl(tmp_path / "d.jsonl", DOCS)
    with pytest.raises(LocalIndexError, match="bad index name"):
        create_index("../escape", src)
    with pytest.raises(LocalIndexError, match="bad field name"):
        create_index("ok", src, fields=["__source"])
    with pytest.raises(LocalIndexError, match="no such file"):
        create_index("ok", tmp_path / "missing.jsonl")


def test_delete_removes_the_index(index: str, data_dir: Path) -> None:
    delete_index("aero")
    assert list_indexes() == []
    assert os.listdir(data_dir / "indexes" / ".versions") == []
    with pytest.raises(LocalIndexError, match="no local index"):
        delete_index("aero")


def test_it_indexes_cranfield(shared_data: Path, data_dir: Path) -> None:
    calls: list[tuple[int, int]] = []
    info = create_index(
        "cranfield",
        shared_data / "cranfield" / "docs.jsonl",
        "id",
        ["title", "author", "body"],
        progress=lambda d, t: calls.append((d, t)),
    )
    assert info.doc_count == 1400
    assert calls[-1][0] == calls[-1][1]
    res = search_engine("cranfield", "boundary layer flat plate")
    assert res.error is None and res.total > 100 and len(res.docs) == 10


def search_engine(name: str, query: str):  # type: ignore[no-untyped-def]
    engine = make_engine(EndpointConfig(kind="local", url=f"local://{name}"))
    return engine.search(
        QueryContext(query),
        TryConfig(template='{"query": "#$query##", "fields": ["title^2", "body"]}'),
    )


def test_the_english_analyzer_drops_stop_words_and_possessives(
    tmp_path: Path, data_dir: Path
) -> None:
    docs = [{"id": "1", "title": "the theory of wings"}, {"id": "2", "title": "Biot's principle"}]
    create_index(
        "en", write_jsonl(tmp_path / "e.jsonl", docs), fields=["title"], analyzer="english"
    )
    create_index("raw", write_jsonl(tmp_path / "e.jsonl", docs), fields=["title"])
    en = make_engine(EndpointConfig(kind="local", url="local://en"))
    raw = make_engine(EndpointConfig(kind="local", url="local://raw"))
    the = TryConfig(template='{"query": "#$query##"}', escape=False)
    assert en.search(QueryContext("the"), the).total == 0
    assert raw.search(QueryContext("the"), the).total == 1
    assert [d.id for d in en.search(QueryContext("biot"), the).docs] == ["2"]
    assert en.search(QueryContext("s"), the).total == 0
    assert [d.id for d in en.search(QueryContext("wing"), the).docs] == ["1"]
    with pytest.raises(LocalIndexError, match="unknown analyzer"):
        create_index("x", tmp_path / "e.jsonl", fields=["title"], analyzer="klingon")


def test_an_open_index_follows_rebuilds(index: str, tmp_path: Path) -> None:
    first = open_index("aero")
    assert open_index("aero") is first
    create_index("aero", write_jsonl(tmp_path / "one.jsonl", DOCS[:1]), "id", ["title"])
    second = open_index("aero")
    assert second is not first and second.info.doc_count == 1
