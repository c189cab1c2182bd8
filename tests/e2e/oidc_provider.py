"""A real OpenID Connect provider for the sign-on tests: django-oauth-toolkit with OIDC on, an RS256
key made at start, one user and one registered client, served over HTTP on a free port.

    python tests/e2e/oidc_provider.py DATA_DIR REDIRECT_URI

prints one JSON line (the issuer, client id and secret, the user's log-in and e-mail) once it
answers, then serves until killed. A separate process with its own Django settings: nothing of
searchbench is imported here.
"""

from __future__ import annotations

import json
import secrets
import socket
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

USER = {"username": "alice", "password": "alice-pw-7781", "email": "Alice@Example.com"}
CLIENT_ID = "searchbench-test"

LOGIN_PAGE = """<!doctype html><title>Provider log-in</title>
<form method="post" id="provider-login">{% csrf_token %}
<input name="username"><input name="password" type="password">
<input type="hidden" name="next" value="{{ next }}"><button>Log in</button></form>"""


def _key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def configure(data_dir: Path, issuer: str) -> None:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS=["127.0.0.1"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "oauth2_provider",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(data_dir / "provider.sqlite3"),
            }
        },
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "OPTIONS": {
                    "context_processors": ["django.template.context_processors.request"],
                    "loaders": [
                        (
                            "django.template.loaders.locmem.Loader",
                            {"registration/login.html": LOGIN_PAGE},
                        ),
                        "django.template.loaders.app_directories.Loader",
                    ],
                },
            }
        ],
        # Its cookies must not be mistaken for searchbench's by a client talking to both.
        SESSION_COOKIE_NAME="provider_session",
        CSRF_COOKIE_NAME="provider_csrf",
        LOGIN_URL="/login/",
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        OAUTH2_PROVIDER={
            "OIDC_ENABLED": True,
            "OIDC_RSA_PRIVATE_KEY": _key(),
            "OIDC_ISS_ENDPOINT": issuer,
            "PKCE_REQUIRED": True,
            "SCOPES": {"openid": "Who you are", "email": "Your e-mail", "profile": "Your name"},
            "OAUTH2_VALIDATOR_CLASS": f"{__name__}.Validator",
        },
    )
    django.setup()


def _validator() -> Any:
    from oauth2_provider.oauth2_validators import OAuth2Validator

    class Validator(OAuth2Validator):
        def get_additional_claims(self, request: Any) -> dict[str, Any]:
            user = request.user
            return {
                "email": user.email,
                "email_verified": True,
                "preferred_username": user.username,
                "given_name": "Alice",
            }

    return Validator


def _urls() -> list[Any]:
    from django.contrib.auth import views as auth_views
    from django.urls import include, path

    return [
        path("login/", auth_views.LoginView.as_view(), name="login"),
        path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    ]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def main(data_dir: Path, redirect_uri: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    issuer = f"http://127.0.0.1:{port}/o"
    configure(data_dir, issuer)
    globals()["Validator"] = _validator()
    globals()["urlpatterns"] = _urls()

    from django.contrib.auth import get_user_model
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    get_user_model().objects.create_user(**USER)
    secret = secrets.token_urlsafe(32)
    Application.objects.create(
        name="searchbench",
        client_id=CLIENT_ID,
        client_secret=secret,  # stored hashed by the toolkit
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=False,  # the consent page is part of the flow under test
    )
    server = make_server("127.0.0.1", port, WSGIHandler(), _Server, _Quiet)
    print(
        json.dumps(
            {
                "issuer": issuer,
                "client_id": CLIENT_ID,
                "client_secret": secret,
                "username": USER["username"],
                "password": USER["password"],
                "email": USER["email"],
            }
        ),
        flush=True,
    )
    server.serve_forever()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
