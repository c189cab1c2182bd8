"""Wait until the database in DATABASE_URL accepts TCP connections, or fail clearly.

Run by the container entrypoint before commands that use the database. SQLite (no DATABASE_URL)
needs no wait. The timeout is SEARCHBENCH_DB_WAIT seconds; secrets may come from DATABASE_URL_FILE.
"""

from __future__ import annotations

import socket
import sys
import time
from urllib.parse import urlsplit

from searchbench import env

DEFAULT_PORTS = {
    "postgres": 5432,
    "postgresql": 5432,
    "pgsql": 5432,
    "mysql": 3306,
    "mariadb": 3306,
}


def target(url: str) -> tuple[str, int] | None:
    """(host, port) of a database URL; None for SQLite or a Unix socket."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme.startswith("sqlite") or not parts.hostname:
        return None
    if scheme not in DEFAULT_PORTS:
        raise SystemExit(f"wait_for_db: DATABASE_URL has an unknown scheme {scheme!r}")
    return parts.hostname, parts.port or DEFAULT_PORTS[scheme]


def main() -> int:
    try:
        url = env.get("DATABASE_URL")
        timeout = env.get("SEARCHBENCH_DB_WAIT")
    except env.SettingError as exc:
        print(f"wait_for_db: {exc}", file=sys.stderr)
        return 2
    where = target(url) if url else None
    if where is None:
        return 0
    host, port = where
    deadline = time.monotonic() + max(timeout, 0)
    last_error = ""
    while True:
        try:
            with socket.create_connection((host, port), timeout=2):
                return 0
        except OSError as exc:
            last_error = exc.strerror or str(exc)
        if time.monotonic() >= deadline:
            print(
                f"wait_for_db: the database at {host}:{port} did not accept connections within "
                f"{timeout} s (SEARCHBENCH_DB_WAIT); last error: {last_error}",
                file=sys.stderr,
            )
            return 1
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
