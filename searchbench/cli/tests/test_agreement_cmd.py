"""`searchbench agreement JUDGEMENTS.csv`: the table, the JSON shape, and bad input by line."""

from __future__ import annotations

import json
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from searchbench.cli.main import main

SHEET = """\
query,docid,rater,rating,explanation
tent,d1,ann,3,
tent,d1,bob,2,a bit thin
tent,d1,cy,3,
tent,d2,ann,0,
tent,d2,bob,0,
tent,d3,ann,1,
tent,d3,bob,2,
tent,d3,cy,cant_rate,no picture
boots,d4,ann,2,
boots,d4,cy,2,
boots,d5,bob,1,
boots,d5,cy,0,
"""
# ann, bob and cy on 5 pairs (tent/d1 … boots/d5); cy could not rate tent/d3.
NAN = np.nan
MATRIX = np.array(
    [
        [3, 0, 1, 2, NAN],  # ann
        [2, 0, 2, NAN, 1],  # bob
        [3, NAN, NAN, 2, 0],  # cy
    ]
)


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, *args: str) -> tuple:
    path = tmp_path / "judgements.csv"
    path.write_text(text)
    code = main(["agreement", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_documented_shape_and_the_reference_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(tmp_path, capsys, SHEET, "--format", "json", "--scale", "0,1,2,3")
    assert code == 0
    doc = json.loads(out)
    assert list(doc) == ["items", "raters", "krippendorff_alpha", "cohen_kappa"]
    assert doc["items"] == 5 and doc["raters"] == ["ann", "bob", "cy"]
    for level, value in doc["krippendorff_alpha"].items():
        expected = krippendorff.alpha(MATRIX, value_domain=[0, 1, 2, 3], level_of_measurement=level)
        assert abs(value - expected) < 1e-9
    assert list(doc["cohen_kappa"]) == ["ann|bob", "ann|cy", "bob|cy"]
    ann, bob = MATRIX[0], MATRIX[1]
    both = ~np.isnan(ann) & ~np.isnan(bob)
    pair = doc["cohen_kappa"]["ann|bob"]
    assert pair["items"] == 3
    assert pair["unweighted"] == pytest.approx(cohen_kappa_score(ann[both], bob[both]), abs=1e-9)
    quadratic = cohen_kappa_score(ann[both], bob[both], labels=[0, 1, 2, 3], weights="quadratic")
    assert pair["quadratic"] == pytest.approx(quadratic, abs=1e-9)


def test_the_table_names_every_number_and_dashes_the_undefined(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(tmp_path, capsys, SHEET, "--confusion")
    assert code == 0
    assert out.startswith("5 items, 3 raters, scale 0, 1, 2, 3\n")
    lines = [line.split() for line in out.splitlines()]
    assert ["ann", "|", "bob", "0.2500", "0.7273", "3"] in lines
    # bob against the others' mean: d1 2−3, d2 0−0, d3 2−1, d5 1−0 → (−1 + 0 + 1 + 1) / 4
    assert ["bob", "+0.2500", "4"] in lines
    assert "confusion: rows ann, columns bob\n   0  1  2  3\n0  1  0  0  0\n" in out
    lonely = "query,docid,rater,rating\nq,d1,ann,1\nq,d2,ann,2\n"
    code, out, _ = _run(tmp_path, capsys, lonely)
    assert ["nominal", "-"] in [line.split() for line in out.splitlines()]
    assert "Cohen's kappa" not in out


def test_a_bad_file_is_refused_with_its_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = "query,docid,rater,rating\nq,d1,ann,1\nq,d1,bob,lots\nq,,bob,1\n"
    code, out, err = _run(tmp_path, capsys, bad)
    assert code == 2 and out == ""
    assert "judgements.csv: line 3: rating 'lots' is not a number nor cant_rate" in err
    assert "judgements.csv: line 4: the docid column is empty" in err
    code, out, err = _run(tmp_path, capsys, SHEET, "--scale", "0,1,2")
    assert code == 2
    assert "line 2: rating 3 is not on the scale 0, 1, 2" in err
    assert "line 4: rating 3 is not on the scale 0, 1, 2" in err
    code = main(["agreement", str(tmp_path / "missing.csv")])
    assert code == 2 and "cannot read" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["agreement", str(tmp_path / "judgements.csv"), "--scale", "3,2"])
    assert "must rise" in capsys.readouterr().err
