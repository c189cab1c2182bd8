"""Single sign-on with OpenID Connect (mozilla-django-oidc), on when SEARCHBENCH_OIDC_ISSUER and
SEARCHBENCH_OIDC_CLIENT_ID are set (docs/sign-in.md).

What we add to the library:

- **Discovery**: the provider's endpoints and keys come from ``ISSUER/.well-known/
  openid-configuration``, read on first use and kept for an hour — never at start-up, so a
  provider that is down does not stop the app or password log-ins.
- **The ID token's issuer and audience are checked** (the library checks the signature, expiry
  and nonce only).
- **Users**: matched by e-mail (case-insensitive) only when the provider says the address is
  verified; a new user gets the provider's ``preferred_username`` when it is free (else the
  e-mail's local part, made unique) and no usable password. Several accounts with the e-mail:
  refused.
- The pages answer 404 while sign-on is off; a provider that cannot be reached sends the user
  back to the log-in page with a message instead of an error page.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import httpx
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from searchbench.web.logging import get_logger

log = get_logger("searchbench.accounts.oidc")

CALLBACK = "oidc_authentication_callback"  # the URL name the library reverses too
DISCOVERY_TTL = 3600.0  # seconds a provider's configuration is kept
# Library setting -> the discovery document's key.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


class ProviderError(Exception):
    """The provider's configuration cannot be read."""


def enabled() -> bool:
    return bool(settings.SEARCHBENCH_OIDC_ISSUER and settings.SEARCHBENCH_OIDC_CLIENT_ID)


_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


def provider_configuration(issuer: str | None = None) -> dict[str, Any]:
    """The provider's discovery document (cached for DISCOVERY_TTL; failures are not cached)."""
    issuer = (issuer or settings.SEARCHBENCH_OIDC_ISSUER).rstrip("/")
    with _lock:
        hit = _cache.get(issuer)
        if hit is not None and time.monotonic() - hit[0] < DISCOVERY_TTL:
            return hit[1]
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = httpx.get(url, timeout=settings.SEARCHBENCH_ENGINE_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderError(f"cannot read {url}: {exc}") from None
    missing = [key for key in DISCOVERED.values() if not document.get(key)]
    if missing:
        raise ProviderError(f"{url} has no {', '.join(missing)}")
    if document.get("issuer", "").rstrip("/") != issuer:
        raise ProviderError(f"{url} names the issuer {document.get('issuer')!r}, not {issuer!r}")
    with _lock:
        _cache[issuer] = (time.monotonic(), document)
    return document


def _ours() -> dict[str, Any]:
    """The library's settings that come from ours (read each time: tests change them)."""
    return {
        "OIDC_RP_CLIENT_ID": settings.SEARCHBENCH_OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.SEARCHBENCH_OIDC_CLIENT_SECRET,
        "OIDC_RP_SCOPES": settings.SEARCHBENCH_OIDC_SCOPES,
        "OIDC_RP_SIGN_ALGO": settings.SEARCHBENCH_OIDC_SIGN_ALGO,
        "OIDC_USE_PKCE": True,  # the code is useless to whoever intercepts it
        "OIDC_TIMEOUT": settings.SEARCHBENCH_ENGINE_TIMEOUT,
    }


def oidc_setting(attr: str, *default: Any) -> Any:
    """The library's settings: endpoints from discovery, the client's from SEARCHBENCH_OIDC_*,
    anything else from Django's settings."""
    if attr in DISCOVERED:
        return provider_configuration()[DISCOVERED[attr]]
    ours = _ours()
    if attr in ours:
        return ours[attr]
    return import_from_settings(attr, *default)


def check_id_token(payload: dict[str, Any], issuer: str, client_id: str) -> None:
    """SuspiciousOperation unless the ID token was issued by ``issuer`` for ``client_id``."""
    if str(payload.get("iss", "")).rstrip("/") != issuer.rstrip("/"):
        raise SuspiciousOperation("the ID token's issuer is not the configured provider")
    audience = payload.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise SuspiciousOperation("the ID token was not issued for this client")
    if isinstance(audience, list) and len(audiences) > 1 and payload.get("azp") != client_id:
        raise SuspiciousOperation("the ID token's authorized party is not this client")


def username_for(claims: dict[str, Any]) -> str:
    """A free user name for a new account: the provider's preferred one, else the e-mail's local
    part; ``-2``, ``-3``… when taken."""
    User = get_user_model()
    wanted = str(claims.get("preferred_username") or "").strip()
    if not wanted:
        wanted = str(claims.get("email", "user")).split("@", 1)[0]
    base = re.sub(r"[^\w.@+-]", "", wanted)[:140] or "user"
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


class Backend(OIDCAuthenticationBackend):
    """The library's backend, configured lazily: Django makes every backend for each log-in, and
    a password log-in must not wait for (or fail with) the provider."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = get_user_model()

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        # Only the callback signs on: never a password log-in that happens to carry ?code=.
        if request is None or not enabled() or request.path != reverse(CALLBACK):
            return None
        try:
            super().__init__()
        except ProviderError as exc:
            log.warning("oidc_provider_unreachable", error=str(exc))
            return None
        try:
            return super().authenticate(request, **kwargs)
        except requests.RequestException as exc:
            # The provider refused the code (made up, used, expired) or could not be reached.
            log.warning("oidc_token_exchange_failed", error=str(exc))
            return None

    def get_payload_data(self, token: Any, key: Any) -> Any:
        payload = super().get_payload_data(token, key)
        issuer = provider_configuration()["issuer"]
        check_id_token(payload, issuer, settings.SEARCHBENCH_OIDC_CLIENT_ID)
        return payload

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        # An address the provider has not verified could be anyone's: never match or make on it.
        return bool(claims.get("email")) and claims.get("email_verified", True) is not False

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        return self.UserModel.objects.filter(email__iexact=claims["email"], is_active=True)

    def create_user(self, claims: dict[str, Any]) -> Any:
        if not settings.SEARCHBENCH_OIDC_CREATE_USERS:
            return None
        user = self.UserModel.objects.create_user(username_for(claims), email=claims["email"])
        user.first_name = str(claims.get("given_name", ""))[:150]
        user.last_name = str(claims.get("family_name", ""))[:150]
        user.save(update_fields=["first_name", "last_name"])
        log.info("oidc_user_created", username=user.get_username())
        return user


def _failed(request: HttpRequest, why: str) -> HttpResponse:
    messages.error(request, f"Single sign-on did not sign you in: {why}")
    return redirect("login")


class RequestView(OIDCAuthenticationRequestView):
    """The log-in button: off (404) unless configured; a provider that cannot be reached is a
    message on the log-in page."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404("Single sign-on is off")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderError as exc:
            log.warning("oidc_provider_unreachable", error=str(exc))
            return _failed(request, "the identity provider cannot be reached; try again later")
        self.OIDC_RP_CLIENT_ID = oidc_setting("OIDC_RP_CLIENT_ID")
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(oidc_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404("Single sign-on is off")
        return super().get(request)

    def login_failure(self) -> HttpResponse:
        return _failed(self.request, "the provider did not confirm who you are")
