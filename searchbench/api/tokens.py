"""Personal access tokens: made, checked, revoked. The web page (accounts) and the API's bearer
authentication both call these.

A token reads ``sbt_<key_id>_<secret>``: ``key_id`` (12 hex characters, stored) finds the row,
``secret`` (32 random bytes, urlsafe base64) is never stored — the row holds the SHA-256 of the
whole token, compared in constant time. A 256-bit random secret needs no slow hash: there is
nothing to guess from the digest.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from searchbench.api.models import ApiToken

PREFIX = "sbt_"
TOKEN_RE = re.compile(r"^sbt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
# last_used_at is written at most this often per token (not one UPDATE per API call).
LAST_USED_EVERY = timedelta(minutes=1)
MAX_EXPIRY_DAYS = 3650
NAME_MAX = ApiToken._meta.get_field("name").max_length or 100


class TokenError(Exception):
    """A token request that cannot be made (bad name, scope or expiry)."""


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token text; shown once, never stored


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def create_token(user: Any, name: str, scope: str, expires_in_days: int | None) -> NewToken:
    """A new token for ``user``; ``expires_in_days`` None never expires."""
    name = " ".join(name.split())
    if not name:
        raise TokenError("a token needs a name")
    if len(name) > NAME_MAX:
        raise TokenError(f"a token name has at most {NAME_MAX} characters")
    if scope not in ApiToken.Scope.values:
        raise TokenError(f"scope must be one of {', '.join(ApiToken.Scope.values)}")
    expires_at = None
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
            raise TokenError(f"expiry must be between 1 and {MAX_EXPIRY_DAYS} days")
        expires_at = timezone.now() + timedelta(days=expires_in_days)
    for _ in range(5):
        key_id = secrets.token_hex(6)
        if not ApiToken.objects.filter(key_id=key_id).exists():
            break
    text = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_id=key_id,
        digest=digest(text),
        scope=scope,
        expires_at=expires_at,
    )
    return NewToken(token, text)


def authenticate(text: str) -> ApiToken | None:
    """The active token ``text`` is, with its user, or None (unknown, wrong secret, revoked,
    expired, or its user deactivated). Records the use."""
    text = text.strip()
    match = TOKEN_RE.match(text)
    if not match:
        return None
    token = ApiToken.objects.select_related("user").filter(key_id=match.group(1)).first()
    if token is None:
        digest(text)  # as long as a found row takes: the answer's time says nothing
        return None
    if not hmac.compare_digest(token.digest, digest(text)):
        return None
    if not token.active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def tokens_of(user: Any) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user))


def revoke(user: Any, token_id: int) -> ApiToken | None:
    """Revoke one of ``user``'s tokens (None: no such token of theirs)."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
        if token is None:
            return None
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token
