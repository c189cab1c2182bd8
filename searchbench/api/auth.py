"""Who is calling: a personal access token (``Authorization: Bearer sbt_…``) or the session
cookie, with Django's CSRF check on writes. A token of scope ``read`` may only read: every
method but GET, HEAD and OPTIONS is a write (403 ``insufficient_scope``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from searchbench.api import tokens
from searchbench.api.errors import ApiError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """Bearer tokens. A token that is presented but not valid is a 401, never a fall-back to the
    session (a script with a revoked token must hear so)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = tokens.authenticate(token)
        if found is None:
            raise ApiError(401, "the token is unknown, revoked or expired", code="invalid_token")
        if request.method not in SAFE_METHODS and not found.can_write:
            raise ApiError(
                403, "this token has the read scope; writing needs a write token",
                code="insufficient_scope",
            )  # fmt: skip
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class SessionAuth(APIKeyCookie):
    """The web app's session; Django's CSRF check on writes (the X-CSRFToken header)."""

    param_name = "sessionid"

    def __init__(self) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        if "Authorization" in request.headers or self.param_name not in request.COOKIES:
            return None  # the bearer scheme answered (or refused) already; or no session: 401
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if key is None:
            return None
        user = request.user
        return user if user.is_authenticated and user.is_active else None


AUTH = [TokenAuth(), SessionAuth()]
