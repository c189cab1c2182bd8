"""The NinjaAPI of /api/v1: every router, the authentication and the one error shape."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger

from searchbench import __version__
from searchbench.api import (
    books,
    cases,
    endpoints,
    jobs,
    me,
    queries,
    scorers,
    snapshots,
    teams,
    transfer,
    tries,
)
from searchbench.api.auth import AUTH
from searchbench.api.errors import install
from searchbench.web import csp


class LocalSwagger(Swagger):
    """ninja's Swagger UI from ninja's own static files (ninja is an installed app, so no CDN):
    script files and a JSON settings block, nothing inline. Its policy is the app's but for
    data: images (csp.DOCS_POLICY): the stylesheet draws its icons that way."""

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        response = super().render_page(request, api, **kwargs)
        response[csp.HEADER] = csp.DOCS_POLICY
        return response


api = NinjaAPI(
    title="searchbench API",
    version=f"1 ({__version__})",
    description="The relevance workbench over HTTP. Authenticate with a personal access token "
    "(`Authorization: Bearer sbt_…`, made on /accounts/tokens/) or the session (writes need the "
    'X-CSRFToken header). Errors: `{"error": {"code", "message", "details"}}`. '
    "See docs/api.md.",
    auth=AUTH,
    urls_namespace="api",
    docs=LocalSwagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install(api)

api.add_router("/me", me.router)
api.add_router("", transfer.router)  # before /cases/{id}: /cases/import/… is not a case id
api.add_router("/cases", cases.router)
api.add_router("/cases", tries.router)
api.add_router("/cases", queries.router)
api.add_router("/cases", queries.ratings_router)
api.add_router("/cases", snapshots.router)
api.add_router("/scorers", scorers.router)
api.add_router("/endpoints", endpoints.router)
api.add_router("/teams", teams.router)
api.add_router("/jobs", jobs.router)
api.add_router("/books", books.router)
