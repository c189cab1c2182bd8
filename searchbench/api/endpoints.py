"""Search endpoints: list the ones you may use, CRUD of your own, test the connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from searchbench.api.common import (
    Id,
    JsonObject,
    Page,
    PageParams,
    answers,
    changes_of,
    check_if_match,
    delete_unless_used,
    paginate,
    with_etag,
)
from searchbench.api.errors import ApiError, not_found
from searchbench.api.forms import bind, save
from searchbench.cases import services
from searchbench.cases.forms import EndpointForm
from searchbench.cases.models import SearchEndpoint

router = Router(tags=["endpoints"])


class EndpointOut(Schema):
    id: int
    name: str
    kind: str
    url: str
    method: str
    headers: dict[str, str] = Field(..., description="secret headers shown as ***")
    username: str
    has_password: bool
    options: dict[str, Any]
    requests_per_minute: int | None
    timeout: float
    teams: list[int]
    owner: str
    mine: bool
    created_at: datetime
    updated_at: datetime


class EndpointIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    kind: str = Field(..., description="an engine kind, e.g. solr, elasticsearch, local")
    url: str = Field(..., min_length=1, max_length=2000)
    method: Literal["GET", "POST"] = "GET"
    headers: dict[str, str] = {}
    username: str = Field("", max_length=200)
    password: str = Field("", description="write-only; stored encrypted")
    options: JsonObject = {}
    requests_per_minute: int | None = Field(None, ge=1, le=1_000_000)
    timeout: float = Field(10.0, gt=0, le=300)
    teams: list[Id] = []


class EndpointPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: str | None = None
    url: str | None = Field(None, min_length=1, max_length=2000)
    method: Literal["GET", "POST"] | None = None
    headers: dict[str, str] | None = Field(None, description="*** keeps a stored secret value")
    username: str | None = Field(None, max_length=200)
    password: str | None = Field(None, description="write-only; empty keeps the stored one")
    clear_password: bool | None = None
    options: JsonObject | None = None
    requests_per_minute: int | None = Field(None, ge=1, le=1_000_000)
    timeout: float | None = Field(None, gt=0, le=300)
    teams: list[Id] | None = None


class PingOut(Schema):
    ok: bool
    message: str


def endpoint_out(e: SearchEndpoint, user: Any) -> dict[str, Any]:
    from searchbench.engines.http import MASK, mask_headers, mask_url

    mine = e.owner_id == user.pk
    return {
        "id": e.pk,
        "name": e.name,
        "kind": e.kind,
        "url": mask_url(e.url),
        "method": e.method,
        "headers": mask_headers(e.headers or {}),
        # The basic-auth user is a credential too: teammates see that there is one, not which.
        "username": e.username if mine or not e.username else MASK,
        "has_password": e.has_password,
        "options": e.options or {},
        "requests_per_minute": e.requests_per_minute,
        "timeout": e.timeout,
        "teams": sorted(e.teams.values_list("pk", flat=True)),
        "owner": e.owner.get_username(),
        "mine": mine,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


def _usable(request: HttpRequest, endpoint_id: int) -> SearchEndpoint:
    found = services.usable_endpoints(request.user).select_related("owner")
    endpoint = found.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise not_found("endpoint")
    return endpoint


def _own(request: HttpRequest, endpoint_id: int) -> SearchEndpoint:
    endpoint = _usable(request, endpoint_id)
    if endpoint.owner_id != request.user.pk:
        raise ApiError(403, "only the endpoint's owner changes it (its credentials are theirs)")
    return endpoint


@router.get("", response=answers(Page[EndpointOut]), operation_id="list_endpoints")
def list_endpoints(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """Endpoints you may use: yours and those shared with your teams."""
    rows = services.usable_endpoints(request.user).select_related("owner").order_by("name", "id")
    return paginate(rows, page, lambda e: endpoint_out(e, request.user))


@router.post("", response=answers(EndpointOut, 201), operation_id="create_endpoint")
def create_endpoint(request: HttpRequest, payload: EndpointIn) -> Status:
    """A new endpoint (checked as the web form checks it: the URL policy, headers, options).
    Static results are named by ``static://NAME`` of a set you may use; uploading one is a web
    page's (or the CLI's) job."""
    form = bind(EndpointForm, payload.dict(), user=request.user)
    return Status(201, endpoint_out(save(form, owner=request.user), request.user))


@router.get("/{id:endpoint_id}", response=answers(EndpointOut), operation_id="get_endpoint")
def get_endpoint(request: HttpRequest, endpoint_id: Id, response: HttpResponse) -> dict:
    return with_etag(response, endpoint_out(_usable(request, endpoint_id), request.user))


@router.patch("/{id:endpoint_id}", response=answers(EndpointOut), operation_id="update_endpoint")
def update_endpoint(
    request: HttpRequest, endpoint_id: Id, payload: EndpointPatch, response: HttpResponse
) -> dict[str, Any]:
    """Change one of your endpoints. If-Match: 412 on change."""
    endpoint = _own(request, endpoint_id)
    check_if_match(request, endpoint_out(endpoint, request.user))
    changes = changes_of(payload, nullable=("requests_per_minute",))
    form = bind(EndpointForm, changes, instance=endpoint, user=request.user)
    return with_etag(response, endpoint_out(save(form), request.user))


@router.delete("/{id:endpoint_id}", response=answers(None, 204), operation_id="delete_endpoint")
def delete_endpoint(request: HttpRequest, endpoint_id: Id) -> Status:
    """Delete one of your endpoints (409 while a try uses it)."""
    endpoint = _own(request, endpoint_id)
    delete_unless_used(endpoint, "tries use this endpoint; it cannot be deleted")
    return Status(204, None)


@router.post("/{id:endpoint_id}/test", response=answers(PingOut), operation_id="test_endpoint")
def test_endpoint(request: HttpRequest, endpoint_id: Id) -> dict[str, Any]:
    """Test the connection (the engine's own health check)."""
    ok, message = services.ping_endpoint(_usable(request, endpoint_id))
    return {"ok": ok, "message": message}
