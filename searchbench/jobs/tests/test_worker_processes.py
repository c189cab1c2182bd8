"""Real ``searchbench worker`` processes against a slow JSON API: kill and resume, SIGTERM, cancel,
progress, and one rate limit for two processes.

The database is the one the test run uses: a file SQLite database in a temporary data directory
(one worker with two processes), or, when the database matrix runs this file with DATABASE_URL
set (``make test`` with SEARCHBENCH_TEST_DATABASE_URLS), a scratch database on that PostgreSQL or
MariaDB server shared by three workers, as three machines would. Everything that touches the
database runs in separate processes (the workers, and scenario.py for set-up and checks); the
test itself only reads progress with plain SQL.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from searchbench.engines.tests.server import FakeServer, Recorded, start_server
from searchbench.testing import PRODUCTION_SETTINGS, child_env, service_missing

pytestmark = [pytest.mark.services, pytest.mark.django_db]

QUERIES = 300
CHUNK = 50
DELAY = 0.1  # seconds the API takes per query: 300 queries are a few seconds of work
RETRY = 6  # a killed worker's tasks are delivered again this long after they were taken


@dataclass
class Database:
    """Where the workers meet: env for the processes, and a plain DB-API connection for reads."""

    env: dict[str, str]
    vendor: str  # sqlite, postgresql, mysql
    connect: Any

    def one(self, sql: str, *params: Any) -> Any:
        conn = self.connect()
        try:
            cur = conn.cursor()
            cur.execute(sql.replace("?", "%s") if self.vendor != "sqlite" else sql, params)
            return cur.fetchone()
        finally:
            conn.close()

    def all(self, sql: str, *params: Any) -> list[Any]:
        conn = self.connect()
        try:
            cur = conn.cursor()
            cur.execute(sql.replace("?", "%s") if self.vendor != "sqlite" else sql, params)
            return list(cur.fetchall())
        finally:
            conn.close()


def _base_env(data_dir: Path) -> dict[str, str]:
    # The workers and scenario.py stand for machines of a deployment: production settings.
    return child_env(
        PRODUCTION_SETTINGS,
        SEARCHBENCH_DATA_DIR=str(data_dir),
        SEARCHBENCH_SECRET_KEY="worker-test-secret",
        SEARCHBENCH_LOG_LEVEL=os.environ.get("JOBS_TEST_LOG_LEVEL", "WARNING"),
        SEARCHBENCH_JOB_CHUNK_SIZE=str(CHUNK),
        SEARCHBENCH_JOB_TIMEOUT=str(RETRY - 1),
        SEARCHBENCH_JOB_RETRY=str(RETRY),
        SEARCHBENCH_ENGINE_CONCURRENCY="4",
    )


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    from django.conf import settings

    data_dir = tmp_path_factory.mktemp("worker-data")
    env = _base_env(data_dir)
    url = os.environ.get("DATABASE_URL", "")
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    if vendor == "sqlite3":
        path = data_dir / "searchbench.sqlite3"
        yield Database(env, "sqlite", lambda: sqlite3.connect(path, timeout=20))
        return
    scratch = f"sbjobs_{os.getpid()}"
    parts = urlsplit(url)
    admin, db_url = _server_connect(vendor, parts), urlunsplit(parts._replace(path="/" + scratch))
    _admin(admin, f"DROP DATABASE IF EXISTS {scratch}")
    _admin(admin, f"CREATE DATABASE {scratch}")
    env["DATABASE_URL"] = db_url
    try:
        yield Database(env, vendor, lambda: admin(scratch))
    finally:
        _admin(admin, f"DROP DATABASE IF EXISTS {scratch}")


def _server_connect(vendor: str, parts: Any) -> Any:
    def connect(name: str | None = None) -> Any:
        kwargs = dict(
            host=parts.hostname, port=parts.port, user=parts.username, password=parts.password
        )
        if vendor == "postgresql":
            import psycopg

            return psycopg.connect(dbname=name or parts.path.lstrip("/"), autocommit=True, **kwargs)
        import pymysql

        return pymysql.connect(database=name, autocommit=True, **kwargs)

    return connect


def _admin(connect: Any, sql: str) -> None:
    conn = connect()
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


def scenario(database: Database, *args: Any) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "searchbench.jobs.tests.scenario", *map(str, args)],
        env=database.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def api() -> Iterator[FakeServer]:
    """A JSON search API that takes DELAY seconds to answer each query."""
    state, server = start_server()
    state.delay = DELAY

    def answer(request: Recorded) -> Any:
        return 200, {"Content-Type": "application/json"}, {"results": [{"id": "d1", "title": "x"}]}

    state.route("GET", "/search", answer)
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def prepared(database: Database, api: FakeServer) -> Database:
    if sys.platform != "linux":
        service_missing("the worker tests need Linux (fork, process groups)")
    scenario(database, "setup", f"{api.url}/search", 1)  # migrates; a case to warm up on
    return database


@dataclass
class Workers:
    """``searchbench worker`` processes: each in its own process group, so a kill takes the whole
    cluster (guard, workers, pusher, monitor) as a crash of its machine would."""

    database: Database
    logs: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    started: int = 0

    def start(self, **env: str) -> None:
        from django.conf import settings

        server = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1] != "sqlite3"
        clusters, processes = (3, 1) if server else (1, 2)
        for _ in range(clusters):
            self.started += 1
            log = open(self.logs / f"worker-{self.started}.log", "wb")  # noqa: SIM115
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "searchbench", "worker", "--processes", str(processes)],
                    env={**self.database.env, **env},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def kill(self) -> None:
        for proc in self.procs:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        self.procs = []

    def term(self, timeout: float = 20) -> list[tuple[int | None, float]]:
        """SIGTERM to every process of each worker (as `timeout` or systemd would; `docker stop`
        sends it to the main process alone, the easier case); (exit code, seconds) each."""
        started = time.monotonic()
        for proc in self.procs:
            os.killpg(proc.pid, signal.SIGTERM)
        out = []
        for proc in self.procs:
            try:
                code = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                code = None
            out.append((code, time.monotonic() - started))
        return out

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        self.procs = []


@pytest.fixture
def workers(prepared: Database, tmp_path: Path) -> Iterator[Workers]:
    w = Workers(prepared, tmp_path)
    yield w
    w.stop()
    # What a failed test left on the queue must not run in the next one.
    conn = prepared.connect()
    try:
        conn.cursor().execute("DELETE FROM django_q_ormq")
        conn.commit()
    finally:
        conn.close()


def progress(database: Database, job_id: int) -> tuple[str, int, int]:
    return tuple(database.one("SELECT status, done, total FROM jobs_job WHERE id = ?", job_id))


def wait_for(database: Database, job_id: int, test: Any, timeout: float) -> list[int]:
    """Poll the job until ``test(status, done, total)``; the done counts seen on the way."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, done, total = progress(database, job_id)
        if not seen or seen[-1] != done:
            seen.append(done)
        if test(status, done, total):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"job {job_id}: still {progress(database, job_id)} after {timeout} s")


