from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchbench.cli.main import main


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "docs.jsonl"
    docs = [
        {"sku": "p1", "name": "red running shoe", "text": "a light shoe for running"},
        {"sku": "p2", "name": "blue rain jacket", "text": "keeps you dry in the rain"},
        {"sku": "p3", "name": "trail running shoe", "text": "grip on muddy trails"},
    ]
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


def test_it_creates_lists_searches_and_deletes(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dd = str(tmp_path / "data")
    assert (
        main(
            [
                "index",
                "--data-dir",
                dd,
                "create",
                "shop",
                "--from",
                str(corpus),
                "--id-field",
                "sku",
                "--fields",
                "name,text",
                "--quiet",
            ]
        )
        == 0
    )
    assert capsys.readouterr() == ("", "")  # --quiet: nothing on success
    assert main(["index", "--data-dir", dd, "list"]) == 0
    assert "shop" in capsys.readouterr().out
    assert (
        main(
            [
                "index",
                "--data-dir",
                dd,
                "search",
                "shop",
                "running shoes",
                "--fields",
                "name^2,text",
                "--json",
                "--explain",
                "--field-spec",
                "id:sku title:name",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == 2 and {d["id"] for d in out["docs"]} == {"p1", "p3"}
    assert out["docs"][0]["explain"]["kind"] == "sum"
    assert main(["index", "--data-dir", dd, "delete", "shop"]) == 0
    assert main(["index", "--data-dir", dd, "search", "shop", "x"]) == 2
    assert "no local index 'shop'" in capsys.readouterr().err


def test_it_reports_bad_input_with_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text('{"id": "1", "title": "ok"}\n{"title": "no id"}\n')
    code = main(
        ["index", "--data-dir", str(tmp_path / "d"), "create", "x", "--from", str(src), "--quiet"]
    )
    assert code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "bad.jsonl:2: missing id field 'id'" in err


def test_it_shows_a_progress_bar_without_breaking_output(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "index",
                "--data-dir",
                str(tmp_path / "d"),
                "create",
                "shop",
                "--from",
                str(corpus),
                "--id-field",
                "sku",
                "--fields",
                "name",
            ]
        )
        == 0
    )
    assert "local://shop" in capsys.readouterr().out


def test_the_analyzer_is_used_with_or_without_the_progress_bar(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from searchbench.engines.local import list_indexes

    dd = tmp_path / "d"
    create = ["index", "--data-dir", str(dd), "create", "--from", str(corpus), "--id-field", "sku"]
    assert main([*create, "loud", "--analyzer", "english"]) == 0
    assert main([*create, "quiet", "--analyzer", "english", "--quiet"]) == 0
    analyzers = {info.name: info.extra["analyzer"] for info in list_indexes(dd)}
    assert analyzers == {"loud": "english", "quiet": "english"}


def test_the_text_explain_lists_each_clause_with_its_weighted_contribution(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dd = str(tmp_path / "data")
    create = ["index", "--data-dir", dd, "create", "shop", "--from", str(corpus)]
    assert main([*create, "--id-field", "sku", "--fields", "name,text", "--quiet"]) == 0
    capsys.readouterr()
    search = ["index", "--data-dir", dd, "search", "shop", "running", "--fields", "name^2,text"]
    search += ["--field-spec", "id:sku title:name"]
    assert main([*search, "--explain"]) == 0
    lines = {
        line.split(":", 1)[0]: line.split(": ", 1)[1]
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("p")
    }
    assert set(lines) == {"p1", "p3"}
    # p1 matches "running" in both fields; the name clause is scaled by its ^2 boost
    clauses = dict(part.split("=", 1) for part in lines["p1"].split(", "))
    assert set(clauses) == {"name:run", "text:run"}  # the index stems
    assert clauses["name:run"].endswith("×2)") and "×" not in clauses["text:run"]
    value, parts = clauses["name:run"].split(" (")
    score, weight = parts.rstrip(")").split("×")
    assert float(value) == pytest.approx(float(score) * float(weight), abs=2e-3)
    assert "unexplained" not in lines["p1"]
