"""`searchbench remote run` against a live server (pytest-django's live_server, the test settings'
synchronous job runner): the run happens on the server, the command prints its scores and exits
like `searchbench run`."""

from __future__ import annotations

import json

import pytest

from searchbench.api import tokens
from searchbench.cases.models import ScoreHistory
from searchbench.cases.tests.conftest import World, data_dir, tiny_index, world
from searchbench.cli.main import main
from searchbench.jobs.models import Job

__all__ = ["data_dir", "tiny_index", "world"]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def remote(world: World, live_server, monkeypatch: pytest.MonkeyPatch):
    made = tokens.create_token(world.owner, "CI", "write", 1)
    monkeypatch.setenv("SEARCHBENCH_TOKEN", made.secret)

    def run(*extra: str) -> int:
        args = ["remote", "run", "--server", live_server.url, "--case", str(world.case.pk)]
        return main([*args, "--poll", "0.05", *extra])

    return run


def test_it_runs_the_case_on_the_server_and_prints_its_scores(world: World, remote, capsys):
    assert remote("--format", "json") == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    history = ScoreHistory.objects.get(case=world.case)
    job = Job.objects.get(case=world.case)
    assert (report["score"], report["run_id"], report["job_id"]) == (
        history.run_score, history.pk, job.pk)  # fmt: skip
    assert job.params["trigger"] == "api" and history.created_by == world.owner
    assert {q["query"]: q["score"] for q in report["queries"]} == {
        "red boots": history.per_query[str(world.q_boots.pk)],
        "tent": history.per_query[str(world.q_tent.pk)],
    }
    assert report["errors"] == 0 and report["try"] == 1 and report["scorer"] == "quepid:P@10"
    assert f"job {job.pk}: " in captured.err  # the progress


def test_it_exits_1_below_the_threshold_and_0_above(world: World, remote, capsys):
    assert remote("--fail-under", "quepid:P@10=0.99") == 1
    out = capsys.readouterr().out
    assert "FAIL: quepid:P@10 = " in out and "red boots" in out
    assert remote("--fail-under", "0.01") == 0
    assert "pass: quepid:P@10" in capsys.readouterr().out


def test_it_exits_2_on_errors(world: World, remote, capsys, monkeypatch):
    assert remote("--fail-under", "nDCG@10=0.5") == 2  # not the case's scorer
    assert "quepid:P@10" in capsys.readouterr().err
    assert not Job.objects.exists()
    assert remote("--try", "9") == 2
    assert "no such try" in capsys.readouterr().err
    # A query the engine fails on: the scores say nothing about quality.
    world.try_.endpoint.url = "local://no-such-index"
    world.try_.endpoint.save()
    assert remote() == 2
    assert "error in query" in capsys.readouterr().out
    monkeypatch.setenv("SEARCHBENCH_TOKEN", "sbt_nope")
    assert remote() == 2
    err = capsys.readouterr().err
    assert "401" in err and "check SEARCHBENCH_TOKEN" in err
    monkeypatch.delenv("SEARCHBENCH_TOKEN")
    assert remote() == 2
    assert "set SEARCHBENCH_TOKEN" in capsys.readouterr().err


def test_a_read_token_cannot_start_a_run(world: World, remote, capsys, monkeypatch):
    monkeypatch.setenv("SEARCHBENCH_TOKEN", tokens.create_token(world.owner, "r", "read", 1).secret)
    assert remote() == 2
    assert "403" in capsys.readouterr().err
    assert not Job.objects.exists()


def test_an_outsider_does_not_learn_the_case_exists(world: World, remote, capsys, monkeypatch):
    secret = tokens.create_token(world.outsider, "o", "write", 1).secret
    monkeypatch.setenv("SEARCHBENCH_TOKEN", secret)
    assert remote() == 2
    assert "404 no such case" in capsys.readouterr().err


def test_a_server_that_is_not_there_is_an_error(world: World, capsys, monkeypatch):
    monkeypatch.setenv("SEARCHBENCH_TOKEN", "sbt_x")
    code = main(["remote", "run", "--server", "http://127.0.0.1:9", "--case", "1"])
    assert code == 2 and "127.0.0.1:9" in capsys.readouterr().err
