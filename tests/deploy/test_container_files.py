"""The container files agree with each other and with the settings registry."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from searchbench.env import BY_NAME
from searchbench.testing import PRODUCTION_SETTINGS, child_env

REPO = Path(__file__).resolve().parents[2]
# Variables the container files may set that are not searchbench settings.
NOT_SETTINGS = {
    "PATH",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "DJANGO_SETTINGS_MODULE",
    "GUNICORN_CMD_ARGS",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "PIP_DEFAULT_TIMEOUT",
}


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value
    return pairs


def test_every_compose_variable_is_documented_in_env_example() -> None:
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", (REPO / "compose.yaml").read_text()))
    missing = sorted(used - set(_env_example()))
    assert not missing, f".env.example does not document: {missing}"


def test_the_app_environment_in_compose_uses_declared_settings() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    env = compose["x-searchbench"]["environment"]
    unknown = sorted(name for name in env if name not in BY_NAME and name not in NOT_SETTINGS)
    assert not unknown, f"compose sets undeclared variables: {unknown}"


def test_the_dockerfile_sets_only_declared_settings() -> None:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    names = set()
    for line in text.splitlines():
        if line.startswith("ENV "):
            names |= set(re.findall(r"([A-Z][A-Z0-9_]*)=", line))
    unknown = sorted(n for n in names if n not in BY_NAME and n not in NOT_SETTINGS)
    assert not unknown, f"the Dockerfile sets undeclared variables: {unknown}"
    assert "SEARCHBENCH_SECRET_KEY=" not in text.replace("SEARCHBENCH_SECRET_KEY=collectstatic", "")


def test_compose_has_the_required_shape() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    assert {"migrate", "web", "worker", "db"} <= services.keys()
    # the worker is the app's image running `worker`, after migrate, scalable (no fixed name/port)
    assert services["worker"]["image"] == services["web"]["image"]
    assert services["worker"]["command"] == ["worker"]
    assert services["worker"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert "ports" not in services["worker"]
    assert services["mariadb"]["profiles"] == ["mariadb"]
    assert services["logshipper"]["profiles"] == ["logs"]
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["migrate"]["image"] == services["web"]["image"]
    assert "healthcheck" in services["db"]
    assert not any("container_name" in s for s in services.values())
    for port in services["web"]["ports"]:
        assert port.startswith("${SEARCHBENCH_BIND:-127.0.0.1}:")


def test_deploy_docs_cover_every_command_and_variable() -> None:
    doc = (REPO / "docs" / "deploy.md").read_text()
    for command in ("`web`", "`migrate`", "`manage ARGS…`", "`demo`", "`shell`"):
        assert command in doc
    entrypoint = (REPO / "docker" / "entrypoint.sh").read_text()
    for command in re.findall(r"^    ([a-z]+)\)$", entrypoint, flags=re.M):
        assert f"`{command}" in doc, f"docs/deploy.md does not describe `{command}`"


def _entrypoint(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # As the image runs it: production settings (the image's Dockerfile names them too).
    environ = child_env(PRODUCTION_SETTINGS, PYTHONPATH=str(REPO), **env)
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ['PATH']}"
    return subprocess.run(
        ["bash", str(REPO / "docker" / "entrypoint.sh"), *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
    )


def test_the_entrypoint_execs_other_commands() -> None:
    result = _entrypoint("echo", "as", "given")
    assert result.returncode == 0 and result.stdout == "as given\n"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_entrypoint_gives_up_on_an_absent_database(tmp_path: Path) -> None:
    port = _closed_port()
    result = _entrypoint(
        "migrate",
        DATABASE_URL=f"postgres://u:p@127.0.0.1:{port}/db",
        SEARCHBENCH_DB_WAIT="1",
        SEARCHBENCH_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 1
    assert f"127.0.0.1:{port} did not accept connections within 1 s" in result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@db:5432/x", ("db", 5432)),
        ("postgresql://u:p@db/x", ("db", 5432)),
        ("mysql://u:p@maria:3307/x", ("maria", 3307)),
        ("sqlite:///tmp/x.sqlite3", None),
        ("postgres:///x?host=/run/postgresql", None),
    ],
)
def test_wait_for_db_finds_host_and_port(url: str, expected: tuple[str, int] | None) -> None:
    sys.path.insert(0, str(REPO / "docker"))
    try:
        import wait_for_db
    finally:
        sys.path.remove(str(REPO / "docker"))
    assert wait_for_db.target(url) == expected


def test_wait_for_db_returns_once_the_port_listens(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(REPO / "docker" / "wait_for_db.py")],
            capture_output=True,
            text=True,
            env=child_env(
                PRODUCTION_SETTINGS,
                PYTHONPATH=str(REPO),
                SEARCHBENCH_DB_WAIT="5",
                DATABASE_URL=f"mysql://u:p@127.0.0.1:{port}/x",
            ),
            timeout=30,
        )
    assert result.returncode == 0, result.stderr


def test_the_debian_database_override_builds_the_db_from_this_repository() -> None:
    override = yaml.safe_load((REPO / "docker" / "compose.debian-db.yaml").read_text())
    db = override["services"]["db"]
    # paths in an extra compose file are the project's (the first file's folder)
    assert (REPO / db["build"]["context"] / "Dockerfile").is_file()
    assert (REPO / db["build"]["context"] / "entrypoint.sh").is_file()
    assert "healthcheck" not in db  # compose.yaml's; compose would append a restated list
