"""One error shape for every API error: ``{"error": {"code", "message", "details"}}``.

Handlers raise :class:`ApiError`; ninja's own errors (validation, authentication, 404) and
Django's (PermissionDenied, Http404, a body too large) are turned into the same shape by the
exception handlers installed in :func:`install`, and :class:`ApiErrorMiddleware` reshapes what
answers outside ninja under /api/ (an unknown path, a wrong method, a CSRF refusal).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from searchbench.accounts.services import TeamError
from searchbench.cases.services import ServiceError
from searchbench.domain.formats.registry import IMPORT_MAX_BYTES  # an import's body is a file
from searchbench.web.logging import get_logger

log = get_logger("searchbench.api")

PREFIX = "/api/"
# Django's own limit on a body read into memory (2.5 MB): one limit, answered as a 413 here. A
# bulk add of 10,000 queries is well under 1 MB.
MAX_BODY_BYTES: int = settings.DATA_UPLOAD_MAX_MEMORY_SIZE

# The codes, by status, when nothing more precise is given.
CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "body_too_large",
    422: "invalid",
    500: "server_error",
}


class ErrorBody(Schema):
    code: str
    message: str
    details: Any = None


class ErrorOut(Schema):
    error: ErrorBody


# A refused team change (accounts.services.TeamError): its code names the status.
TEAM_STATUS = {"not_found": 404, "forbidden": 403, "invalid": 422, "conflict": 409}

# Every operation declares these answers (its own success codes besides).
ERROR_CODES = frozenset({400, 401, 403, 404, 409, 412, 413, 422})


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, *, code: str | None = None, details: Any = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.details = details


def not_found(what: str) -> ApiError:
    return ApiError(404, f"no such {what}")


def body(status: int, message: str, code: str | None = None, details: Any = None) -> dict:
    return {"error": {"code": code or CODES.get(status, "error"), "message": message,
                      "details": details}}  # fmt: skip


def response(status: int, message: str, code: str | None = None, details: Any = None) -> Any:
    return JsonResponse(body(status, message, code, details), status=status)


def _validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors:
        loc = [str(part) for part in err.get("loc", ())]
        out.append({"field": ".".join(loc), "message": str(err.get("msg", "invalid"))})
    return out


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn every exception into the one shape."""

    def on(exc_class: type[Exception]) -> Callable[[Callable[..., Any]], Any]:
        return api.exception_handler(exc_class)

    @on(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return response(exc.status, exc.message, exc.code, exc.details)

    @on(ServiceError)
    def _service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
        problems = getattr(exc, "problems", None)  # an import's: (where, reason) pairs
        details = [{"field": w, "message": r} for w, r in problems] if problems else None
        return response(422, str(exc), "unprocessable", details)

    @on(TeamError)
    def _team_error(request: HttpRequest, exc: TeamError) -> HttpResponse:
        return response(TEAM_STATUS.get(exc.code, 422), str(exc))

    @on(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        details = _validation_details(exc)
        first = details[0] if details else {"field": "", "message": "invalid"}
        where = f"{first['field']}: " if first["field"] else ""
        return response(422, f"{where}{first['message']}", "invalid", details)

    @on(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        resp = response(401, "authentication required: a session or a Bearer token")
        resp["WWW-Authenticate"] = 'Bearer realm="searchbench"'
        return resp

    @on(AuthorizationError)
    def _unauthorized(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return response(403, str(exc) or "forbidden")

    @on(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = str(exc)
        if exc.status_code == 403 and "CSRF" in message:
            return response(403, "CSRF check failed: send the X-CSRFToken header", "csrf_failed")
        return response(exc.status_code, message)

    @on(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return response(404, str(exc) or "not found")

    @on(PermissionDenied)
    def _denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return response(403, str(exc) or "forbidden")

    @on(RequestDataTooBig)
    def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return response(413, f"the request body is over {MAX_BODY_BYTES} bytes")

    @on(RecursionError)
    def _too_deep(request: HttpRequest, exc: RecursionError) -> HttpResponse:
        return response(422, "the JSON body is nested too deeply")

    @on(Exception)
    def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("api_error", path=request.path, error=type(exc).__name__)
        return response(500, "server error; the log has the details (request id in X-Request-ID)")


class ApiErrorMiddleware:
    """Under /api/: refuse bodies over MAX_BODY_BYTES before anything reads them, and give the
    one error shape to error answers made outside ninja (unknown path 404, wrong method 405,
    Django's CSRF page)."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = IMPORT_MAX_BYTES if "/import/" in request.path else MAX_BODY_BYTES
        if length > limit:
            return response(413, f"the request body is over {limit} bytes")
        if _has_nul(request, importing=limit == IMPORT_MAX_BYTES):
            # No database stores U+0000 in text (PostgreSQL refuses it): say so, before any does.
            return response(422, "text may not contain the NUL character (U+0000)")
        resp = self.get_response(request)
        if resp.status_code >= 400 and not _is_json(resp):
            status = resp.status_code
            message = {404: "no such path", 405: "method not allowed"}.get(
                status, resp.reason_phrase.lower() if resp.reason_phrase else "error"
            )
            new = response(status, f"{message}: {request.method} {request.path}")
            if "Allow" in resp:
                new["Allow"] = resp["Allow"]
            return new
        return resp


def _has_nul(request: HttpRequest, *, importing: bool) -> bool:
    if "%00" in request.META.get("QUERY_STRING", "") or "\x00" in request.path:
        return True
    if importing or not request.META.get("CONTENT_LENGTH"):
        return False  # an import's file is read in chunks, and checked there
    body = request.body
    return b"\x00" in body or b"\\u0000" in body


def _is_json(resp: HttpResponse) -> bool:
    if not resp.get("Content-Type", "").startswith("application/json"):
        return False
    if getattr(resp, "streaming", False):
        return True
    try:
        return "error" in json.loads(resp.content) or resp.status_code < 400
    except ValueError:
        return False
