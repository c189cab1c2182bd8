"""Endpoints' requests-per-minute budgets in the database, so every process shares one budget.

``engines.http`` keeps a token bucket per endpoint and process; :func:`share_in_database` makes
it keep them here instead, in :class:`~searchbench.jobs.models.RateBucket` rows, so N web
processes and N workers on several machines together send no more than the endpoint's limit.
The web app (wsgi.py, asgi.py) and ``searchbench worker`` call it at start; the CLI's
``searchbench run`` is one process and keeps its own.

A take is a compare-and-set: read the row, apply the bucket rule (``http.take_token``), write it
back only if nobody wrote in between (``version`` unchanged), else read again. That is one atomic
UPDATE on SQLite, PostgreSQL and MariaDB alike, with no lock held between the statements. The
spends go through a connection of their own, in autocommit, so a spend counts for every process
at once even when the caller is inside a transaction. Times are the machines' clocks (Unix time):
a clock that is behind refills nothing rather than too much.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, InterfaceError, OperationalError, connections

from searchbench.engines import http

MAX_CAS_ROUNDS = 100  # lost races in a row before giving up (each loss is another's success)


class DatabaseBucket(http.TokenBucket):
    """A TokenBucket whose state is a database row; ``acquire`` (wait or fail fast) is inherited."""

    def __init__(self, store: DatabaseBuckets, key: str, requests_per_minute: int) -> None:
        super().__init__(requests_per_minute)
        self.store = store
        self.key = hashlib.sha256(f"{key}\n{requests_per_minute}".encode()).hexdigest()

    def try_take(self) -> float:
        return self.store.take(self.key, self.rate, self.capacity)


class DatabaseBuckets:
    """Makes DatabaseBuckets (pass it to ``http.share_buckets``) and runs their takes, one at a
    time per process, on a private connection opened in the process that uses it."""

    def __init__(self, alias: str = "default", clock: Callable[[], float] = time.time) -> None:
        self.alias = alias
        self.clock = clock
        self._lock = threading.Lock()
        self._conn: Any = None
        self._pid = 0

    def __call__(self, key: str, requests_per_minute: int) -> DatabaseBucket:
        return DatabaseBucket(self, key, requests_per_minute)

    def take(self, key: str, rate: float, capacity: float) -> float:
        """Take one token (0.0) or say how many seconds until one is free."""
        with self._lock:
            try:
                return self._take(key, rate, capacity)
            except (InterfaceError, OperationalError):
                # The server went away since the last take (a restart, an idle timeout): once
                # more on a new connection.
                self._conn.close()
                return self._take(key, rate, capacity)

    def _take(self, key: str, rate: float, capacity: float) -> float:
        from searchbench.jobs.models import RateBucket

        conn = self._connection()
        q = conn.ops.quote_name
        table = q(RateBucket._meta.db_table)
        k, tokens_, updated_, version = q("key"), q("tokens"), q("updated"), q("version")
        select = f"SELECT {tokens_}, {updated_}, {version} FROM {table} WHERE {k} = %s"
        insert = (
            f"INSERT INTO {table} ({k}, {tokens_}, {updated_}, {version}) VALUES (%s, %s, %s, 0)"
        )
        update = (
            f"UPDATE {table} SET {tokens_} = %s, {updated_} = %s, {version} = {version} + 1 "
            f"WHERE {k} = %s AND {version} = %s"
        )
        for _ in range(MAX_CAS_ROUNDS):
            with conn.cursor() as cursor:
                cursor.execute(select, [key])
                row = cursor.fetchone()
                now = self.clock()
                if row is None:  # the endpoint's first request: a full bucket, less one
                    tokens, updated, wait = http.take_token(capacity, now, now, rate, capacity)
                    try:
                        cursor.execute(insert, [key, tokens, updated])
                    except IntegrityError:
                        continue  # another process made the row first: take from that
                    return wait
                tokens, updated, wait = http.take_token(row[0], row[1], now, rate, capacity)
                if wait:
                    return wait  # nothing taken, nothing to write
                cursor.execute(update, [tokens, updated, key, row[2]])
                if cursor.rowcount == 1:
                    return 0.0
        raise RuntimeError(f"rate limit: lost {MAX_CAS_ROUNDS} races in a row for one token")

    def _connection(self) -> Any:
        # A connection made before a fork belongs to the parent: each process opens its own.
        if self._conn is None or self._pid != os.getpid():
            self._conn = connections.create_connection(self.alias)
            self._conn.inc_thread_sharing()  # any thread may use it, one at a time (our lock)
            self._pid = os.getpid()
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None


def share_in_database() -> DatabaseBuckets:
    """From now on this process keeps endpoints' budgets in the database (shared by all)."""
    store = DatabaseBuckets()
    http.share_buckets(store)
    return store
