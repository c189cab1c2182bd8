"""The pieces every import/export format shares, and each format's reader on small inputs."""

from __future__ import annotations

import io
from typing import Any

import pytest

from searchbench.domain.formats import information_needs, ltr, ratings_csv, rre, snapshot_csv
from searchbench.domain.formats.interchange import (
    CaseData,
    FormatError,
    QueryData,
    RatingData,
    guard_cell,
    js_key_order,
    unguard_cell,
)
from searchbench.domain.formats.trec import iter_qrels_blocks, load_qrels


@pytest.mark.parametrize(
    "cell,guarded",
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("-1 doc", "'-1 doc"),
        ("+x", "'+x"),
        ("@cmd", "'@cmd"),
        ("'=x", "''=x"),  # already looks guarded: guarded again, so it reads back as written
        ("'quoted'", "'quoted'"),  # a quote before anything harmless is left alone
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_the_formula_guard_is_undone_exactly(cell: str, guarded: str) -> None:
    assert guard_cell(cell) == guarded
    assert unguard_cell(guard_cell(cell)) == cell


def test_javascript_key_order_puts_array_indexes_first_ascending() -> None:
    keys = ["b", "10", "2", "a", "02", "4294967295", "0"]
    assert js_key_order(keys) == ["0", "2", "10", "b", "a", "02", "4294967295"]


def _read(module: Any, text: str) -> CaseData:
    case: CaseData = module.read(io.BytesIO(text.encode()), "f")
    return case


def _write(module: Any, case: CaseData) -> str:
    out = io.StringIO(newline="")
    module.write(case, out)
    return out.getvalue()


def test_ratings_csv_guards_formula_cells_and_reads_them_back() -> None:
    case = CaseData(
        queries=[QueryData("=cmd|' /C calc'!A0", [RatingData("@d1", 2.0)]), QueryData("-x")]
    )
    text = _write(ratings_csv, case)
    assert text == "query,docid,rating\n'=cmd|' /C calc'!A0,'@d1,2\n'-x,,\n"
    back = _read(ratings_csv, text)
    assert [(q.text, [(r.doc_id, r.rating) for r in q.ratings]) for q in back.queries] == [
        ("=cmd|' /C calc'!A0", [("@d1", 2.0)]),
        ("-x", []),
    ]


def test_every_problem_is_reported_with_its_line() -> None:
    with pytest.raises(FormatError) as info:
        _read(ratings_csv, "query,docid,rating\nq,d,x\nq,,3\nq,d2,1\nq,d2,2\n")
    assert info.value.problems == [
        ("line 2", "rating 'x' is not a number"),
        ("line 3", "the docid column is empty"),
        ("line 5", "query 'q' doc 'd2' rated 2 here but 1 on line 4"),
    ]
    with pytest.raises(FormatError) as info:
        _read(information_needs, "query,information_need\nq,need\nq,other\n")
    assert info.value.problems == [("line 3", "query 'q' has another need on line 2")]
    with pytest.raises(FormatError) as info:
        _read(ltr, "3 qid:1 # d q\n2 qid:1 # d2 other\nx qid:2 # d q2\n")
    assert info.value.problems == [
        ("line 2", "qid 1 is query 'q' on line 1"),
        ("line 3", "rating 'x' is not a number"),
    ]


def test_a_file_that_is_not_utf8_is_a_problem_on_its_line() -> None:
    with pytest.raises(FormatError, match="line 2: not UTF-8"):
        ratings_csv.read(io.BytesIO(b"query,docid,rating\nq\xff,d,1\n"), "f")


def test_rre_reads_topics_and_query_groups_and_writes_the_flat_export_shape() -> None:
    text = """{"index": "core1", "id_field": "id", "topics": [{"description": "basses",
      "query_groups": [{"name": "brand", "relevant_documents": {"3": ["b1", "b2"]},
        "queries": [{"template": "q.json", "placeholders": {"$query": "fender"}},
                    {"placeholders": {"$query": "fender bass"},
                     "relevant_documents": {"b9": {"rating": 1}}}]}]}]}"""
    case = _read(rre, text)
    assert [(q.text, [(r.doc_id, r.rating) for r in q.ratings]) for q in case.queries] == [
        ("fender", [("b1", 3.0), ("b2", 3.0)]),
        ("fender bass", [("b1", 3.0), ("b2", 3.0), ("b9", 1.0)]),
    ]
    assert case.headers == {"rre": {"id_field": "id", "index": "core1"}}
    written = _write(rre, case)
    assert '"index": "core1"' in written and '"b9": {\n          "gain": 1\n        }' in written


def test_rre_names_the_json_path_of_a_bad_judgment() -> None:
    with pytest.raises(FormatError) as info:
        _read(
            rre,
            '{"queries": [{"placeholders": {}}, {"placeholders": {"$query": "q"}, '
            '"relevant_documents": {"high": ["d1"], "d2": {"gain": "3"}}}]}',
        )
    assert info.value.problems == [
        ("queries[0].placeholders", 'expected {"$query": "query text"}'),
        ('queries[1].relevant_documents["high"]', "grade 'high' is not a number"),
        ('queries[1].relevant_documents["d2"]', 'expected {"gain": number} (or "rating")'),
    ]


def test_snapshot_times_are_read_in_both_shapes_and_written_as_iso() -> None:
    text = (
        "Snapshot Name,Snapshot Time,Case ID,Query Text,Doc ID,Doc Position\r\n"
        "s,10/10/18 18:05,7,q,d1,1\r\n"
        "t,2023-05-03T14:44:53.250Z,7,q,d2,1\r\n"
    )
    case = _read(snapshot_csv, text)
    assert [(s.name, s.time) for s in case.snapshots] == [
        ("s", "2018-10-10T18:05:00.000Z"),
        ("t", "2023-05-03T14:44:53.250Z"),
    ]
    with pytest.raises(FormatError) as info:
        _read(snapshot_csv, text.replace("10/10/18 18:05", "yesterday"))
    assert info.value.problems == [
        ("line 2", "Snapshot Time 'yesterday' is neither ISO 8601 nor M/D/YY HH:MM")
    ]


def test_qrels_of_blank_lines_only_read_as_empty() -> None:
    """load_qrels indexed an empty token array on a file of blank lines (IndexError)."""
    assert load_qrels(io.BytesIO(b"\n\n  \n")).qids == []


def test_qrels_blocks_split_at_lines_and_errors_name_the_line_in_the_whole_file() -> None:
    data = b"".join(f"q{i % 3} 0 d{i} {i % 4}\n".encode() for i in range(100))
    tables = list(iter_qrels_blocks(io.BytesIO(data), "f", block_size=64))
    assert len(tables) > 10
    rows = [
        (t.qids[q], d.decode(), r)
        for t in tables
        for q, d, r in zip(t.query, t.doc, t.rel, strict=True)
    ]
    assert rows == [(f"q{i % 3}", f"d{i}", i % 4) for i in range(100)]
    broken = data.replace(b"q1 0 d70 2\n", b"q1 0 d70 two\n")
    with pytest.raises(ValueError, match="^f:71: relevance 'two' is not an integer"):
        list(iter_qrels_blocks(io.BytesIO(broken), "f", block_size=64))


def test_json_formats_refuse_values_no_database_stores_with_their_line() -> None:
    from searchbench.domain.formats import quepid_case

    with pytest.raises(FormatError) as info:
        _read(
            rre,
            '{"queries": [{"placeholders": {"$query": "q"},\n"relevant_documents": '
            '{"d1": {"gain": NaN}}}]}',
        )
    ((where, why),) = info.value.problems
    assert where == "line 2" and "NaN" in why
    with pytest.raises(FormatError) as info:
        _read(quepid_case, '{"case_name": "c",\n "options": {"x": 1e999}}')
    assert info.value.problems[0][0] == "line 2"


def test_the_nul_character_is_refused_with_its_line() -> None:
    with pytest.raises(FormatError) as info:
        _read(ratings_csv, "query,docid,rating\nq,d\x00,1\n")
    assert info.value.problems == [("line 2", "the NUL character: this is not a text file")]
    with pytest.raises(FormatError) as info:
        _read(rre, '{"queries": [\n{"placeholders": {"$query": "q\\u0000"}}]}')
    assert info.value.problems == [("line 2", "the NUL character: no text may hold it")]


def test_text_formats_are_read_as_they_go_not_whole() -> None:
    """The first CSV row comes after one buffer of a 20 MB stream, the first qrels table after
    one block: files are read as they go, never whole."""
    from searchbench.domain.formats.interchange import Problems, csv_rows

    body = b"".join(b"q%d,d%d,1\n" % (i, i) for i in range(2_000_000))
    stream = io.BytesIO(b"query,docid,rating\n" + body)
    rows = csv_rows(stream, Problems("f"))
    assert next(rows) == (1, ["query", "docid", "rating"])
    assert stream.tell() < 1024 * 1024 < len(body)
    stream = io.BytesIO(b"".join(b"q 0 d%d 1\n" % i for i in range(500_000)))
    first = next(iter_qrels_blocks(stream, "f", block_size=1 << 16))
    assert stream.tell() <= 1 << 16 and len(first.qids) == 1


def test_quepid_custom_headers_nested_deep_are_a_problem_not_a_crash() -> None:
    """custom_headers is JSON inside a JSON string: json.loads of one nested 200,000 deep raised
    RecursionError (a server error) instead of naming the field."""
    import json

    from searchbench.domain.formats import quepid_case

    endpoint = {
        "search_engine": "solr",
        "endpoint_url": "http://localhost:8983/solr/x/select",
        "custom_headers": "[" * 200_000 + "]" * 200_000,
    }
    doc = {"case_name": "c", "try": {"name": "t", "search_endpoint": endpoint}}
    with pytest.raises(FormatError) as info:
        _read(quepid_case, json.dumps(doc))
    assert info.value.problems == [
        ("try.search_endpoint.custom_headers", "expected a JSON object of header: value")
    ]
