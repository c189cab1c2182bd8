from __future__ import annotations

from pathlib import Path

import pytest

from searchbench.web.database import DatabaseUrlError, parse_database_url, sqlite_config


def test_it_parses_postgres_urls_with_escapes_and_options():
    config = parse_database_url(
        "postgres://sb%40team:p%2Fss@db.example:5433/search?sslmode=require"
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"]) == ("sb@team", "p/ss")
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example", "5433", "search")
    assert config["OPTIONS"] == {"sslmode": "require"}
    assert config["CONN_MAX_AGE"] > 0 and config["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize("scheme", ["mysql", "mariadb"])
def test_it_gives_mariadb_utf8mb4_and_strict_mode(scheme):
    config = parse_database_url(f"{scheme}://u:p@localhost/sb")
    assert config["ENGINE"] == "django.db.backends.mysql"
    assert config["PORT"] == ""
    assert config["OPTIONS"]["charset"] == "utf8mb4"
    assert "STRICT_TRANS_TABLES" in config["OPTIONS"]["init_command"]
    assert config["TEST"]["CHARSET"] == "utf8mb4"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///x.db", "unsupported scheme sqlite://"),
        ("postgres://u:p@host", "the path must be the database name"),
        ("postgres://u:p@host/a/b", "the path must be the database name"),
        ("postgres:///sb", "no host name"),
        ("postgres://u:p@host:notaport/sb", "Port could not be cast"),
        ("localhost/sb", "unsupported scheme (none)"),
    ],
)
def test_it_refuses_bad_urls_clearly(url, message):
    with pytest.raises(DatabaseUrlError) as info:
        parse_database_url(url)
    assert message in str(info.value)


def test_errors_never_show_the_password():
    with pytest.raises(DatabaseUrlError) as info:
        parse_database_url("oracle://user:hunter2@host/db")
    assert "hunter2" not in str(info.value) and "***" in str(info.value)


def test_sqlite_lives_at_the_given_path(tmp_path: Path):
    config = sqlite_config(tmp_path / "sb.sqlite3")
    assert config["NAME"] == str(tmp_path / "sb.sqlite3")
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
