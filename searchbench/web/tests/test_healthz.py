from __future__ import annotations

import json
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from searchbench import __version__
from searchbench.web import revision as revision_module


@pytest.mark.django_db
def test_it_is_ok_when_migrated():
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["status"] == "ok" and body["version"] == __version__
    assert body["database"]["ok"] is True and body["database"]["vendor"]
    assert body["migrations"] == {"ok": True, "pending": 0}
    assert body["revision"]
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_it_is_503_with_pending_migrations():
    with mock.patch.object(MigrationExecutor, "migration_plan", return_value=[("m", False)] * 2):
        response = Client().get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "error" and body["migrations"] == {"ok": False, "pending": 2}


@pytest.mark.django_db
def test_it_is_503_when_the_database_is_down():
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute",
        side_effect=OperationalError("connection refused"),
    ):
        response = Client().get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["database"]["ok"] is False and "connection refused" in body["database"]["error"]
    assert body["migrations"]["pending"] is None


def test_revision_prefers_the_environment(monkeypatch):
    revision_module.revision.cache_clear()
    monkeypatch.setenv("SEARCHBENCH_REVISION", "abc123")
    try:
        assert revision_module.revision() == "abc123"
    finally:
        revision_module.revision.cache_clear()


def test_revision_falls_back_to_unknown_without_git(monkeypatch, tmp_path):
    revision_module.revision.cache_clear()
    monkeypatch.delenv("SEARCHBENCH_REVISION", raising=False)
    monkeypatch.setattr(revision_module, "CHECKOUT", tmp_path)  # not a git checkout
    try:
        assert revision_module.revision() == "unknown"
    finally:
        revision_module.revision.cache_clear()
