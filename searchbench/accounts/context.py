"""Template context for every page: which ways in the log-in page offers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from searchbench.accounts import oidc


def sign_in_options(request: HttpRequest) -> dict[str, Any]:
    return {
        "signup_open": settings.SEARCHBENCH_SIGNUP,
        "sso_name": settings.SEARCHBENCH_OIDC_NAME if oidc.enabled() else None,
    }
