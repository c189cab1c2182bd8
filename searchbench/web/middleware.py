"""Request ids and the access log; engine rate limits that fail fast inside a request.

RequestIdMiddleware takes the caller's ``X-Request-ID`` (when it is a sane token) or makes one,
binds it to structlog's context so every log line of the request carries it, echoes it in the
response, and writes one access line per request. It is the first middleware, so the line covers
the whole stack, including requests that other middleware answers or rejects.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse

from searchbench.engines import http

HEADER = "X-Request-ID"
# Ids from outside end up in log files: accept only short, printable tokens.
VALID_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
QUIET_PATHS = frozenset({"/healthz"})  # polled every few seconds; logged at debug level

ACCESS_LOGGER = "searchbench.access"


def request_id_from(request: HttpRequest) -> str:
    given = request.headers.get(HEADER, "")
    return given if VALID_ID.match(given) else uuid.uuid4().hex


class RequestIdMiddleware:
    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        # A fresh proxy per request: cheap, and tests can capture it whatever ran before.
        access_log = structlog.get_logger(ACCESS_LOGGER)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        except Exception:
            # Django turns view errors into responses; this is for faults in middleware itself.
            access_log.exception(
                "request_failed",
                method=request.method,
                path=request.path,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()
            raise
        response[HEADER] = request_id
        log = access_log.debug if request.path in QUIET_PATHS else access_log.info
        log(
            "request",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            bytes=_length(response),
            remote_addr=request.META.get("REMOTE_ADDR"),
            user_agent=request.headers.get("User-Agent", ""),
        )
        structlog.contextvars.clear_contextvars()
        return response


def _length(response: HttpResponse) -> int | None:
    if response.streaming:
        return None
    return len(response.content)


class EngineRateLimitMiddleware:
    """A web request never sleeps on an endpoint's requests-per-minute limit.

    Engine requests made while answering it fail fast with "rate limited … retry in N s" (a
    per-query error in a run, a failed test connection) instead of holding a server thread for up to
    a minute per query. The CLI, and later the worker, run outside requests and wait.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with http.rate_limit_policy(http.RateLimitPolicy.FAIL_FAST):
            return self.get_response(request)
