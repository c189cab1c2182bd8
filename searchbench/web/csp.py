"""The Content-Security-Policy of every response, and the image URLs a page may show.

The pages need no inline code: scripts and styles are static files (app.js, explain.js, the .css
files), dynamic values reach CSS through classes and data attributes, and charts are SVG drawn
by the server. So the policy allows scripts, styles, fonts and requests from this origin only, no
plugins, no <base>, forms posting to this origin only and no framing. Images are the exception:
result thumbnails come from the engines' own hosts over http or https, so img-src allows any
http(s) URL — and :func:`image_src` keeps everything else (``javascript:``, ``data:``, relative
paths) out of ``<img src>`` in the first place.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' http: https:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The API's docs page (/api/v1/docs: Swagger UI from ninja's static files) draws its icons as
# data: SVG images from its stylesheet; it shows no engine thumbnails and no user content, so its
# images are this origin's and data: only. Scripts and styles stay 'self'.
DOCS_POLICY = POLICY.replace("img-src 'self' http: https:", "img-src 'self' data:")
IMAGE_SCHEMES = ("http", "https")


class ContentSecurityPolicyMiddleware:
    """Sets POLICY on every response that has none (pages, redirects, errors, static files)."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault(HEADER, POLICY)
        return response


def image_src(url: str | None) -> str | None:
    """``url`` when a page may show it as an image: an absolute http(s) URL with a host. Else
    None — ``javascript:`` and ``data:`` URLs, relative paths (they would load from this app) and
    anything urllib cannot split are not put into ``src``."""
    if not url:
        return None
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in IMAGE_SCHEMES or not parts.hostname:
        return None
    return text
