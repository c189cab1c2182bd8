"""A case file cannot expand into more than it says: aliases, nesting and values have bounds.

YAML anchors and aliases are shared, not copied, while the file is read, so a few lines can stand
for billions of values; they become copies as soon as the options are turned into JSON for a
JavaScript scorer (seven levels of ~1 KB took 395 MB). The loader counts what aliases add and
stops at the line where the bound is crossed.
"""

from __future__ import annotations

import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest

from searchbench.domain.casefile import CaseFileError, load_case

MAX_ALIAS_NODES, MAX_ALIAS_CHARS = 100_000, 1_000_000

HEAD = """\
case: Bomb
endpoint: {engine: local, index: demo}
try: {template: '#$query##'}
scorer: nDCG@10
"""


def check(name: str) -> None:
    if name != "nDCG@10":
        raise ValueError(f"unknown scorer {name!r}")


def load(tmp_path: Path, body: str) -> object:
    path = tmp_path / "case.yaml"
    path.write_text(HEAD + textwrap.dedent(body).lstrip())
    return load_case(path, check_scorer=check)


def laughs(levels: int, width: int = 10, leaf: str = "lol") -> str:
    """The "billion laughs" document: each level lists the previous one ``width`` times."""
    lines = ["options:", f"  l0: &l0 [{', '.join([leaf] * width)}]"]
    for n in range(1, levels):
        lines.append(f"  l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * width)}]")
    return "\n".join(lines) + "\nqueries: [boots]\n"


def test_a_billion_laughs_fails_fast_with_bounded_memory(tmp_path: Path) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(CaseFileError) as info:
            load(tmp_path, laughs(levels=9))  # 10**9 values once expanded
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2.0
    assert peak < 5_000_000
    message = str(info.value)
    # The line where aliases crossed the bound: l4, whose ten copies of l3 add 111,110 values.
    assert message.startswith(f"{tmp_path / 'case.yaml'}:10: ")
    assert f"aliases expand the file by more than {MAX_ALIAS_NODES:,} values" in message


def test_long_text_repeated_through_aliases_is_bounded_too(tmp_path: Path) -> None:
    text = "x" * 1000
    with pytest.raises(CaseFileError, match=f"more than {MAX_ALIAS_CHARS:,} characters"):
        load(tmp_path, laughs(levels=4, width=8, leaf=text))  # 8**3 copies of 8 KB: 4 MB


def test_aliases_within_the_bound_are_fine(tmp_path: Path) -> None:
    case = load(
        tmp_path,
        """
        queries:
          - {query: boots, options: &opts {lang: en, boost: [1, 2, 3]}}
          - {query: tent, options: *opts}
          - {query: socks, options: {<<: *opts, lang: de}}
        """,
    )
    assert [q.options for q in case.queries] == [  # type: ignore[attr-defined]
        {"lang": "en", "boost": [1, 2, 3]},
        {"lang": "en", "boost": [1, 2, 3]},
        {"lang": "de", "boost": [1, 2, 3]},
    ]


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CaseFileError, match=r"case.yaml:5: .*\*me.* contains itself"):
        load(tmp_path, "options: &me {again: *me}\nqueries: [boots]\n")


def test_deep_nesting_is_refused_before_python_recurses(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(CaseFileError, match="case.yaml:5: .*nested deeper than 64 levels"):
        load(tmp_path, f"options: {{a: {deep}}}\nqueries: [boots]\n")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("{a: .nan}", "options: a: NaN is not a JSON number"),
        ("{a: [1, -.inf]}", r"options: a\[1\]: infinity is not a JSON number"),
        ("{a: 1.0e+999}", "options: a: infinity is not a JSON number"),
        ("{a: " + "9" * 5000 + "}", "options: a number of 5000 characters"),
        ("{a: 2024-01-02}", "options: a: a date is not a JSON value"),
    ],
)
def test_options_must_be_json_values(tmp_path: Path, options: str, message: str) -> None:
    with pytest.raises(CaseFileError, match=r"case.yaml:5: " + message):
        load(tmp_path, f"options: {options}\nqueries: [boots]\n")


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "1.0e+999", "9" * 5000])
def test_ratings_must_be_finite_numbers(tmp_path: Path, value: str) -> None:
    with pytest.raises(CaseFileError, match=r"case.yaml:7: queries\[0\]\.ratings\.d1: "):
        load(tmp_path, f"queries:\n  - query: boots\n    ratings: {{d1: {value}}}\n")
