"""DATABASE_URL -> Django DATABASES entry. Small on purpose: the three vendors we support, no more.

Accepted: ``postgres://`` / ``postgresql://`` (psycopg 3), ``mysql://`` / ``mariadb://`` (PyMySQL
posing as MySQLdb). Query-string parameters become driver OPTIONS, e.g. ``?sslmode=require``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


class DatabaseUrlError(ValueError):
    """DATABASE_URL cannot be turned into a database configuration."""


ENGINES = {
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "mysql": "django.db.backends.mysql",
    "mariadb": "django.db.backends.mysql",
}

# Connections are reused across requests for this many seconds; health checks catch a server
# that went away in between (database restarts, proxies closing idle connections).
SERVER_CONN_MAX_AGE = 60


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def parse_database_url(url: str) -> dict[str, Any]:
    """The DATABASES["default"] dict for a postgres:// or mysql:// URL (errors name the problem)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise DatabaseUrlError(f"DATABASE_URL={_redact(url)!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ENGINES:
        known = ", ".join(f"{s}://" for s in ENGINES)
        raise DatabaseUrlError(
            f"DATABASE_URL={_redact(url)!r}: unsupported scheme {scheme + '://' if scheme else '(none)'}; "
            f"use one of {known} (or unset DATABASE_URL for SQLite in the data directory)"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name or "/" in name:
        raise DatabaseUrlError(
            f"DATABASE_URL={_redact(url)!r}: the path must be the database name, e.g. {scheme}://user:pass@host:port/searchbench"
        )
    if not parts.hostname:
        raise DatabaseUrlError(f"DATABASE_URL={_redact(url)!r}: no host name")
    options: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
    config: dict[str, Any] = {
        "ENGINE": ENGINES[scheme],
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname,
        "PORT": str(port or ""),
        "CONN_MAX_AGE": SERVER_CONN_MAX_AGE,
        "CONN_HEALTH_CHECKS": True,
    }
    if ENGINES[scheme].endswith("mysql"):
        # utf8mb4 so any text (emoji included) round-trips; strict mode so MariaDB refuses
        # truncation instead of silently storing half a value.
        options.setdefault("charset", "utf8mb4")
        options.setdefault("init_command", "SET sql_mode='STRICT_TRANS_TABLES'")
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    config["OPTIONS"] = options
    return config


def sqlite_config(path: Path) -> dict[str, Any]:
    """SQLite in the data directory, tuned for a web process and a worker sharing one file."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # WAL lets readers proceed while one writer commits; IMMEDIATE takes the write lock at
            # BEGIN so two writers queue (busy timeout) instead of failing with "database is locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
