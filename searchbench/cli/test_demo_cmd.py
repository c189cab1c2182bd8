"""`searchbench demo` and `searchbench serve` as a person runs them: real processes, real HTTP."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from searchbench.cli import manage_cmd
from searchbench.testing import PRODUCTION_SETTINGS, child_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """As a person starts the demo: production settings (the demo turns DEBUG on itself)."""
    return child_env(
        PRODUCTION_SETTINGS,
        SEARCHBENCH_DATA_DIR=str(tmp_path / "data"),
        SEARCHBENCH_STATIC_ROOT=str(tmp_path / "static"),
        SEARCHBENCH_LOG_FORMAT="console",
        **extra,
    )


def searchbench(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "searchbench", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@contextmanager
def running(
    args: list[str], env: dict[str, str], cwd: Path, url: str
) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "searchbench", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"server exited with {proc.returncode}:\n{proc.stdout.read() if proc.stdout else ''}"
                )
            try:
                httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail("server did not answer within 90 s")
                time.sleep(0.3)
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def log_in(client: httpx.Client, base: str, username: str, password: str) -> httpx.Response:
    page = client.get(f"{base}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    return client.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{base}/accounts/login/"},
        follow_redirects=True,
    )


def test_demo_no_serve_is_idempotent_and_prints_the_login(tmp_path):
    env = clean_env(tmp_path)
    first = searchbench("demo", "--no-serve", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr + first.stdout
    assert "log in as demo / demo" in first.stdout
    assert re.search(r"nDCG@10 = 0\.\d{3}", first.stdout)
    assert (tmp_path / "data" / "secret_key").exists()
    assert (tmp_path / "data" / "searchbench.sqlite3").exists()
    second = searchbench("demo", "--no-serve", env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr + second.stdout
    assert "up to date" in second.stdout and "(0 new)" in second.stdout


def test_demo_serves_the_case_with_scores(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(
        ["demo", "--port", str(port)], clean_env(tmp_path), tmp_path, f"{base}/healthz"
    ) as proc:
        assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
        with httpx.Client() as client:
            cases = log_in(client, base, "demo", "demo")
            assert cases.status_code == 200 and "Demo: outdoor gear search" in cases.text
            case_url = re.search(r'href="(/cases/\d+/)"', cases.text).group(1)
            case = client.get(base + case_url)
            assert re.search(r'class="score" data-s="\d+">0\.\d{3}<', case.text)
            css = re.search(r'href="(/static/[^"]+\.css)"', case.text).group(1)
            assert client.get(base + css).status_code == 200
            # "Run all queries" is a job; the demo's own worker does it.
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', case.text).group(1)
            ran = client.post(
                f"{base}{case_url}run",
                data={"csrfmiddlewaretoken": token},
                headers={"Referer": base + case_url},
                follow_redirects=True,
            )
            job_url = re.search(r'data-job-url="([^"]+)"', ran.text).group(1)
            deadline = time.monotonic() + 60
            while (job := client.get(base + job_url).json())["active"]:
                assert time.monotonic() < deadline, job
                time.sleep(0.2)
            assert (job["status"], job["done"], job["failed"]) == ("done", 20, 0)
    # Stopped with the server: nothing of the demo is left running.
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)


def test_serve_runs_gunicorn_after_migrate(tmp_path):
    env = clean_env(tmp_path, SEARCHBENCH_SECRET_KEY="test-serve-key")
    migrated = searchbench("manage", "migrate", "--noinput", env=env, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(
        ["serve", "--port", str(port), "--workers", "1"], env, tmp_path, f"{base}/healthz"
    ):
        health = httpx.get(f"{base}/healthz")
        assert health.status_code == 200 and health.json()["migrations"]["pending"] == 0
        login = httpx.get(f"{base}/accounts/login/")
        # Manifest storage: collectstatic ran, so the stylesheet has a hashed name and is served.
        css = re.search(r'href="(/static/searchbench/app\.[0-9a-f]+\.css)"', login.text)
        assert css, login.text[:800]
        assert httpx.get(base + css.group(1)).status_code == 200


def test_serve_without_migrations_reports_unhealthy(tmp_path):
    env = clean_env(tmp_path, SEARCHBENCH_SECRET_KEY="k")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(
        ["serve", "--port", str(port), "--workers", "1"], env, tmp_path, f"{base}/healthz"
    ):
        health = httpx.get(f"{base}/healthz")
        assert health.status_code == 503
        assert (
            health.json()["migrations"]["ok"] is False
            and health.json()["migrations"]["pending"] > 0
        )


def test_serve_refuses_to_start_without_a_secret_key(tmp_path):
    result = searchbench("serve", "--port", str(free_port()), env=clean_env(tmp_path), cwd=tmp_path)
    assert result.returncode != 0
    assert result.returncode == 2
    assert result.stderr.startswith(
        "searchbench serve: configuration error: SEARCHBENCH_SECRET_KEY is not set"
    )


@pytest.mark.django_db
def test_manage_runs_django_commands_and_returns_their_exit_code(capsys):
    assert manage_cmd.run_raw(["check"]) == 0
    assert "no issues" in capsys.readouterr().out
    assert manage_cmd.run_raw(["no_such_command"]) == 1
    assert "Unknown command" in capsys.readouterr().err
