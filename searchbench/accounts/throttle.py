"""What a locked-out log-in sees, on /accounts/login/ and /admin/login/ alike (django-axes calls
it; the throttle itself is configured in web/settings.py and described in docs/web.md).

The page never says which limit was hit, nor echoes the user name: a locked unknown user name and
a locked real one get the same page, so the lock cannot tell which accounts exist.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def locked_out_message() -> str:
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return (
        "Too many failed log-ins for this user name or from this address. "
        f"Try again in {minutes} minute{'' if minutes == 1 else 's'}."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The log-in page with the lock's message, as 429 Too Many Requests."""
    context = {"form": AuthenticationForm(request), "locked_out": locked_out_message()}
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
