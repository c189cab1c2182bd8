from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from searchbench.domain.formats import trec
from searchbench.domain.formats.trec import (
    TrecFormatError,
    load_run,
    read_qrels,
    read_run,
    write_run,
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_it_reads_qrels_skipping_comments_but_not_hashes_inside_ids(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "qrels",
        "# a comment line\n"
        "1 0 doc#1 2\n"
        "1\t0\tdoc2 0\n"
        "\n"
        "2 0 msmarco_v2.1_doc_00_1#4_99 -1\n"
        " # 0 x 0\n",  # '#' not in column 0: an ordinary line for query "#"
    )
    assert read_qrels(path) == {
        "1": {"doc#1": 2, "doc2": 0},
        "2": {"msmarco_v2.1_doc_00_1#4_99": -1},
        "#": {"x": 0},
    }


def test_it_reads_runs_ignoring_rank_and_trailing_words(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "run",
        "q1 Q0 a 7 1.5 myrun\nq1 Q0 b 1 -2e-3 myrun extra words\nq2 Q0 a 1 3 myrun\n",
    )
    assert read_run(path) == {"q1": {"a": 1.5, "b": -0.002}, "q2": {"a": 3.0}}
    assert load_run(path).run_id == "myrun"


@pytest.mark.parametrize(
    ("reader", "text", "line", "message"),
    [
        (trec.load_qrels, "1 0 a 1\n1 0 b\n", 2, "expected at least 4 fields"),
        (trec.load_qrels, "1 0 a 1\n\n1 0 b high\n", 3, "relevance 'high' is not an integer"),
        (trec.load_qrels, "1 0 a 1\n2 0 a 1\n1 0 a 0\n", 3, "appears twice for query '1'"),
        (trec.load_run, "q Q0 a 1 1.0 r\nq Q0 b 2 x r\n", 2, "score 'x' is not a number"),
        (trec.load_run, "q Q0 a 1 1.0 r\nq Q0 b 2\n", 2, "expected at least 6 fields"),
        (trec.load_run, "q Q0 a 1 1 r\nz Q0 a 1 1 r\nq Q0 a 2 0.5 r\n", 3, "first on line 1"),
    ],
)
def test_it_names_the_file_and_line_of_bad_input(
    tmp_path: Path, reader: object, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, "input.txt", text)
    with pytest.raises(TrecFormatError, match=message) as err:
        reader(path)  # type: ignore[operator]
    assert err.value.line == line
    assert str(err.value).startswith(f"{path}:{line}: ")


def test_it_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TrecFormatError, match="cannot read"):
        trec.load_run(tmp_path / "nope")


def test_it_reads_empty_files(tmp_path: Path) -> None:
    assert read_run(write(tmp_path, "run", "")) == {}
    assert read_qrels(write(tmp_path, "qrels", "# only a comment\n")) == {}


def test_line_numbers_survive_chunking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trec, "_CHUNK", 64)  # force many chunks
    monkeypatch.setattr(trec, "_GATHER_ROWS", 3)
    lines = [f"q{i % 7} Q0 doc{i} {i} {1.0 / (i + 1)!r} run" for i in range(200)]
    lines[150] = "q1 Q0 broken"
    path = write(tmp_path, "run", "\n".join(lines) + "\n")
    with pytest.raises(TrecFormatError) as err:
        load_run(path)
    assert err.value.line == 151
    del lines[150]
    path.write_text("\n".join(lines))  # no final newline
    table = load_run(path)
    assert len(table.score) == 199
    assert read_run(path)["q3"]["doc199"] == 1.0 / 200


def test_write_run_round_trips_scores_exactly(tmp_path: Path) -> None:
    ranking = {"q1": [("a", 0.1 + 0.2), ("b", 1 / 3), ("c", 1 / 3)], "q2": [("x", -1e-300)]}
    path = tmp_path / "run.txt"
    write_run(path, ranking, "searchbench")
    back = read_run(path)
    assert back == {q: dict(docs) for q, docs in ranking.items()}
    first = path.read_text().splitlines()[0].split()
    assert first[:4] == ["q1", "Q0", "a", "1"] and first[5] == "searchbench"
    buf = io.StringIO()
    write_run(buf, {"q": [("d", 1.0)]}, "r")
    assert buf.getvalue() == "q Q0 d 1 1.0 r\n"


def test_write_run_refuses_ids_that_would_break_the_format() -> None:
    with pytest.raises(ValueError, match="whitespace"):
        write_run(io.StringIO(), {"q": [("a b", 1.0)]}, "r")
    with pytest.raises(ValueError, match="run id"):
        write_run(io.StringIO(), {"q": [("a", 1.0)]}, "my run")


def test_reader_and_mapping_agree(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    lines = [
        f"{q} Q0 d{rng.integers(0, 10**9)} 0 {rng.random()!r} r"
        for q in range(20)
        for _ in range(5)
    ]
    path = write(tmp_path, "run", "\n".join(lines))
    table = load_run(path)
    assert table.to_mapping() == read_run(path)
    assert sum(len(v) for v in read_run(path).values()) == 100


@pytest.mark.parametrize("fmt", ["%.2f", "%.6f", "%.9f", "%d"])
def test_plain_decimals_parse_exactly_like_strtod(fmt: str) -> None:
    rng = np.random.default_rng(2)
    values = np.concatenate([rng.random(50_000) * 1000, -rng.random(1000)])
    if fmt == "%d":
        values = values.astype(int)
    text = np.char.mod(fmt, values).astype("S")
    parsed = trec._plain_decimals(text)
    assert parsed is not None
    assert np.array_equal(parsed, text.astype(np.float64))


@pytest.mark.parametrize("token", [b"1e5", b"1.2.3", b"-", b"2-", b"+1", b"12345678901234567"])
def test_plain_decimals_leave_other_numbers_to_the_general_parser(token: bytes) -> None:
    assert trec._plain_decimals(np.array([token, b"2"])) is None


def test_scores_in_any_notation_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, "run", "q Q0 a 1 1e-3 r\nq Q0 b 2 +2 r\nq Q0 c 3 -0.5 r\n")
    assert read_run(path) == {"q": {"a": 0.001, "b": 2.0, "c": -0.5}}


def test_it_reads_ids_longer_than_the_fixed_width_slack(tmp_path: Path) -> None:
    long_id = "x" * (trec._SLACK + 50)
    path = write(tmp_path, "run", f"q Q0 {long_id} 1 2.5 r\nq Q0 b 2 1.5 r\n")
    assert read_run(path) == {"q": {long_id: 2.5, "b": 1.5}}


def test_files_with_different_id_widths_join(tmp_path: Path) -> None:
    from searchbench.domain.metrics import evaluate

    qrels = write(tmp_path, "qrels", "q 0 a 1\nq 0 a-long-judged-id-that-sets-the-width 0\n")
    run = write(tmp_path, "run", "q Q0 a 1 1.0 r\nq Q0 b 2 0.5 r\n")
    ev = evaluate(trec.load_qrels(qrels), load_run(run), ["P_1"])
    assert ev.aggregate["P_1"] == 1.0