def big_case(database: Database, api: FakeServer) -> int:
    return int(scenario(database, "setup", f"{api.url}/search", QUERIES)["case_id"])


def test_a_killed_worker_leaves_a_job_another_finishes_with_every_query_once(
    prepared: Database, api: FakeServer, workers: Workers
) -> None:
    case_id = big_case(prepared, api)
    before = len(api.requests)
    workers.start()
    job = scenario(prepared, "run", case_id)
    assert job["chunks"] == QUERIES // CHUNK
    # Progress advances while the workers go, then the whole cluster dies mid-run.
    seen = wait_for(prepared, job["job_id"], lambda s, d, t: d >= 64, timeout=60)
    workers.kill()
    status, done_at_kill, total = progress(prepared, job["job_id"])
    assert status == "running" and 0 < done_at_kill < total
    assert len(seen) >= 3 and seen == sorted(seen)

    workers.start()
    wait_for(prepared, job["job_id"], lambda s, d, t: s != "running", timeout=RETRY * 4 + 30)
    report = scenario(prepared, "report", job["job_id"])
    assert report["status"] == "done"
    assert report["history_rows"] == 1  # finished once
    assert report["complete"] and report["recorded"] == report["distinct"] == QUERIES
    assert (report["done"], report["failed"], report["total"]) == (QUERIES, 0, QUERIES)
    assert report["score"] == 1.0  # quepid:P@10: the one doc returned is relevant
    assert report["leftover_results"] == 0
    redone = len(api.requests) - before - QUERIES
    print(f"kill/resume: killed at {done_at_kill}/{total}; {redone} queries searched twice")
    assert 0 <= redone <= 2 * 4 * 4 * 3  # at most the batches in hand when the cluster died


