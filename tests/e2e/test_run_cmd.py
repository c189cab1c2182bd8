"""`searchbench run` on small cases: output shapes, exit codes, and bad input answered clearly."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from searchbench.cli.main import main

DOCS = [
    {"id": "1", "title": "boundary layer flow", "body": "the boundary layer on a flat plate"},
    {"id": "2", "title": "heat transfer", "body": "heat transfer in a boundary layer"},
    {"id": "3", "title": "wing slipstream", "body": "aerodynamics of a wing in a slipstream"},
    {"id": "4", "title": "supersonic flow", "body": "shock waves in supersonic flow past a wedge"},
]

CASE = """\
case: Tiny case
endpoint:
  engine: local
  index: tiny
try:
  template: '{"query": "#$query##", "fields": ["title^2", "body"]}'
  field_spec: id:id title:title
scorer: SCORER
measures: [quepid:nDCG@10]
queries:
  - query: boundary layer
    id: q1
    ratings: {"1": 3, "2": 1, "3": 0}
  - query: supersonic (flow)
    id: q2
    ratings: {"4": 1}
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    src = data / "docs.jsonl"
    src.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    code = main(["index", "--data-dir", str(data), "create", "tiny", "--from", str(src), "--quiet"])
    assert code == 0
    return data


def write_case(tmp_path: Path, text: str, scorer: str = "quepid:P@10") -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(text.replace("SCORER", scorer))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["run", *map(str, args), "--quiet"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_it_prints_json_with_the_agreed_shape(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = write_case(tmp_path, CASE)
    code, out, err = run(capsys, case, "--format", "json", "--data-dir", data_dir)
    assert code == 0, err
    report = json.loads(out)
    assert (report["case"], report["scorer"]) == ("Tiny case", "quepid:P@10")
    q1, q2 = report["queries"]
    assert q1["query"] == "boundary layer"
    # q1 returns 1 and 2 (both rated relevant); 3 is not matched
    assert [d["id"] for d in q1["docs"]] == ["1", "2"]
    assert q1["docs"] == [{"id": "1", "rating": 3.0}, {"id": "2", "rating": 1.0}]
    assert q1["score"] == 1.0
    # q2: "supersonic (flow)" is escaped, so it matches docs 4 and 1; only 4 is relevant
    assert [d["rating"] for d in q2["docs"]] == [1.0, None]
    assert q2["score"] == 0.5
    assert report["score"] == pytest.approx((1.0 + 0.5) / 2)
    assert set(report["measures"]) == {"quepid:nDCG@10"}
    assert report["errors"] == 0 and q1["error"] is None


def test_it_prints_a_table_with_the_case_score(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, write_case(tmp_path, CASE), "--data-dir", data_dir)
    assert code == 0, err
    assert "boundary layer" in out and "quepid:P@10" in out
    assert "0.7500" in out  # the case score in the footer


def test_fail_under_exits_1_and_names_the_measure(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = write_case(tmp_path, CASE)
    code, _, err = run(
        capsys, case, "--data-dir", data_dir, "--fail-under", "quepid:P@10=0.8",
        "--fail-under", "quepid:nDCG@10=0.5",
    )  # fmt: skip
    assert code == 1
    assert "quepid:P@10 = 0.7500 is below 0.8" in err
    assert "nDCG" not in err  # that one passed
    code, _, err = run(capsys, case, "--data-dir", data_dir, "--fail-under", "quepid:P@10=0.75")
    assert code == 0, err


def test_fail_under_can_name_a_measure_the_case_does_not_list(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = write_case(tmp_path, CASE)
    code, out, err = run(
        capsys, case, "--data-dir", data_dir, "--format", "json", "--fail-under", "quepid:RR@10=1"
    )
    assert code == 0, err
    assert json.loads(out)["thresholds"] == [
        {"measure": "quepid:RR@10", "min": 1.0, "value": 1.0, "passed": True}
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-under", "quepid:Q@10=0.5"], "unknown scorer 'quepid:Q@10'"),
        (["--fail-under", "quepid:P@10"], "expected MEASURE=VALUE"),
        (["--fail-under", "quepid:P@10=high"], "'high' is not a number"),
    ],
)
def test_bad_thresholds_exit_2(
    tmp_path: Path,
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    code, _, err = run(capsys, write_case(tmp_path, CASE), "--data-dir", data_dir, *args)
    assert code == 2
    assert message in err


def test_a_malformed_case_file_names_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = write_case(tmp_path, CASE.replace("  field_spec:", "  rows: many\n  field_spec:"))
    code, out, err = run(capsys, case)
    assert code == 2 and out == ""
    assert "case.yaml:7: try.rows: expected a whole number, got 'many'" in err
    case = write_case(tmp_path, CASE.replace("measures:", "measure:"))
    code, _, err = run(capsys, case)
    assert code == 2
    assert "case.yaml:9: measure: unknown key (did you mean 'measures'?)" in err
    code, _, err = run(capsys, tmp_path / "missing.yaml")
    assert code == 2 and "missing.yaml: file not found" in err


class Recorder(BaseHTTPRequestHandler):
    """A stand-in Solr: records every request, answers with a documented select response."""

    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        Recorder.requests.append(self.path)
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        q = query.get("q", [""])[0]
        docs = [{"id": "1", "title": "boundary layer flow"}] if "boundary" in q else []
        body = json.dumps(
            {
                "responseHeader": {"status": 0},
                "response": {"numFound": len(docs), "start": 0, "docs": docs},
            }
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_solr() -> Iterator[str]:
    Recorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/solr/tiny"
    finally:
        server.shutdown()
        server.server_close()


def solr_case(url: str, template: str) -> str:
    return CASE.replace("engine: local\n  index: tiny", f"engine: solr\n  url: {url}").replace(
        """'{"query": "#$query##", "fields": ["title^2", "body"]}'""", f"'{template}'"
    )


def test_it_runs_against_an_http_engine(
    tmp_path: Path, fake_solr: str, capsys: pytest.CaptureFixture[str]
) -> None:
    case = write_case(tmp_path, solr_case(fake_solr, "q=#$query##&defType=edismax"))
    code, out, err = run(capsys, case, "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert [q["score"] for q in report["queries"]] == [1.0, 0.0]
    assert len(Recorder.requests) == 2


def test_an_unknown_placeholder_is_refused_before_any_request(
    tmp_path: Path, fake_solr: str, capsys: pytest.CaptureFixture[str]
) -> None:
    case = write_case(tmp_path, solr_case(fake_solr, "q=#$qurey##&defType=edismax"))
    code, out, err = run(capsys, case, "--format", "json")
    assert code == 2 and out == ""
    assert "case.yaml:6: try.template:" in err
    assert "unknown placeholder #$qurey##" in err and "position 2" in err
    assert Recorder.requests == []


def test_a_missing_curator_variable_is_refused_before_any_request(
    tmp_path: Path, fake_solr: str, capsys: pytest.CaptureFixture[str]
) -> None:
    case = write_case(tmp_path, solr_case(fake_solr, "q=#$query##&qf=title^##boost##"))
    code, _, err = run(capsys, case)
    assert code == 2
    assert "##boost##" in err and "try.template" in err
    assert Recorder.requests == []


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_endpoint_lists_every_query_error_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/solr/tiny"
    case = write_case(tmp_path, solr_case(url, "q=#$query##"))
    run_file = tmp_path / "out.run"
    code, out, err = run(capsys, case, "--format", "json", "--export-run", run_file)
    assert code == 2
    report = json.loads(out)  # the run finished and reported every query
    assert [q["id"] for q in report["queries"]] == ["q1", "q2"]
    assert all(q["error"] and q["score"] == 0.0 for q in report["queries"])
    assert report["errors"] == 2 and report["score"] == 0.0
    assert "2 of 2 queries failed at the engine" in err
    assert run_file.read_text() == ""  # nothing returned, nothing invented
    code, out, err = run(capsys, case)
    assert code == 2
    assert "error in query 'q1'" in out and "error in query 'q2'" in out


def test_a_javascript_scorer_runs_and_a_broken_one_is_refused(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "returned.js").write_text("setScore(numReturned() / 10);\n")
    case = write_case(tmp_path, CASE, scorer="{js: returned.js}")
    code, out, err = run(capsys, case, "--data-dir", data_dir, "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["scorer"] == "js:returned.js"
    assert [q["score"] for q in report["queries"]] == [0.2, 0.2]
    (tmp_path / "returned.js").write_text("setScore(numReturned( / 10);\n")
    code, out, err = run(capsys, case, "--data-dir", data_dir)
    assert code == 2 and out == ""
    assert "case.yaml:8: scorer.js:" in err and "does not compile" in err


@pytest.mark.parametrize(
    "code",
    [
        "Promise.resolve().then(function () { while (true) {} });\nsetScore(1);\n",
        "setScore(1);\n}}}\nwhile (true) {}\n{{{\n",
    ],
)
def test_a_scorer_that_escapes_its_time_limit_is_stopped(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str], code: str
) -> None:
    """Issue 8, item 1: such a scorer took 20 s per query and the run exited 0."""
    (tmp_path / "spin.js").write_text(code)
    case = write_case(tmp_path, CASE, scorer="{js: spin.js}")
    started = time.monotonic()
    exit_code, out, err = run(capsys, case, "--data-dir", data_dir)
    assert time.monotonic() - started < 10
    assert exit_code == 2, (out, err)
    assert "time limit" in out + err or "does not compile" in err


def test_export_writes_the_engine_order_and_needs_query_ids_without_spaces(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_file = tmp_path / "tiny.run"
    case = write_case(tmp_path, CASE)
    code, _, err = run(capsys, case, "--data-dir", data_dir, "--export-run", run_file)
    assert code == 0, err
    assert run_file.read_text().splitlines() == [
        "q1 Q0 1 1 2.0 tiny-case",
        "q1 Q0 2 2 1.0 tiny-case",
        "q2 Q0 4 1 2.0 tiny-case",
        "q2 Q0 1 2 1.0 tiny-case",
    ]
    case = write_case(tmp_path, CASE.replace("    id: q2\n", ""))
    code, _, err = run(capsys, case, "--data-dir", data_dir, "--export-run", run_file)
    assert code == 2
    assert "query 'supersonic (flow)' (line 14) and 0 more have none" in err


def test_the_console_script_keeps_stdout_clean_and_returns_the_exit_code(
    tmp_path: Path, data_dir: Path
) -> None:
    import subprocess
    import sys

    from searchbench.testing import PRODUCTION_SETTINGS, child_env

    case = write_case(tmp_path, CASE)
    cmd = [sys.executable, "-m", "searchbench", "run", str(case), "--data-dir", str(data_dir)]
    env = child_env(PRODUCTION_SETTINGS)
    done = subprocess.run(
        [*cmd, "--format", "json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["score"] == 0.75  # nothing but the JSON document on stdout
    done = subprocess.run(
        [*cmd, "--fail-under", "quepid:P@10=0.9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "quepid:P@10 = 0.7500 is below 0.9" in done.stderr


def test_endpoint_url_overrides_the_case_file(
    tmp_path: Path, fake_solr: str, capsys: pytest.CaptureFixture[str]
) -> None:
    unreachable = f"http://127.0.0.1:{closed_port()}/solr/tiny"
    case = write_case(tmp_path, solr_case(unreachable, "q=#$query##"))
    code, out, err = run(capsys, case, "--format", "json", "--endpoint-url", fake_solr)
    assert code == 0, err
    assert json.loads(out)["url"] == fake_solr
    assert len(Recorder.requests) == 2


def test_a_missing_local_index_is_one_error_up_front(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty-data"
    code, out, err = run(capsys, write_case(tmp_path, CASE), "--data-dir", empty)
    assert code == 2 and out == ""
    assert "case.yaml:4: endpoint.index:" in err and "no local index 'tiny'" in err


def test_a_bad_setting_is_a_clear_error(
    tmp_path: Path,
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEARCHBENCH_ENGINE_CONCURRENCY", "many")
    code, _, err = run(capsys, write_case(tmp_path, CASE), "--data-dir", data_dir)
    assert code == 2
    assert "SEARCHBENCH_ENGINE_CONCURRENCY='many': expected a whole number" in err


def test_a_static_case_needs_no_try_and_scores_the_frozen_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    csv = tmp_path / "frozen.csv"
    csv.write_text("Query Text,Doc ID,Doc Position,title\nwing,3,1,wing\nwing,1,2,flow\n")
    assert main(["index", "--data-dir", str(data), "import-static", "frozen", str(csv)]) == 0
    case = tmp_path / "case.yaml"
    case.write_text(
        "case: Frozen\n"
        "endpoint: {engine: static, url: 'static://frozen'}\n"
        "scorer: quepid:P@10\n"
        "queries:\n"
        "  - {query: wing, ratings: {'3': 1, '1': 0}}\n"
    )
    code, out, err = run(capsys, case, "--format", "json", "--data-dir", data)
    assert code == 0, err
    report = json.loads(out)
    assert report["queries"][0]["docs"] == [{"id": "3", "rating": 1.0}, {"id": "1", "rating": 0.0}]
    assert report["score"] == 0.5  # 1 relevant of the 2 returned


def test_a_data_dir_in_the_case_files_endpoint_options_is_refused(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = CASE.replace("  index: tiny\n", f"  index: tiny\n  options: {{data_dir: {data_dir}}}\n")
    code, out, err = run(capsys, write_case(tmp_path, text))
    assert code == 2 and out == ""
    assert "endpoint.options: data_dir: not an endpoint option" in err and "--data-dir" in err


# -- the CI gate against a baseline run (issue 9 §4) ---------------------------------------------

GATE_CASE = """\
case: Gate
endpoint: {engine: local, index: tiny}
try:
  template: '{"query": "#$query##", "fields": ["title^2", "body"]}'
scorer: P@1
queries:
""" + "".join(
    f"  - {{query: {text}, id: g{i}, ratings: {{'{rated}': 1}}}}\n"
    for i, (text, rated) in enumerate(
        [
            ("boundary layer", "3"),
            ("heat transfer", "4"),
            ("wing slipstream", "1"),
            ("supersonic flow", "2"),
            ("flat plate", "3"),
            ("shock waves", "1"),
            ("aerodynamics", "2"),
            ("wedge", "1"),
        ]
    )
)


def _baseline(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """This run's own results as a run file (every rated doc is one the engine misses)."""
    case = write_case(tmp_path, GATE_CASE)
    base = tmp_path / "base.run"
    code, _, err = run(capsys, case, "--data-dir", data_dir, "--export-run", base)
    assert code == 0, err
    return base


def test_the_same_results_as_the_baseline_pass(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _baseline(tmp_path, data_dir, capsys)
    case = tmp_path / "case.yaml"
    args = ["--data-dir", data_dir, "--baseline", base, "--fail-on-drop", "P@1"]
    code, out, err = run(capsys, case, *args)
    assert code == 0, err
    assert "P@1: 0.0000 against the baseline's 0.0000" in out and "no change" in out


def test_a_significant_drop_fails_and_a_small_one_does_not(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _baseline(tmp_path, data_dir, capsys)
    case = tmp_path / "case.yaml"
    lines = base.read_text().splitlines()
    # A baseline that found the rated doc first for every query: this run is worse on all 8.
    better = tmp_path / "better.run"
    better.write_text(
        "".join(f"g{i} Q0 {d} 1 9.0 best\n" for i, d in enumerate("34123121")) + "\n".join(lines)
    )
    code, out, err = run(
        capsys, case, "--data-dir", data_dir, "--baseline", better, "--fail-on-drop", "P@1"
    )
    assert code == 1, (out, err)
    assert "significantly worse" in out and "FAIL:" in err
    # Better on one query only: worse, but within the noise.
    one = tmp_path / "one.run"
    one.write_text("g0 Q0 3 1 9.0 best\n" + "\n".join(lines) + "\n")
    code, out, err = run(
        capsys,
        case,
        "--data-dir",
        data_dir,
        "--baseline",
        one,
        "--fail-on-drop",
        "P@1",
        "--format",
        "json",
    )
    assert code == 0, (out, err)
    gate = json.loads(out)["baseline"]["measures"][0]
    assert gate["verdict"] == "worse but not significant"
    assert gate["delta"] == pytest.approx(-1 / 8) and gate["p_adjusted"] > 0.05


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on-drop", "P@1"], "--fail-on-drop needs --baseline"),
        (["--baseline", "base.run"], "--baseline needs at least one --fail-on-drop"),
        (["--baseline", "missing.run", "--fail-on-drop", "P@1"], "cannot read"),
        (["--baseline", "base.run", "--fail-on-drop", "nDGC@10"], "did you mean nDCG"),
    ],
)
def test_a_bad_gate_is_refused_before_any_request(
    tmp_path: Path,
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _baseline(tmp_path, data_dir, capsys)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, tmp_path / "case.yaml", "--data-dir", data_dir, *args)
    assert code == 2 and message in err, err


def test_the_template_is_rendered_once_per_query(
    tmp_path: Path,
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from searchbench.domain import templating
    from searchbench.engines.local import engine as local_engine

    rendered: list[str] = []
    real = templating.render_json

    def counting(template: str, ctx: templating.TemplateContext) -> object:
        rendered.append(ctx.query)
        return real(template, ctx)

    monkeypatch.setattr(templating, "render_json", counting)
    monkeypatch.setattr(local_engine, "render_json", counting)
    code, _, err = run(capsys, write_case(tmp_path, CASE), "--data-dir", data_dir)
    assert code == 0, err
    assert sorted(rendered) == ["boundary layer", "supersonic (flow)"]
