from __future__ import annotations

from pathlib import Path

import pytest

from searchbench.domain.ratings import RatingsFormatError, parse_ratings_csv, read_ratings_csv


def test_it_reads_rows_in_order_with_line_numbers() -> None:
    text = "query,docid,rating\nboundary layer,184,2\nboundary layer,29,0.5\n\nq2,7,3\n"
    rows = parse_ratings_csv(text, "r.csv")
    assert [(r.query, r.doc_id, r.rating, r.line) for r in rows] == [
        ("boundary layer", "184", 2.0, 2),
        ("boundary layer", "29", 0.5, 3),
        ("q2", "7", 3.0, 5),
    ]


def test_it_needs_no_header_and_accepts_quoted_commas() -> None:
    rows = parse_ratings_csv('"heat, conduction",d1,1\n', "r.csv")
    assert [(r.query, r.doc_id, r.rating) for r in rows] == [("heat, conduction", "d1", 1.0)]


def test_it_reports_every_bad_line_and_loads_nothing() -> None:
    text = "q,d1,1\nq,d2,high\nq,d3\n,d4,1\nq,d5,nan\n"
    with pytest.raises(RatingsFormatError) as info:
        parse_ratings_csv(text, "r.csv")
    assert [line for line, _ in info.value.problems] == [2, 3, 4, 5]
    message = str(info.value)
    assert "r.csv:2: rating 'high' is not a number" in message
    assert "r.csv:3: expected 3 columns" in message
    assert "r.csv:4: the query column is empty" in message


def test_a_typo_in_the_first_rating_is_not_taken_for_a_header() -> None:
    with pytest.raises(RatingsFormatError, match="r.csv:1: rating 'x' is not a number"):
        parse_ratings_csv("q,d1,x\nq,d2,1\n", "r.csv")


def test_it_refuses_a_pair_rated_twice_differently_and_accepts_repeats() -> None:
    rows = parse_ratings_csv("q,d,1\nq,d,1\n", "r.csv")
    assert len(rows) == 1
    with pytest.raises(RatingsFormatError, match="r.csv:2: .* rated 2 here but 1 on line 1"):
        parse_ratings_csv("q,d,1\nq,d,2\n", "r.csv")


def test_it_reads_a_file_with_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes("\ufeffquery,docid,rating\nq,d,1\n".encode())
    assert [(r.query, r.rating) for r in read_ratings_csv(path)] == [("q", 1.0)]
