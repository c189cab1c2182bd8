from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from searchbench.domain.casefile import CaseFileError, load_case
from searchbench.domain.scoring import ScorerRef

KNOWN = {"nDCG@10", "AP", "P@10", "quepid:AP@10"}


def check(name: str) -> None:
    # The real check (scoring.check_scorer) is tested with the metrics; here a fixed table.
    if name not in KNOWN and not name.startswith("js:"):
        raise ValueError(f"unknown scorer or measure {name!r}")


def write(tmp_path: Path, text: str, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def load(path: Path, **kw: object) -> object:
    return load_case(path, check_scorer=check, **kw)  # type: ignore[arg-type]


MINIMAL = """
    case: Demo
    endpoint:
      engine: local
      index: demo
    try:
      template: '#$query##'
    scorer: nDCG@10
    queries:
      - boundary layer
      - query: heat transfer
        id: "2"
        ratings: {"184": 2, "29": 0.5}
"""


def test_it_loads_a_minimal_case_with_defaults(tmp_path: Path) -> None:
    case = load_case(write(tmp_path, MINIMAL), check_scorer=check)
    assert case.name == "Demo"
    assert case.endpoint.kind == "local" and case.endpoint.url == "local://demo"
    assert (case.try_.template, case.try_.rows, case.try_.escape) == ("#$query##", 10, True)
    assert case.try_.explain is False  # `searchbench run` prints scores: no engine time on explains
    assert case.scorer == ScorerRef("measure", "nDCG@10")
    assert [(q.id, q.text) for q in case.queries] == [
        ("boundary layer", "boundary layer"),
        ("2", "heat transfer"),
    ]
    assert case.ratings() == {"boundary layer": {}, "2": {"184": 2.0, "29": 0.5}}
    assert case.lines["try.template"] == 6
    assert any("no ratings" in w for w in case.warnings)


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            MINIMAL.replace("scorer:", "scorr:"),
            r"case.yaml:7: scorr: unknown key \(did you mean 'scorer'\?\)",
        ),
        (
            MINIMAL.replace("engine: local", "engine: solar"),
            r"case.yaml:3: endpoint.engine: unknown engine 'solar' \(did you mean 'solr'\?\)",
        ),
        (
            MINIMAL.replace("'#$query##'", "'#$query##'\n      rows: ten"),
            r"case.yaml:7: try.rows: expected a whole number, got 'ten'",
        ),
        (
            MINIMAL.replace("scorer: nDCG@10", "scorer: nDCG@1O"),
            r"case.yaml:7: scorer: unknown scorer or measure 'nDCG@1O'",
        ),
        (
            MINIMAL.replace('"29": 0.5', '"29": lots'),
            r"case.yaml:12: queries\[1\].ratings.29: expected a number",
        ),
        (MINIMAL.replace("case: Demo\n", ""), r"case.yaml:1: case: missing \(required\)"),
        (
            MINIMAL.replace('id: "2"', 'id: "boundary layer"'),
            r"case.yaml:10: queries\[1\]: query id 'boundary layer' given twice \(first on line 9\)",
        ),
        (MINIMAL + "    scorer: AP\n", r"case.yaml:13: scorer: given twice"),
        ("case: [unclosed\n", r"case.yaml:2: not valid YAML"),
        ("", r"case.yaml:1: the file is empty"),
        ("- a list\n", r"case.yaml:1: expected a mapping"),
    ],
)
def test_it_names_file_line_and_field(tmp_path: Path, yaml_text: str, expected: str) -> None:
    path = write(tmp_path, yaml_text)
    with pytest.raises(CaseFileError, match=expected):
        load(path)


def test_endpoint_checks(tmp_path: Path) -> None:
    solr = MINIMAL.replace("engine: local\n      index: demo", "engine: solr\n      index: x")
    with pytest.raises(CaseFileError, match=r"endpoint.index: index: is for .*\(local, static\)"):
        load(write(tmp_path, solr))
    # a static result set may be named like a local index (the table says which kinds may)
    static = MINIMAL.replace(
        "engine: local\n      index: demo", "engine: static\n      index: frozen"
    )
    assert load(write(tmp_path, static)).endpoint.url == "static://frozen"  # type: ignore[attr-defined]
    no_url = MINIMAL.replace("engine: local\n      index: demo", "engine: solr")
    with pytest.raises(CaseFileError, match="case.yaml:3: endpoint.url: missing: the solr URL"):
        load(write(tmp_path, no_url))


def test_password_env_reads_the_named_variable(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "engine: local\n      index: demo",
        "engine: solr\n      url: http://solr:8983/solr/x/select\n"
        "      username: alice\n      password_env: SOLR_PASS\n      headers: {X-Team: 7}",
    )
    path = write(tmp_path, text)
    case = load_case(path, environ={"SOLR_PASS": "s3cret"}, check_scorer=check)
    assert (case.endpoint.username, case.endpoint.password) == ("alice", "s3cret")
    assert case.endpoint.headers == {"X-Team": "7"}
    with pytest.raises(
        CaseFileError,
        match="case.yaml:6: endpoint.password_env: environment variable SOLR_PASS is not set",
    ):
        load_case(path, environ={}, check_scorer=check)


