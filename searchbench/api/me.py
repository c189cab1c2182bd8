"""Who the API thinks you are."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from searchbench.api.common import answers

router = Router(tags=["me"])


class TokenInfo(Schema):
    name: str
    scope: str
    expires_at: datetime | None


class MeOut(Schema):
    id: int
    username: str
    auth: str
    token: TokenInfo | None


@router.get("", response=answers(MeOut), operation_id="get_me")
def get_me(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user, and the token used (if any)."""
    token = getattr(request, "api_token", None)
    return {
        "id": request.user.pk,
        "username": request.user.get_username(),
        "auth": "token" if token else "session",
        "token": {"name": token.name, "scope": token.scope, "expires_at": token.expires_at}
        if token
        else None,
    }
