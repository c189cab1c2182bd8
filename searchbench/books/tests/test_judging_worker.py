"""Judging a book in real ``searchbench worker`` processes (the acceptance of issue #12's LLM
judges): a 100-pair book with every fault shape of the stand-in chat-completions server mixed in
is judged end to end, each judgement with its tokens and latency; a kill mid-way and a restart
ask again only what was in flight; cancel stops the calls. The database and the workers are
those of jobs/tests/test_worker_processes.py (SQLite here, a scratch PostgreSQL or MariaDB
database in the matrix)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from searchbench.books.tests.judge_scenario import shape_of
from searchbench.books.tests.llmserver import ChatServer, chat_server
from searchbench.jobs.tests.test_worker_processes import RETRY, Database, Workers, database
from searchbench.testing import service_missing

pytestmark = [pytest.mark.services, pytest.mark.django_db]
__all__ = ["database"]

CANT_RATE = {"refusal", "prose", "offscale"}


def scenario(db: Database, *args: Any) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "searchbench.books.tests.judge_scenario", *map(str, args)],
        env=db.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def server() -> Iterator[ChatServer]:
    with chat_server(slow=2.0) as chat:
        yield chat


@pytest.fixture
def workers(database: Database, tmp_path: Path) -> Iterator[Workers]:  # noqa: F811
    if sys.platform != "linux":
        service_missing("the worker tests need Linux (fork, process groups)")
    w = Workers(database, tmp_path)
    yield w
    w.stop()
    conn = database.connect()
    try:
        conn.cursor().execute("DELETE FROM django_q_ormq")
        conn.commit()
    finally:
        conn.close()


def progress(db: Database, job_id: int) -> tuple[str, int, int]:
    return tuple(db.one("SELECT status, done, total FROM jobs_job WHERE id = ?", job_id))


def wait_for(db: Database, job_id: int, test: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if test(*progress(db, job_id)):
            return
        time.sleep(0.1)
    raise AssertionError(f"job {job_id}: still {progress(db, job_id)} after {timeout} s")


def test_a_judge_judges_a_100_pair_book_with_every_fault_shape_in_worker_processes(
    database: Database,  # noqa: F811
    server: ChatServer,
    workers: Workers,
) -> None:
    ids = scenario(database, "setup", server.base_url, 100, 1, "faults")
    workers.start()
    started = time.monotonic()
    job = scenario(database, "start", ids["book_id"], ids["judge_id"])["job_id"]
    wait_for(database, job, lambda s, d, t: s not in ("queued", "running"), timeout=120)
    seconds = time.monotonic() - started
    report = scenario(database, "report", job)
    assert (report["status"], report["done"], report["failed"], report["total"]) == (
        "done",
        100,
        0,
        100,
    ), report["error"]
    got = {int(j["doc"][1:]): j for j in report["judgements"]}
    assert sorted(got) == list(range(100))
    for n, j in got.items():
        want = ("cant_rate", None) if shape_of(n, True) in CANT_RATE else ("rated", n % 4)
        assert (j["state"], j["rating"]) == want, n
        assert j["prompt_tokens"] > 0 and j["completion_tokens"] > 0
        assert j["latency_ms"] is not None and len(j["hash"]) == 64
    assert report["result"]["cant_rate"] == 12
    assert report["result"]["tokens"] == sum(
        j["prompt_tokens"] + j["completion_tokens"] for j in got.values()
    )
    print(f"judged 100 pairs with faults in worker processes in {seconds:.1f} s")


def test_a_killed_worker_and_a_restart_ask_again_only_what_was_in_flight(
    database: Database,  # noqa: F811
    server: ChatServer,
    workers: Workers,
) -> None:
    server.http.delay = 0.05  # 100 calls, 4 at a time: about 1.5 s of work
    try:
        ids = scenario(database, "setup", server.base_url, 100, 0, "killed")
        workers.start()
        job = scenario(database, "start", ids["book_id"], ids["judge_id"])["job_id"]
        wait_for(database, job, lambda s, d, t: d >= 20, timeout=60)
        workers.kill()
        status, at_kill, total = progress(database, job)
        assert status == "running" and 20 <= at_kill < total
        workers.start()
        wait_for(database, job, lambda s, d, t: s != "running", timeout=RETRY * 4 + 30)
    finally:
        server.http.delay = 0.0
    report = scenario(database, "report", job)
    assert (report["status"], report["done"], len(report["judgements"])) == ("done", 100, 100)
    calls = [c for c in server.calls if b"Query: killed query" in c.body]
    asked = Counter(c.body for c in calls)
    again = len(calls) - len(asked)
    print(f"kill/restart: killed at {at_kill}/100; {again} calls asked twice")
    assert (
        len(asked) == 100 and again <= 4
    )  # at most the round in flight (concurrency 4)  # at most the round in flight (concurrency 4)


def test_cancel_stops_the_calls(
    database: Database,  # noqa: F811
    server: ChatServer,
    workers: Workers,
) -> None:
    server.http.delay = 0.1
    try:
        ids = scenario(database, "setup", server.base_url, 100, 0, "cancel")
        before = len(server.calls)
        workers.start()
        job = scenario(database, "start", ids["book_id"], ids["judge_id"])["job_id"]
        wait_for(database, job, lambda s, d, t: d > 0, timeout=60)
        scenario(database, "cancel", job)
        wait_for(database, job, lambda s, d, t: s == "cancelled", timeout=10)
        time.sleep(0.5)
        count = len(server.calls) - before
        time.sleep(1.0)
        assert len(server.calls) - before == count < 100
    finally:
        server.http.delay = 0.0
    report = scenario(database, "report", job)
    assert report["status"] == "cancelled" and len(report["judgements"]) == report["done"] < 100
