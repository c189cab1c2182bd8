"""The judgements CSV (query,docid,rater,rating[,explanation]): read whole or not at all."""

from __future__ import annotations

import io

import pytest

from searchbench.domain.formats import judgements_csv
from searchbench.domain.formats.interchange import FormatError
from searchbench.domain.formats.judgements_csv import JudgementRow


def _read(text: str) -> list[JudgementRow]:
    return judgements_csv.read(io.BytesIO(text.encode()), "j.csv")


def _problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(FormatError) as caught:
        _read(text)
    return caught.value.problems


def test_it_reads_every_rater_on_every_pair_in_file_order() -> None:
    rows = _read(
        "query,docid,rater,rating\n"
        "tent,d1,ann@x.org,3\n"
        "tent,d1,bob@x.org,2\n"
        "tent,d2,ann@x.org,cant_rate\n"
        "\n"
        "boots,d9,bob@x.org,0.5\n"
    )
    assert [(r.query, r.doc_id, r.rater, r.rating, r.line) for r in rows] == [
        ("tent", "d1", "ann@x.org", 3.0, 2),
        ("tent", "d1", "bob@x.org", 2.0, 3),
        ("tent", "d2", "ann@x.org", None, 4),  # can't rate
        ("boots", "d9", "bob@x.org", 0.5, 6),
    ]


def test_columns_may_come_in_any_order_with_an_explanation() -> None:
    rows = _read(
        '\ufeffRater, Rating ,explanation,query,docid\r\nann,1,"too short, off topic",tent,d1\r\n'
    )
    assert rows == [JudgementRow("tent", "d1", "ann", 1.0, "too short, off topic", 2)]


@pytest.mark.parametrize("word", ["cant_rate", "can't rate", "Unrateable", " CANT RATE "])
def test_cant_rate_is_read_as_none(word: str) -> None:
    assert _read(f"query,docid,rater,rating\nq,d,r,{word}\n")[0].rating is None


def test_every_bad_line_is_named_and_nothing_is_read() -> None:
    problems = _problems(
        "query,docid,rater,rating\n"
        "q,d1,ann,2\n"
        "q,d1,ann\n"  # 3: a column short
        ",d2,ann,1\n"  # 4: no query
        "q,d3,,1\n"  # 5: no rater
        "q,d4,ann,high\n"  # 6: not a number
        "q,d5,ann,nan\n"  # 7: not finite
        "q,d1,ann,3\n"  # 8: ann on q/d1 again, another rating
        "q,d1,ann,2\n"  # 9: a repeat of line 2: read once
    )
    assert [where for where, _ in problems] == [f"line {n}" for n in (3, 4, 5, 6, 7, 8)]
    assert "expected 4 columns, found 3" in problems[0][1]
    assert problems[1][1] == "the query column is empty"
    assert problems[2][1] == "the rater column is empty"
    assert "'high' is not a number nor cant_rate" in problems[3][1]
    assert "differently on line 2" in problems[5][1]


@pytest.mark.parametrize(
    "header,why",
    [
        ("query,docid,rating", "missing rater"),
        ("query,docid,rater,rating,grade", "unknown 'grade'"),
        ("query,docid,rater,rating,rater", "named twice: rater"),
    ],
)
def test_a_wrong_header_is_refused_on_line_1(header: str, why: str) -> None:
    problems = _problems(f"{header}\nq,d,r,1\n")
    assert problems[0][0] == "line 1" and why in problems[0][1]


def test_an_empty_file_and_broken_bytes_are_problems_not_crashes() -> None:
    where, why = _problems("")[0]
    assert where == "line 1" and "expected the header query,docid,rater,rating" in why
    with pytest.raises(FormatError, match="line 2: not UTF-8"):
        judgements_csv.read(io.BytesIO(b"query,docid,rater,rating\nq,\xff,r,1\n"), "j.csv")
    assert "broken CSV" in _problems('query,docid,rater,rating\n"q,d,r,1\n')[0][1]


def test_written_files_read_back_to_the_same_judgements() -> None:
    rows = [
        JudgementRow("=cmd", "@d1", "-ann", 2.0, "+good", 2),
        JudgementRow("q", "d2", "bob", None, "", 3),
        JudgementRow("q", "d3", "bob", 1.5, "", 4),
    ]
    out = io.StringIO(newline="")
    judgements_csv.write(rows, out)
    text = out.getvalue()
    assert text.splitlines()[1] == "'=cmd,'@d1,'-ann,2,'+good"
    assert _read(text) == rows
    short = io.StringIO(newline="")
    judgements_csv.write(rows, short, explanation=False)
    assert short.getvalue().splitlines()[0] == "query,docid,rater,rating"
