"""`searchbench remote run` against a deployment: `searchbench serve` (gunicorn, production
settings) and a real `searchbench worker` in their own processes over a slow JSON search API, as a
CI job would reach them. The progress the command shows comes from the workers' chunks.

The processes and the database are the worker tests' (searchbench/jobs/tests/
test_worker_processes.py): a file SQLite database, or a scratch database on PostgreSQL or MariaDB
when the database matrix runs this file.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from searchbench.jobs.tests.test_worker_processes import (
    QUERIES,
    Database,
    Workers,
    api,
    big_case,
    database,
    prepared,
    workers,
)
from searchbench.testing import PRODUCTION_SETTINGS, child_env

__all__ = ["api", "database", "prepared", "workers"]  # the fixtures, used below

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(prepared: Database, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "searchbench", "serve", "--port", str(port), "--workers", "1",
         "--no-collectstatic"],
        env=prepared.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "searchbench serve did not answer in 60 s"
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()


def _token(database: Database) -> str:
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from searchbench.api import tokens\n"
        "user = get_user_model().objects.get(username='worker-test')\n"
        "print(tokens.create_token(user, 'ci', 'write', 1).secret)\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "searchbench", "manage", "shell", "-c", code],
        env=database.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_remote_run_follows_real_workers_to_the_score(
    prepared: Database, api, workers: Workers, server: str
) -> None:
    case_id = big_case(prepared, api)
    token = _token(prepared)
    workers.start()
    done = subprocess.run(
        [sys.executable, "-m", "searchbench", "remote", "run", "--server", server,
         "--case", str(case_id), "--poll", "0.2", "--fail-under", "0.01", "--format", "json"],
        env=child_env(PRODUCTION_SETTINGS, SEARCHBENCH_TOKEN=token),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert len(report["queries"]) == QUERIES and report["errors"] == 0
    assert report["thresholds"][0]["passed"] is True
    # The progress came from the workers, chunk by chunk.
    lines = [
        line for line in done.stderr.splitlines() if line.startswith(f"job {report['job_id']}")
    ]
    counts = [line for line in lines if f"of {QUERIES} queries" in line]
    assert len(counts) >= 2, lines
    (status,) = prepared.one("SELECT status FROM jobs_job WHERE id = ?", report["job_id"])
    assert status == "done"
