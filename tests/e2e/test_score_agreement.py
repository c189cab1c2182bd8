"""One case through every door: the web app (inline, and as a job the worker runs in chunks),
`searchbench run` and `searchbench eval` must give the same per-query and case scores for the same
index, template and ratings — they all go through the one relevance loop (searchbench.loop)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchbench.cli.main import main

DOCS = [
    {"id": "1", "title": "boundary layer flow", "body": "the boundary layer on a flat plate"},
    {"id": "2", "title": "heat transfer", "body": "heat transfer in a boundary layer flow"},
    {"id": "3", "title": "wing slipstream", "body": "aerodynamics of a wing in a slipstream"},
    {"id": "4", "title": "supersonic flow", "body": "shock waves in supersonic flow past a wedge"},
    {"id": "5", "title": "laminar flow", "body": "laminar and turbulent flow over a plate"},
]
TEMPLATE = '{"query": "#$query##", "fields": ["title^2", "body"]}'
# (id, text, ratings); q3 is unrated: it still counts in the case score, as 0, everywhere.
QUERIES = [
    ("q1", "boundary layer", {"1": 3, "2": 1, "3": 0, "5": 2}),
    ("q2", "flow", {"4": 1, "5": 3, "9": 2}),
    ("q3", "plate", {}),
]


def _case_file(path: Path, scorer: str) -> Path:
    lines = [
        "case: Agreement",
        "endpoint:",
        "  engine: local",
        "  index: agree",
        "try:",
        f"  template: '{TEMPLATE}'",
        "  field_spec: id:id title:title",
        f"scorer: {scorer}",
        "queries:",
    ]
    for qid, text, ratings in QUERIES:
        lines += [f"  - query: {text}", f"    id: {qid}", f"    ratings: {json.dumps(ratings)}"]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("SEARCHBENCH_DATA_DIR", str(data))
    src = tmp_path / "docs.jsonl"
    src.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    assert (
        main(["index", "--data-dir", str(data), "create", "agree", "--from", str(src), "--quiet"])
        == 0
    )
    return data


def _web_scores(scorer: str, door: str = "services") -> tuple[float, dict[str, float]]:
    from django.contrib.auth import get_user_model

    from searchbench.cases import services
    from searchbench.cases.builtins import sync_builtin_scorers
    from searchbench.cases.models import Case, Rating, Scorer, SearchEndpoint

    sync_builtin_scorers()
    owner = get_user_model().objects.create_user("agree")
    endpoint = SearchEndpoint.objects.create(
        name="agree", kind="local", url="local://agree", owner=owner
    )
    case = Case.objects.create(
        name="Agreement", owner=owner, scorer=Scorer.objects.get(name=scorer)
    )
    services.create_try(
        case, query_template=TEMPLATE, field_spec="id:id title:title", endpoint=endpoint
    )
    ids = {}
    for qid, text, ratings in QUERIES:
        query = services.add_query(case, text)
        ids[str(query.pk)] = qid
        for doc, grade in ratings.items():
            Rating.objects.create(query=query, doc_id=doc, rating=grade)
    if door == "worker":
        from django.test import override_settings

        from searchbench.cases.models import ScoreHistory
        from searchbench.jobs.services import start_run

        # One query a chunk: the chunks are separate tasks, as several workers would share them.
        with override_settings(SEARCHBENCH_JOB_CHUNK_SIZE=1):
            job = start_run(case)
        job.refresh_from_db()
        assert (job.status, job.failed, job.total) == ("done", 0, len(QUERIES))
        history = ScoreHistory.objects.get(pk=job.result["history_id"])
        return history.score, {ids[k]: v for k, v in history.per_query.items()}
    run = services.run_case(case)
    assert run.errors == {}
    return run.score, {ids[k]: v for k, v in run.history.per_query.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("door", ["services", "worker"])
@pytest.mark.parametrize("scorer", ["quepid:nDCG@10", "quepid:P@10", "quepid:AP@10", "nDCG@10"])
def test_the_web_app_the_worker_and_searchbench_run_agree(
    scorer: str, door: str, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web_score, web_per_query = _web_scores(scorer, door)
    capsys.readouterr()
    code = main(
        [
            "run",
            str(_case_file(tmp_path / "case.yaml", scorer)),
            "--format",
            "json",
            "--quiet",
            "--data-dir",
            str(data_dir),
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    cli_per_query = {q["id"]: q["score"] for q in report["queries"]}
    assert cli_per_query == pytest.approx(web_per_query)
    assert report["score"] == pytest.approx(web_score)
    assert 0 < web_score < 1 and web_per_query["q3"] == 0


@pytest.mark.django_db
def test_searchbench_eval_on_the_exported_run_agrees_per_query(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _web_score, web_per_query = _web_scores("nDCG@10")
    run_file, qrels = tmp_path / "run.txt", tmp_path / "qrels.txt"
    qrels.write_text(
        "".join(f"{q} 0 {d} {g}\n" for q, _t, ratings in QUERIES for d, g in ratings.items())
    )
    case = _case_file(tmp_path / "case.yaml", "nDCG@10")
    assert (
        main(
            [
                "run",
                str(case),
                "--quiet",
                "--data-dir",
                str(data_dir),
                "--export-run",
                str(run_file),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["eval", str(qrels), str(run_file), "-m", "ndcg_cut_10", "-q", "-c"]) == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    per_query = {qid: float(v) for m, qid, v in lines if m == "ndcg_cut_10" and qid != "all"}
    # eval knows only the rated queries (q3 is in no qrels line) and prints 4 decimals.
    expected = {q: web_per_query[q] for q in ("q1", "q2")}
    assert per_query == pytest.approx(expected, abs=5e-5)
