"""RequestIdMiddleware: the id is taken or made, bound to the logs, echoed, and logged once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from structlog.testing import capture_logs

from searchbench.web.middleware import HEADER, RequestIdMiddleware


@pytest.fixture
def factory() -> RequestFactory:
    return RequestFactory()


@pytest.fixture(autouse=True)
def clean_context() -> Iterator[None]:
    structlog.contextvars.clear_contextvars()
    yield
    structlog.contextvars.clear_contextvars()


def _view_seeing_context(seen: dict) -> RequestIdMiddleware:
    def view(request: HttpRequest) -> HttpResponse:
        seen.update(structlog.contextvars.get_contextvars())
        seen["attr"] = request.request_id  # type: ignore[attr-defined]
        return HttpResponse("hello", status=201)

    return RequestIdMiddleware(view)


def test_it_keeps_a_given_request_id(factory: RequestFactory) -> None:
    seen: dict = {}
    response = _view_seeing_context(seen)(factory.get("/x", HTTP_X_REQUEST_ID="abc-123"))
    assert response[HEADER] == "abc-123"
    assert seen["request_id"] == "abc-123" and seen["attr"] == "abc-123"
    assert structlog.contextvars.get_contextvars() == {}


def test_it_makes_one_when_missing_or_unsafe(factory: RequestFactory) -> None:
    middleware = _view_seeing_context({})
    made = middleware(factory.get("/x"))[HEADER]
    assert len(made) == 32 and made.isalnum()
    for bad in ("has space", "x" * 129, "line\nbreak", ""):
        assert middleware(factory.get("/x", HTTP_X_REQUEST_ID=bad))[HEADER] != bad


def test_it_logs_one_access_line(factory: RequestFactory) -> None:
    middleware = _view_seeing_context({})
    with capture_logs() as logs:
        middleware(factory.post("/cases/1/run", HTTP_X_REQUEST_ID="r-1", HTTP_USER_AGENT="t/1"))
    (line,) = [entry for entry in logs if entry["event"] == "request"]
    assert line["method"] == "POST" and line["path"] == "/cases/1/run"
    assert line["status"] == 201 and line["bytes"] == 5 and line["user_agent"] == "t/1"
    assert line["log_level"] == "info" and line["duration_ms"] >= 0


def test_health_checks_are_logged_at_debug_level(factory: RequestFactory) -> None:
    with capture_logs() as logs:
        _view_seeing_context({})(factory.get("/healthz"))
    (line,) = logs
    assert line["log_level"] == "debug"


def test_it_logs_and_reraises_faults(factory: RequestFactory) -> None:
    def broken(request: HttpRequest) -> HttpResponse:
        raise RuntimeError("middleware fault")

    with capture_logs() as logs, pytest.raises(RuntimeError):
        RequestIdMiddleware(broken)(factory.get("/x", HTTP_X_REQUEST_ID="r-2"))
    assert logs[0]["event"] == "request_failed"
    assert structlog.contextvars.get_contextvars() == {}