def test_sigterm_finishes_the_batch_in_hand_and_hands_the_rest_back(
    prepared: Database, api: FakeServer, workers: Workers
) -> None:
    case_id = big_case(prepared, api)
    workers.start()
    job = scenario(prepared, "run", case_id)
    wait_for(prepared, job["job_id"], lambda s, d, t: d >= 32, timeout=60)
    stopped = workers.term()
    assert all(code == 0 for code, _ in stopped), stopped
    assert max(seconds for _, seconds in stopped) < 10  # a batch, not a whole chunk
    status, done, total = progress(prepared, job["job_id"])
    assert status == "running" and done < total
    # Nothing is left taken by a worker that is gone: the rest is back on the queue at once.
    now = datetime.now(UTC).replace(tzinfo=None)
    column = "`lock`" if prepared.vendor == "mysql" else '"lock"'
    locks = [_naive_utc(v) for (v,) in prepared.all(f"SELECT {column} FROM django_q_ormq")]
    assert locks and all(lock <= now for lock in locks), (now, scenario(prepared, "queue"))
    workers.procs = []
    workers.start()
    wait_for(prepared, job["job_id"], lambda s, d, t: s != "running", timeout=60)
    report = scenario(prepared, "report", job["job_id"])
    assert report["status"] == "done" and report["history_rows"] == 1 and report["complete"]


def test_cancel_stops_a_running_job(prepared: Database, api: FakeServer, workers: Workers) -> None:
    case_id = big_case(prepared, api)
    before = len(api.requests)
    workers.start()
    job = scenario(prepared, "run", case_id)
    wait_for(prepared, job["job_id"], lambda s, d, t: d > 0, timeout=60)
    scenario(prepared, "cancel", job["job_id"])
    wait_for(prepared, job["job_id"], lambda s, d, t: s == "cancelled", timeout=10)
    time.sleep(1.0)  # the batches in hand end; nothing after them
    count = len(api.requests) - before
    time.sleep(1.5)
    assert len(api.requests) - before == count < QUERIES
    report = scenario(prepared, "report", job["job_id"])
    assert report["status"] == "cancelled" and report["history_rows"] == 0


def test_a_worker_whose_main_process_dies_stops_by_itself(
    prepared: Database, workers: Workers
) -> None:
    workers.start(SEARCHBENCH_LOG_LEVEL="INFO")
    main = workers.procs[0]
    deadline = time.monotonic() + 30
    while b"worker_ready" not in (workers.logs / "worker-1.log").read_bytes():
        assert time.monotonic() < deadline and main.poll() is None
        time.sleep(0.2)
    for proc in workers.procs:
        proc.send_signal(signal.SIGKILL)  # the main process alone, not its group
        proc.wait(10)
    deadline = time.monotonic() + 15
    while any(_group_alive(proc.pid) for proc in workers.procs):
        assert time.monotonic() < deadline, "the workers ran on without their main process"
        time.sleep(0.2)
    assert b"worker_orphaned" in (workers.logs / "worker-1.log").read_bytes()
    workers.procs = []


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_two_processes_share_one_rate_limit(prepared: Database) -> None:
    """600 requests a minute (10 a second, bursts of 10): two processes sending 15 each need
    about (30 - 10) / 10 = 2 s together; with a budget each they would be done in 0.5 s."""
    state, server = start_server()
    arrivals: list[float] = []

    def answer(request: Recorded) -> Any:
        arrivals.append(time.monotonic())
        return 200, {"Content-Type": "application/json"}, {"ok": True}

    state.route("GET", "/limited", answer)
    try:
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "searchbench.jobs.tests.scenario",
                    "hammer",
                    f"{state.url}/limited",
                    "600",
                    "15",
                ],
                env=prepared.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        for proc in procs:
            _out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err.decode()[-3000:]
    finally:
        server.shutdown()
        server.server_close()
    assert len(arrivals) == 30
    span = arrivals[-1] - arrivals[0]
    busiest = max(sum(1 for t in arrivals if a <= t < a + 1.0) for a in arrivals)
    print(f"shared rate limit: 30 requests in {span:.2f} s, at most {busiest} in one second")
    assert span >= 1.5  # per-process budgets: 0.5 s
    assert busiest <= 10 + 10 + 1  # a full bucket plus one second's refill


def _naive_utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value
