from __future__ import annotations

from pathlib import Path

import pytest

from searchbench.cli.main import main
from searchbench.engines import EndpointConfig, QueryContext, TryConfig, make_engine

GOOD = (
    "Query Text,Doc ID,Doc Position,title\n"
    "star wars,11,1,Star Wars\n"
    "star wars,1891,2,The Empire Strikes Back\n"
    "alien,348,1,Alien\n"
)


def test_it_imports_a_csv_that_an_endpoint_then_serves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    csv_path = tmp_path / "frozen.csv"
    csv_path.write_text(GOOD, encoding="utf-8")
    code = main(["index", "--data-dir", str(data), "import-static", "frozen", str(csv_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "2 queries, 3 docs" in out
    assert "static://frozen" in out
    engine = make_engine(EndpointConfig(kind="static", url="static://frozen", data_dir=data))
    res = engine.search(
        QueryContext("Star  Wars"), TryConfig(template="", field_spec="id:id title:title")
    )
    assert res.error is None
    assert [d.id for d in res.docs] == ["11", "1891"]
    assert res.docs[1].title == "The Empire Strikes Back"


def test_it_lists_every_problem_with_its_line_and_stores_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text(
        GOOD + "alien,349,x,Alien 3\nalien,,2,Aliens\n,5,1,nobody\n", encoding="utf-8"
    )
    code = main(["index", "--data-dir", str(data), "import-static", "frozen", str(csv_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "3 problems; nothing stored" in err
    assert f"{csv_path}:5: column 'Doc Position' is 'x'" in err
    assert f"{csv_path}:6: column 'Doc ID' is empty" in err
    assert f"{csv_path}:7: column 'Query Text' is empty" in err
    assert not list((data / "static").glob("*.json"))


def test_a_bad_name_or_a_missing_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "data")
    missing = tmp_path / "nope.csv"
    assert main(["index", "--data-dir", data, "import-static", "ok", str(missing)]) == 2
    assert "nope.csv: cannot read it" in capsys.readouterr().err
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    assert main(["index", "--data-dir", data, "import-static", "../up", str(good)]) == 2
    assert "bad static results name '../up'" in capsys.readouterr().err
