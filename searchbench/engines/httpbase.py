"""Shared plumbing of the adapters that talk HTTP (Solr, Elasticsearch, OpenSearch, JSON APIs)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from searchbench.domain.search import PingResult, SearchResult
from searchbench.engines import http
from searchbench.engines.base import Engine, EngineError

# How much of a failed response body is kept on the result for debugging.
MAX_RAW_RESPONSE = 20_000


class HttpEngine(Engine):
    """An engine reached over HTTP: requests carry the endpoint's headers, auth, timeout and
    requests-per-minute limit, and go through the one HTTP seam (engines/http.py)."""

    def endpoint_url(self, *path: str) -> str:
        base = self.config.url.rstrip("/")
        return "/".join([base, *(p.strip("/") for p in path if p)])

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        json_body: Any = None,
        data: Sequence[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> http.HttpResponse:
        merged = {**self.config.headers, **(headers or {})}
        return http.send(
            method,
            url,
            params=params,
            json_body=json_body,
            data=data,
            headers=merged,
            username=self.config.username or None,
            password=self.config.password,
            timeout=self.config.timeout,
            requests_per_minute=self.config.requests_per_minute,
            limiter_key=f"{self.kind}:{self.config.url}",
        )

    def describe(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        return http.describe_request(
            method,
            url,
            headers={**self.config.headers},
            basic_auth=bool(self.config.username),
            **kwargs,
        )

    def keeping_request(
        self, resp: http.HttpResponse, parse: Callable[[], SearchResult]
    ) -> SearchResult:
        """``parse()``; an error it raises carries the request and the start of the raw body."""
        try:
            return parse()
        except (EngineError, http.HttpError) as exc:
            exc.request = resp.request
            exc.response = resp.text[:MAX_RAW_RESPONSE]
            raise

    @staticmethod
    def error_status(
        resp: http.HttpResponse, product: str, message: Callable[[Any], str | None]
    ) -> EngineError:
        """The error for a non-2xx response: the engine's own words when ``message`` finds them
        in the JSON body, else the engine-neutral reading of the body."""
        try:
            body = resp.json()
        except http.BadResponse:
            body = None
        msg = message(body)
        transient = resp.status >= 500
        if msg:
            return EngineError(f"{product} error (HTTP {resp.status}): {msg}", transient=transient)
        return EngineError(http.error_text(resp), transient=transient)

    def timed_ping(self, check: Any) -> PingResult:
        """Run ``check()`` (returns a message or raises) and time it; never raises."""
        started = time.perf_counter()
        try:
            message = check()
            ok = True
        except (EngineError, http.HttpError) as exc:
            message, ok = str(exc), False
        return PingResult(ok, str(message), (time.perf_counter() - started) * 1000)