def test_queries_tsv_and_ratings_csv_are_relative_to_the_case_file(tmp_path: Path) -> None:
    sub = tmp_path / "cases"
    sub.mkdir()
    (sub / "queries.tsv").write_text("1\tboundary layer\n2\theat transfer\n")
    (sub / "ratings.csv").write_text("query,docid,rating\n1,184,2\nheat transfer,29,1\n")
    text = """
        case: Files
        endpoint: {engine: local, index: demo}
        try: {template: '#$query##'}
        scorer: {js: scorer.js}
        measures: [AP, P@10, AP]
        queries_tsv: queries.tsv
        ratings_csv: ratings.csv
    """
    (sub / "scorer.js").write_text("setScore(1);\n")
    case = load(write(sub, text))
    assert case.ratings() == {"1": {"184": 2.0}, "2": {"29": 1.0}}  # type: ignore[attr-defined]
    assert case.measures == ["AP", "P@10"]  # type: ignore[attr-defined]
    assert case.scorer.name == "js:scorer.js"  # type: ignore[attr-defined]
    assert case.scorer.kind == "js" and case.scorer.code == "setScore(1);\n"  # type: ignore[attr-defined]


def test_ratings_csv_alone_defines_the_queries(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("a,d1,1\nb,d2,3\na,d3,0\n")
    text = """
        case: CSV only
        endpoint: {engine: local, index: demo}
        try: {template: '#$query##'}
        scorer: P@10
        ratings_csv: r.csv
    """
    case = load(write(tmp_path, text))
    assert case.ratings() == {"a": {"d1": 1.0, "d3": 0.0}, "b": {"d2": 3.0}}  # type: ignore[attr-defined]


def test_ratings_csv_errors_name_the_csv_line(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("boundary layer,d1,1\nunknown query,d2,1\n")
    path = write(tmp_path, MINIMAL + "    ratings_csv: r.csv\n")
    with pytest.raises(CaseFileError, match=r"r.csv:2: query 'unknown query' is neither an id"):
        load(path)
    (tmp_path / "r.csv").write_text("2,184,3\n")
    with pytest.raises(CaseFileError, match=r"rated 3 here but 2 at .*case.yaml:10"):
        load(path)
    (tmp_path / "r.csv").write_text("2,184,three\n")
    with pytest.raises(
        CaseFileError, match=r"case.yaml:13: ratings_csv: .*r.csv:1: rating 'three'"
    ):
        load(path)


def test_a_missing_file_is_named_with_the_line(tmp_path: Path) -> None:
    with pytest.raises(
        CaseFileError, match=r"case.yaml:13: ratings_csv: file not found: .*nope.csv"
    ):
        load(write(tmp_path, MINIMAL + "    ratings_csv: nope.csv\n"))


def test_queries_tsv_errors_name_the_tsv_line(tmp_path: Path) -> None:
    (tmp_path / "q.tsv").write_text("1\tfine\n2 no tab here\n")
    with pytest.raises(CaseFileError, match=r"q.tsv:2: expected id<TAB>query text"):
        load(write(tmp_path, MINIMAL + "    queries_tsv: q.tsv\n"))


DOC = Path(__file__).resolve().parents[2] / "docs" / "casefile.md"


def test_docs_casefile_md_lists_every_key() -> None:
    from searchbench.domain import casefile

    text = DOC.read_text()
    tables = (casefile.TOP_KEYS, casefile.ENDPOINT_KEYS, casefile.TRY_KEYS, casefile.QUERY_KEYS)
    missing = [k for table in tables for k in table if f"`{k}`" not in text]
    assert not missing, f"docs/casefile.md does not document {missing}"


def test_the_full_example_in_the_docs_loads(tmp_path: Path) -> None:
    from searchbench.domain.templating import TemplateContext, render

    text = DOC.read_text()
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "case.yaml"
    path.write_text(example)
    case = load_case(path)  # the real scorer check: every name in the example must exist
    assert case.name == "Cranfield BM25"
    assert case.measures == ["AP", "P@10", "quepid:nDCG@10"]
    assert [q.id for q in case.queries] == ["boundary layer", "3"]
    body = render(case.try_.template, TemplateContext("x", {}, case.try_.curator_vars))
    assert body["fields"] == ["title^2", "body"]


STATIC_NO_TRY = """
    case: Frozen
    endpoint: {engine: static, url: "static://frozen"}
    scorer: nDCG@10
    queries: [boundary layer]
"""


def test_a_static_endpoint_needs_no_try(tmp_path: Path) -> None:
    case = load_case(write(tmp_path, STATIC_NO_TRY), check_scorer=check)
    assert (case.try_.template, case.try_.rows) == ("", 10)
    with_rows = STATIC_NO_TRY + "    try: {rows: 20}\n"
    case = load_case(write(tmp_path, with_rows), check_scorer=check)
    assert (case.try_.template, case.try_.rows) == ("", 20)


def test_other_endpoints_still_need_a_try_and_a_template(tmp_path: Path) -> None:
    no_try = STATIC_NO_TRY.replace(
        '{engine: static, url: "static://frozen"}', "{engine: local, index: x}"
    )
    with pytest.raises(CaseFileError, match=r"case\.yaml:1: try: missing"):
        load_case(write(tmp_path, no_try), check_scorer=check)
    no_template = no_try + "    try: {rows: 20}\n"
    with pytest.raises(CaseFileError, match=r"case\.yaml:5: try\.template: missing"):
        load_case(write(tmp_path, no_template), check_scorer=check)
