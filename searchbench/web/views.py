"""Project-level views: /healthz and the template context every page gets."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from searchbench import __version__
from searchbench.web.revision import revision


def version_context(request: HttpRequest) -> dict[str, Any]:
    return {"searchbench_version": __version__}


def _database_state() -> tuple[dict[str, Any], dict[str, Any]]:
    database: dict[str, Any] = {"ok": False, "vendor": connection.vendor}
    migrations: dict[str, Any] = {"ok": False, "pending": None}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database["ok"] = True
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        database["error"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return database, migrations
    migrations["pending"] = len(plan)
    migrations["ok"] = not plan
    return database, migrations


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Ready when the database answers and every migration is applied; 503 otherwise."""
    database, migrations = _database_state()
    ok = database["ok"] and migrations["ok"]
    body = {
        "status": "ok" if ok else "error",
        "version": __version__,
        "revision": revision(),
        "database": database,
        "migrations": migrations,
    }
    return JsonResponse(body, status=200 if ok else 503)
