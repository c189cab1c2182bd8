"""Django for the benchmark scripts: a scratch data directory, and on request a scratch database
on a PostgreSQL or MariaDB server (created, then dropped)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


@contextmanager
def scratch_django(server_url: str | None, *, keep: bool = False) -> Iterator[Path]:
    """Django set up on a temporary data directory (SQLite there) or on a new database on
    ``server_url``'s server, migrated; yields the data directory."""
    url, drop = _scratch_database(server_url) if server_url else (None, None)
    data_dir = Path(tempfile.mkdtemp(prefix="searchbench-bench-"))
    os.environ["SEARCHBENCH_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("SEARCHBENCH_DEBUG", "1")
    os.environ["SEARCHBENCH_LOG_LEVEL"] = "WARNING"
    os.environ["SEARCHBENCH_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["DJANGO_SETTINGS_MODULE"] = "searchbench.web.settings"
    if url:
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
    try:
        import django

        django.setup()
        from django.conf import settings

        # SEARCHBENCH_DEBUG only spares a secret key and collectstatic; with DEBUG on, Django would
        # also keep (and format) every SQL statement, which production does not pay for.
        settings.DEBUG = False
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        yield data_dir
    finally:
        from django.db import connections

        connections.close_all()
        if drop is not None:
            drop()
        if keep:
            print(f"kept: {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def _scratch_database(server_url: str) -> tuple[str, Callable[[], None]]:
    """Create ``searchbench_bench_PID`` on the server; its URL, and how to drop it."""
    parts = urlsplit(server_url)
    name = f"searchbench_bench_{os.getpid()}"
    if parts.scheme.startswith("postgres"):
        import psycopg

        def admin(sql: str) -> None:
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(sql)

    else:
        import pymysql

        def admin(sql: str) -> None:
            conn = pymysql.connect(
                host=parts.hostname,
                port=parts.port or 3306,
                user=parts.username,
                password=parts.password or "",
                database=parts.path.lstrip("/"),
            )
            with conn.cursor() as cursor:
                cursor.execute(sql)
            conn.close()

    admin(f"CREATE DATABASE {name}")
    return urlunsplit(parts._replace(path=f"/{name}")), lambda: admin(f"DROP DATABASE {name}")
