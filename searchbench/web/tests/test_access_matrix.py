"""The persona matrix: every route of the URL configuration (the pages, /api/v1 and /admin/),
every method it answers, as the owner, a team member, an outsider, a site admin and an
anonymous visitor, on real objects (a private, a team-shared and a public case, with their
queries, snapshots, runs and jobs; endpoints; scorers; a team; tokens), checked against the
expectation table below (``PAGES``, ``API``, ``ADMIN_SITE``; every ModelAdmin route is staff-only).

A route or API operation without an expectation fails the suite by name — add it to the table
(docs/security.md says how). Also: session writes without a CSRF token are refused (403) on every
route that takes a write, and a read-scope token is refused (403) on every API write.

One world per module, built once inside a transaction that is rolled back at the end; each
request runs in a savepoint that is rolled back, so a DELETE by one persona does not change what
the next one sees.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.generic import RedirectView

pytestmark = pytest.mark.django_db

PERSONAS = ("owner", "member", "outsider", "admin", "anon")

# --- outcomes ----------------------------------------------------------------------------------
OK = "ok"  # 2xx, or a redirect that is not to a log-in page
LOGIN = "login"  # a redirect to the log-in page (the pages) or the admin's log-in (admin)


def outcome(response: Any) -> str:
    status = response.status_code
    if 300 <= status < 400:
        location = response.get("Location", "")
        if location.startswith((resolve_url(settings.LOGIN_URL), "/admin/login/")):
            return LOGIN
        return OK
    if 200 <= status < 300:
        return OK
    return str(status)


# --- who is what to which object ---------------------------------------------------------------
# The cases: the owner's private one, one shared with the team, a public one (no team).
CASE_READERS = {
    "private": {"owner"},
    "shared": {"owner", "member"},
    "public": {"owner", "member", "outsider", "admin"},
}
CASE_WRITERS = {"private": {"owner"}, "shared": {"owner", "member"}, "public": {"owner"}}
# Endpoints and custom scorers: the owner's private one and one shared with the team.
SHARED_USERS = {"private": {"owner"}, "shared": {"owner", "member"}}


@dataclass(frozen=True)
class Rule:
    """What each persona gets on a route: ``expect(persona, variant) -> outcome``, and the
    object kind whose variants the route is tried on (``case``, ``endpoint``, ``scorer``)."""

    name: str
    expect: Callable[[str, str], str]
    over: str | None = None

    def __repr__(self) -> str:
        return self.name


def _signed_in(anon: str) -> Callable[[Callable[[str, str], str]], Callable[[str, str], str]]:
    def wrap(f: Callable[[str, str], str]) -> Callable[[str, str], str]:
        return lambda p, v: anon if p == "anon" else f(p, v)

    return wrap


def rules(anon: str) -> dict[str, Rule]:
    """The access rules, for the pages (anonymous: log-in redirect) or the API (401)."""
    s = _signed_in(anon)
    return {
        "anyone": Rule("anyone", lambda p, v: OK),
        "signed_in": Rule("signed_in", s(lambda p, v: OK)),
        "405": Rule("405", s(lambda p, v: "405")),
        "405_all": Rule("405_all", lambda p, v: "405"),  # refused before anything else
        "off": Rule("off", lambda p, v: "404"),  # a feature off by default (sign-up, OIDC)
        "case_read": Rule(
            "case_read", s(lambda p, v: OK if p in CASE_READERS[v] else "404"), "case"
        ),
        "case_write": Rule(
            "case_write",
            s(
                lambda p, v: (
                    OK if p in CASE_WRITERS[v] else "403" if p in CASE_READERS[v] else "404"
                )
            ),
            "case",
        ),
        # Readers who may not write get 404 here (the nightly switch hides the case from them).
        "case_write_404": Rule(
            "case_write_404", s(lambda p, v: OK if p in CASE_WRITERS[v] else "404"), "case"
        ),
        "case_owner": Rule(
            "case_owner",
            s(lambda p, v: OK if p == "owner" else "403" if p in CASE_READERS[v] else "404"),
            "case",
        ),
        # Jobs are seen by those who may change their case; to others they are not there.
        "job": Rule("job", s(lambda p, v: OK if p in CASE_WRITERS[v] else "404"), "case"),
        "endpoint_use": Rule(
            "endpoint_use", s(lambda p, v: OK if p in SHARED_USERS[v] else "404"), "endpoint"
        ),
        "endpoint_own": Rule(
            "endpoint_own", s(lambda p, v: OK if p == "owner" else "404"), "endpoint"
        ),
        "scorer_use": Rule(
            "scorer_use", s(lambda p, v: OK if p in SHARED_USERS[v] else "404"), "scorer"
        ),
        "scorer_own": Rule("scorer_own", s(lambda p, v: OK if p == "owner" else "404"), "scorer"),
        # LLM judges: their owner's and their teams'; only the owner edits one (its key is theirs).
        "judge_use": Rule(
            "judge_use", s(lambda p, v: OK if p in SHARED_USERS[v] else "404"), "judge"
        ),
        "judge_own": Rule("judge_own", s(lambda p, v: OK if p == "owner" else "404"), "judge"),
        # Books: their owner and their teams' members read and change them; to others, not there.
        "book": Rule("book", s(lambda p, v: OK if p in SHARED_USERS[v] else "404"), "book"),
        # Only a book's owner deletes it; its teams' members are told so (403).
        "book_owner": Rule(
            "book_owner",
            s(lambda p, v: OK if p == "owner" else "403" if p in SHARED_USERS[v] else "404"),
            "book",
        ),
        # Built-in indexes: those who may use one see it; only its owner builds or deletes it.
        "index_use": Rule(
            "index_use", s(lambda p, v: OK if p in SHARED_USERS[v] else "404"), "index"
        ),
        "index_own": Rule("index_own", s(lambda p, v: OK if p == "owner" else "404"), "index"),
        "team_member": Rule(
            "team_member", s(lambda p, v: OK if p in ("owner", "member") else "404")
        ),
        "team_owner": Rule(
            "team_owner",
            s(lambda p, v: OK if p == "owner" else "403" if p == "member" else "404"),
        ),
        "own_token": Rule("own_token", s(lambda p, v: OK if p == "owner" else "404")),
        # An invitation link: whoever has it, signed in (410 once used or expired).
        "invitation": Rule("invitation", s(lambda p, v: OK)),
        "staff": Rule("staff", lambda p, v: OK if p == "admin" else LOGIN),
        # staff pass the admin's gate, then the page itself refuses (no autocomplete field named;
        # no page for the object; a model the admin only lists)
        "staff_403": Rule("staff_403", lambda p, v: "403" if p == "admin" else LOGIN),
        "staff_404": Rule("staff_404", lambda p, v: "404" if p == "admin" else LOGIN),
        # the admin's log-out is a POST; a GET by anyone else is sent to the admin's log-in
        "admin_logout": Rule("admin_logout", lambda p, v: "405" if p == "admin" else OK),
        "to_login": Rule("to_login", lambda p, v: LOGIN),  # log-out: to the log-in page
        # Readers who may not search see the stored results, which keep no score explanations
        # (400: nothing to compare): proof that no search reached the owner's endpoint for them.
        "case_read_stored": Rule(
            "case_read_stored",
            s(
                lambda p, v: (
                    OK if p in CASE_WRITERS[v] else "400" if p in CASE_READERS[v] else "404"
                )
            ),
            "case",
        ),
        # Endpoints: those who may use one see it (and are told 403 when they change it).
        "endpoint_edit": Rule(
            "endpoint_edit",
            s(lambda p, v: OK if p == "owner" else "403" if p in SHARED_USERS[v] else "404"),
            "endpoint",
        ),
        "scorer_test": Rule("scorer_test", s(lambda p, v: "404")),
        "scorer_edit": Rule(
            "scorer_edit",
            s(lambda p, v: OK if p == "owner" else "403" if p in SHARED_USERS[v] else "404"),
            "scorer",
        ),
    }


WEB = rules(LOGIN)
API_RULES = rules("401")

# --- the expectation table ---------------------------------------------------------------------
# The pages: route pattern -> {method: rule}. GET and POST are tried on each.
G = WEB
PAGES: dict[str, dict[str, Rule]] = {
    "healthz": {"GET": G["anyone"], "POST": G["405_all"]},
    "accounts/tokens/": {"GET": G["signed_in"], "POST": G["signed_in"]},
    "accounts/tokens/<id:token_id>/revoke": {"GET": G["405"], "POST": G["own_token"]},
    "accounts/login/": {"GET": G["anyone"], "POST": G["anyone"]},
    "accounts/logout/": {"GET": G["405_all"], "POST": G["to_login"]},
    "accounts/signup/": {"GET": G["off"], "POST": G["off"]},
    "accounts/oidc/authenticate/": {"GET": G["off"], "POST": G["405_all"]},
    "accounts/oidc/callback/": {"GET": G["off"], "POST": G["405_all"]},
    "accounts/me/": {"GET": G["signed_in"], "POST": G["signed_in"]},
    "accounts/password/change/": {"GET": G["signed_in"], "POST": G["signed_in"]},
    "accounts/password/change/done/": {"GET": G["signed_in"], "POST": G["405"]},
    "accounts/password/reset/": {"GET": G["anyone"], "POST": G["anyone"]},
    "accounts/password/reset/sent/": {"GET": G["anyone"], "POST": G["405_all"]},
    "accounts/password/reset/<uidb64>/<token>/": {"GET": G["anyone"], "POST": G["anyone"]},
    "accounts/password/reset/done/": {"GET": G["anyone"], "POST": G["405_all"]},
    # ninja's own pages under /api/v1/ (the document and the docs page need no credentials)
    "api/v1/openapi.json": {"GET": G["anyone"]},
    "api/v1/docs": {"GET": G["anyone"]},
    "api/v1/": {"GET": API_RULES["off"]},
    "teams/": {"GET": G["signed_in"], "POST": G["signed_in"]},
    "teams/<id:team_id>/": {"GET": G["team_member"], "POST": G["team_member"]},
    "teams/<id:team_id>/members/add": {"GET": G["405"], "POST": G["team_owner"]},
    "teams/<id:team_id>/members/<id:user_id>/remove": {"GET": G["405"], "POST": G["team_owner"]},
    "teams/<id:team_id>/members/<id:user_id>/role": {"GET": G["405"], "POST": G["team_owner"]},
    "teams/<id:team_id>/leave": {"GET": G["405"], "POST": G["team_member"]},
    "teams/<id:team_id>/delete": {"GET": G["405"], "POST": G["team_owner"]},
    "teams/<id:team_id>/invite": {"GET": G["405"], "POST": G["team_owner"]},
    "teams/<id:team_id>/invitations/<id:invitation_id>/revoke": {
        "GET": G["405"],
        "POST": G["team_owner"],
    },
    "teams/invitations/<str:token>": {"GET": G["invitation"], "POST": G["invitation"]},
    "explain/cases/<id:case_id>/queries/<id:query_id>/": {
        "GET": G["case_read"],
        "POST": G["case_read"],
    },
    "explain/cases/<id:case_id>/queries/<id:query_id>/doc": {
        "GET": G["case_read"],
        "POST": G["case_read"],
    },
    "explain/cases/<id:case_id>/queries/<id:query_id>/compare": {
        "GET": G["case_read_stored"],
        "POST": G["case_read_stored"],
    },
    # A try side is searched live only for those who may search; others see it as an error.
    "explain/cases/<id:case_id>/queries/<id:query_id>/moved": {
        "GET": G["case_read"],
        "POST": G["405"],
    },
    "jobs/<id:job_id>.json": {"GET": G["job"], "POST": G["405"]},
    "jobs/<id:job_id>/cancel": {"GET": G["405"], "POST": G["job"]},
    "cases/<id:case_id>/nightly": {"GET": G["405"], "POST": G["case_write_404"]},
    "": {"GET": G["signed_in"], "POST": G["signed_in"]},
    "cases/<id:case_id>/": {"GET": G["case_read"], "POST": G["case_read"]},
    "cases/import": {"GET": G["signed_in"], "POST": G["signed_in"]},
    "cases/<id:case_id>/run": {"GET": G["405"], "POST": G["case_write"]},
    "cases/<id:case_id>/import": {"GET": G["case_write"], "POST": G["case_write"]},
    "cases/<id:case_id>/export": {"GET": G["case_read"], "POST": G["405"]},
    "cases/<id:case_id>/settings": {"GET": G["case_write"], "POST": G["case_write"]},
    "cases/<id:case_id>/queries/add": {"GET": G["405"], "POST": G["case_write"]},
    "cases/<id:case_id>/queries/<id:query_id>/": {"GET": G["case_read"], "POST": G["case_read"]},
    "cases/<id:case_id>/queries/<id:query_id>/delete": {"GET": G["405"], "POST": G["case_write"]},
    "cases/<id:case_id>/queries/<id:query_id>/rate": {"GET": G["405"], "POST": G["case_write"]},
    "cases/<id:case_id>/queries/<id:query_id>/notes": {"GET": G["405"], "POST": G["case_write"]},
    "cases/<id:case_id>/queries/<id:query_id>/panel": {"GET": G["case_read"], "POST": G["405"]},
    "cases/<id:case_id>/queries/<id:query_id>/move": {"GET": G["405"], "POST": G["case_write"]},
    "cases/<id:case_id>/tries/new": {"GET": G["case_write"], "POST": G["case_write"]},
    "cases/<id:case_id>/tries/": {"GET": G["case_read"], "POST": G["case_read"]},
    "cases/<id:case_id>/tries/<id:number>/": {"GET": G["case_read"], "POST": G["case_read"]},
    "cases/<id:case_id>/tries/<id:number>/switch": {"GET": G["405"], "POST": G["case_write"]},
    "cases/<id:case_id>/tries/<id:number>/duplicate": {"GET": G["405"], "POST": G["case_write"]},
    "cases/<id:case_id>/tries/<id:number>/rename": {"GET": G["405"], "POST": G["case_write"]},
    "cases/<id:case_id>/compare": {"GET": G["case_read"], "POST": G["405"]},
    "cases/<id:case_id>/history/": {"GET": G["case_read"], "POST": G["case_read"]},
    "cases/<id:case_id>/snapshots/new": {"GET": G["405"], "POST": G["case_write"]},
    "cases/<id:case_id>/snapshots/<id:snapshot_id>/": {
        "GET": G["case_read"],
        "POST": G["case_read"],
    },
    "cases/<id:case_id>/snapshots/<id:snapshot_id>/endpoint": {
        "GET": G["405"],
        "POST": G["case_write"],
    },
    "books/": {"GET": G["signed_in"], "POST": G["405"]},
    "books/judges/": {"GET": G["signed_in"], "POST": G["405"]},
    "books/judges/new": {"GET": G["signed_in"], "POST": G["signed_in"]},
    "books/judges/<id:judge_id>/": {"GET": G["judge_use"], "POST": G["405"]},
    "books/judges/<id:judge_id>/edit": {"GET": G["judge_own"], "POST": G["judge_own"]},
    # the sample call goes to a closed port: the page says so (a redirect), nothing is stored
    "books/judges/<id:judge_id>/test": {"GET": G["405"], "POST": G["judge_use"]},
    "books/<id:book_id>/llm": {"GET": G["book"], "POST": G["book"]},
    "books/new": {"GET": G["signed_in"], "POST": G["signed_in"]},
    "books/<id:book_id>/": {"GET": G["book"], "POST": G["405"]},
    "books/<id:book_id>/settings": {"GET": G["book"], "POST": G["book"]},
    "books/<id:book_id>/populate": {"GET": G["405"], "POST": G["book"]},
    "books/<id:book_id>/sync": {"GET": G["405"], "POST": G["book"]},
    "books/<id:book_id>/judge": {"GET": G["book"], "POST": G["405"]},
    "books/<id:book_id>/judge/<id:pair_id>": {"GET": G["book"], "POST": G["book"]},
    "books/import": {"GET": G["signed_in"], "POST": G["signed_in"]},
    "books/<id:book_id>/import": {"GET": G["book"], "POST": G["book"]},
    "books/<id:book_id>/export": {"GET": G["book"], "POST": G["405"]},
    # a judge's calibration in a book: the book's readers (the world's judges judged theirs)
    "books/<id:book_id>/calibration/<id:judge_id>": {"GET": G["book"], "POST": G["405"]},
    "scorers/": {"GET": G["signed_in"], "POST": G["signed_in"]},
    "scorers/new": {"GET": G["signed_in"], "POST": G["signed_in"]},
    # names no query in the matrix's posts: 404 (the tests try the case rules with a query)
    "scorers/test": {"GET": G["405"], "POST": G["scorer_test"]},
    "scorers/<id:scorer_id>/edit": {"GET": G["scorer_own"], "POST": G["scorer_own"]},
    "endpoints/": {"GET": G["signed_in"], "POST": G["signed_in"]},
    "endpoints/new": {"GET": G["signed_in"], "POST": G["signed_in"]},
    "endpoints/<id:endpoint_id>/edit": {"GET": G["endpoint_own"], "POST": G["endpoint_own"]},
    "endpoints/<id:endpoint_id>/ping": {"GET": G["405"], "POST": G["endpoint_use"]},
    "indexes/": {"GET": G["signed_in"], "POST": G["405"]},
    "indexes/new": {"GET": G["signed_in"], "POST": G["signed_in"]},
    "indexes/<id:index_id>/": {"GET": G["index_use"], "POST": G["405"]},
    # with no upload waiting for its fields, the owner is sent to the index's page
    "indexes/<id:index_id>/fields": {"GET": G["index_own"], "POST": G["index_own"]},
    "indexes/<id:index_id>/teams": {"GET": G["405"], "POST": G["index_own"]},
    "indexes/<id:index_id>/delete": {"GET": G["405"], "POST": G["index_own"]},
}

# The API: operationId -> rule (each operation is one method of one path).
A = API_RULES
API: dict[str, Rule] = {
    "get_me": A["signed_in"],
    "list_formats": A["signed_in"],
    "import_new_case": A["signed_in"],
    "import_into_case": A["case_write"],
    "export_case": A["case_read"],
    "list_cases": A["signed_in"],
    "create_case": A["signed_in"],
    "get_case": A["case_read"],
    "update_case": A["case_write"],
    "delete_case": A["case_owner"],
    "clone_case": A["case_read"],
    "case_history": A["case_read"],
    "get_run": A["case_read"],
    "run_case": A["case_write"],
    "list_tries": A["case_read"],
    "create_try": A["case_write"],
    "get_try": A["case_read"],
    "update_try": A["case_write"],
    "duplicate_try": A["case_write"],
    "list_queries": A["case_read"],
    "add_query": A["case_write"],
    "add_queries": A["case_write"],
    "reorder_queries": A["case_write"],
    "get_query": A["case_read"],
    "update_query": A["case_write"],
    "delete_query": A["case_write"],
    "list_ratings": A["case_read"],
    "rate_doc": A["case_write"],
    "set_ratings": A["case_write"],
    "clear_ratings": A["case_write"],
    "clear_rating": A["case_write"],
    "list_snapshots": A["case_read"],
    "create_snapshot": A["case_write"],
    "compare_snapshots": A["case_read"],
    "get_snapshot": A["case_read"],
    "delete_snapshot": A["case_write"],
    "list_snapshot_queries": A["case_read"],
    "list_scorers": A["signed_in"],
    "create_scorer": A["signed_in"],
    "get_scorer": A["scorer_use"],
    "update_scorer": A["scorer_edit"],
    "delete_scorer": A["scorer_edit"],
    "list_endpoints": A["signed_in"],
    "create_endpoint": A["signed_in"],
    "get_endpoint": A["endpoint_use"],
    "update_endpoint": A["endpoint_edit"],
    "delete_endpoint": A["endpoint_edit"],
    "test_endpoint": A["endpoint_use"],
    "list_teams": A["signed_in"],
    "create_team": A["signed_in"],
    "get_team": A["team_member"],
    "add_member": A["team_owner"],
    "remove_member": A["team_owner"],
    "set_member_role": A["team_owner"],
    "delete_team": A["team_owner"],
    "get_job": A["job"],
    "cancel_job": A["job"],
    "list_books": A["signed_in"],
    "create_book": A["signed_in"],
    "import_new_book": A["signed_in"],
    "get_book": A["book"],
    "update_book": A["book"],
    "delete_book": A["book_owner"],
    "list_pairs": A["book"],
    "list_judgements": A["book"],
    "record_judgement": A["book"],
    "remove_judgement": A["book"],
    "import_into_book": A["book"],
    "export_book": A["book"],
}

# The admin site's own pages (every ModelAdmin's pages are staff-only: ADMIN_MODEL).
ADMIN_SITE: dict[str, dict[str, Rule]] = {
    "admin/": {"GET": G["staff"]},
    "admin/login/": {"GET": G["anyone"]},
    "admin/logout/": {"GET": G["admin_logout"]},
    "admin/password_change/": {"GET": G["staff"]},
    "admin/password_change/done/": {"GET": G["staff"]},
    "admin/autocomplete/": {"GET": G["staff_403"]},
    "admin/jsi18n/": {"GET": G["staff"]},
    # contenttypes' "view on site" redirect: to the object's page, where the page's own rule holds
    "admin/r/<path:content_type_id>/<path:object_id>/": {"GET": G["staff_404"]},
    "admin/auth/user/<id>/password/": {"GET": G["staff"]},
    "admin/(?P<url>.*)$": {"GET": G["staff_404"]},
}
ADMIN_MODEL = {"GET": G["staff"]}


def _admin_model(route: Route) -> dict[str, Rule]:
    """A ModelAdmin's page: staff only; a model whose admin allows no adding (the log-in
    attempts, the queue's records) answers 403 on its add page even to staff."""
    admin = route.model_admin
    if admin is not None and route.pattern.endswith("/add/"):
        from django.contrib.auth.models import User
        from django.test import RequestFactory

        request = RequestFactory().get("/")
        request.user = User(is_staff=True, is_superuser=True, is_active=True)
        if not admin.has_add_permission(request):
            return {"GET": WEB["staff_403"]}
    return ADMIN_MODEL


# --- the routes, from the URL configuration ----------------------------------------------------
@dataclass(frozen=True)
class Route:
    pattern: str  # the full pattern, as the table names it
    kind: str  # "page", "api", "admin"
    methods: tuple[str, ...]
    operations: tuple[tuple[str, str], ...] = ()  # (method, operationId) for the API
    model: Any = None  # the admin's model
    model_admin: Any = None


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


def _ninja_path_view(callback: Any) -> Any:
    for cell in getattr(callback, "__closure__", None) or ():
        if hasattr(cell.cell_contents, "operations"):
            return cell.cell_contents
    return None


def discover() -> list[Route]:
    routes: dict[str, Route] = {}
    for pattern, p in _walk(get_resolver().url_patterns):
        if pattern in routes:
            continue  # ninja: one pattern per operation of a path, all the same view
        view = _ninja_path_view(p.callback)
        if view is not None:
            ops = tuple(
                (m, op.operation_id or op.view_func.__name__)
                for op in view.operations
                for m in op.methods
            )
            routes[pattern] = Route(pattern, "api", tuple(m for m, _ in ops), ops)
        elif pattern.startswith("admin/"):
            model_admin = getattr(p.callback, "model_admin", None)
            model = model_admin.model if model_admin is not None else None
            if getattr(p.callback, "view_class", None) is RedirectView:
                model = "redirect"  # a ModelAdmin's <id>/ -> <id>/change/ (then staff only)
            routes[pattern] = Route(
                pattern, "admin", ("GET",), model=model, model_admin=model_admin
            )
        else:
            routes[pattern] = Route(pattern, "page", ("GET", "POST"))
    return list(routes.values())


ROUTES = discover()


def expectations(route: Route) -> dict[str, Rule]:
    """``{method or operationId: rule}`` for the route; KeyError names a route the table lacks."""
    if route.kind == "api":
        missing = [op for _, op in route.operations if op not in API]
        if missing:
            raise KeyError(f"new API operation without a permission expectation: {missing}")
        return {op: API[op] for _, op in route.operations}
    if route.kind == "admin":
        if route.pattern in ADMIN_SITE:
            return ADMIN_SITE[route.pattern]
        if route.pattern.startswith("admin/^(?P<app_label>"):  # an app's index (apps vary)
            return {"GET": WEB["staff"]}
        if route.model is not None:
            return _admin_model(route)
        raise KeyError(f"new route without a permission expectation: /{route.pattern}")
    if route.pattern in PAGES:
        return PAGES[route.pattern]
    raise KeyError(f"new route without a permission expectation: /{route.pattern}")


# --- the world ---------------------------------------------------------------------------------
@dataclass
class World:
    users: dict[str, Any]
    sessions: dict[str, str]
    tokens: dict[str, dict[str, str]]  # persona -> scope -> secret
    cases: dict[str, Any]
    queries: dict[str, Any]
    snapshots: dict[str, Any]
    other_snapshots: dict[str, Any]
    own_endpoints: dict[str, Any]
    runs: dict[str, Any]
    jobs: dict[str, Any]
    endpoints: dict[str, Any]
    indexes: dict[str, Any]
    scorers: dict[str, Any]
    judges: dict[str, Any]
    books: dict[str, Any]
    team: Any
    extra_member: Any
    invitation: Any
    other_invitation: Any
    invitation_token: str
    owner_token_id: int
    reset: tuple[str, str]


def _build_world(data_dir: Any) -> World:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from searchbench.accounts import services as team_services
    from searchbench.accounts.models import Membership, Team
    from searchbench.api import tokens
    from searchbench.cases import services
    from searchbench.cases.builtins import sync_builtin_scorers
    from searchbench.cases.models import Case, Rating, Scorer, SearchEndpoint
    from searchbench.cases.tests.conftest import DOCS
    from searchbench.engines.local import create_index
    from searchbench.indexes.models import LocalIndex
    from searchbench.jobs import services as jobs

    source = data_dir / "tiny.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    create_index("tiny", source, id_field="id", fields=["title", "body"], data_dir=data_dir)

    sync_builtin_scorers()
    User = get_user_model()
    users = {
        "owner": User.objects.create_user("olive", "olive@example.com", "pw"),
        "member": User.objects.create_user("tom", "tom@example.com", "pw"),
        "outsider": User.objects.create_user("oscar", "oscar@example.com", "pw"),
        "admin": User.objects.create_superuser("ada", "ada@example.com", "pw"),
    }
    extra = User.objects.create_user("mia", "mia@example.com", "pw")
    team = Team.objects.create(name="search team")
    Membership.objects.create(team=team, user=users["owner"], role=Membership.Role.OWNER)
    Membership.objects.create(team=team, user=users["member"])
    Membership.objects.create(team=team, user=extra)
    # Built-in indexes: tiny is the owner's, shared with the team (what their endpoints use); a
    # private one of the owner's; the outsider and the admin have one each to make endpoints on.
    indexes = {
        "shared": LocalIndex.objects.create(name="tiny", owner=users["owner"]),
        "private": LocalIndex.objects.create(name="tiny-private", owner=users["owner"]),
    }
    indexes["shared"].teams.add(team)
    for persona in ("outsider", "admin"):
        name = f"{users[persona].username}-tiny"
        create_index(name, source, id_field="id", fields=["title", "body"], data_dir=data_dir)
        LocalIndex.objects.create(name=name, owner=users[persona])

    endpoints, scorers = {}, {}
    for variant in ("private", "shared"):
        endpoints[variant] = SearchEndpoint.objects.create(
            name=f"tiny {variant}", kind="local", url="local://tiny", owner=users["owner"]
        )
        scorers[variant] = Scorer.objects.create(
            name=f"{variant} scorer",
            kind=Scorer.Kind.CUSTOM,
            owner=users["owner"],
            scale=[0, 1],
            code="setScore(1);",
        )
    endpoints["shared"].teams.add(team)
    scorers["shared"].teams.add(team)

    cases, queries, snapshots, others, runs, job_rows = {}, {}, {}, {}, {}, {}
    # the cases' tries use an endpoint of their own (the variants above are used by no try, so
    # their owner may delete them); each persona has one to make cases with
    tries_endpoint = SearchEndpoint.objects.create(
        name="tiny tries", kind="local", url="local://tiny", owner=users["owner"]
    )
    tries_endpoint.teams.add(team)
    own_endpoints = {
        persona: SearchEndpoint.objects.create(
            name=f"{persona}'s tiny", kind="local", url="local://tiny", owner=user
        )
        for persona, user in users.items()
    }
    p10 = Scorer.objects.get(name="quepid:P@10")
    for variant in CASE_READERS:
        case = Case.objects.create(
            name=f"{variant} case", owner=users["owner"], scorer=p10, public=variant == "public"
        )
        if variant == "shared":
            case.teams.add(team)
        services.create_try(
            case,
            query_template='{"query": "#$query##", "fields": ["title^2", "body"]}',
            field_spec="id:id title:title body",
            endpoint=tries_endpoint,
        )
        q = services.add_query(case, "red boots")
        services.add_query(case, "tent")
        Rating.objects.create(query=q, doc_id="b1", rating=1)
        cases[variant], queries[variant] = case, q
        snapshots[variant] = services.take_snapshot(case, "first", user=users["owner"])
        others[variant] = services.take_snapshot(case, "second", user=users["owner"])
        job_rows[variant] = jobs.start_run(case, user=users["owner"])
        runs[variant] = services.latest_history(case)

    from searchbench.books.models import Book, Pair

    books = {}
    for variant in SHARED_USERS:
        book = Book.objects.create(name=f"{variant} book", owner=users["owner"], scale=[0, 1])
        if variant == "shared":
            book.teams.add(team)
        book.cases.add(cases[variant])
        Pair.objects.create(book=book, query_text="red boots", doc_id="b1")
        books[variant] = book

    from searchbench.books.models import Judge

    judges = {}
    for variant in SHARED_USERS:
        # Port 9 (discard) on loopback: nothing listens, a test call fails at once.
        judge = Judge(
            name=f"{variant} judge",
            owner=users["owner"],
            base_url="http://127.0.0.1:9/v1",
            model="m",
            prompt_template="{{query}}",
        )
        judge.set_api_key("sk-matrix")
        judge.save()
        if variant == "shared":
            judge.teams.add(team)
        judges[variant] = judge

    from searchbench.books.services import record_judgement

    for variant, judge in judges.items():  # so the book has a calibration page for its judge
        record_judgement(books[variant].pairs.get(), judge=judge, rating=1)

    invitation = team_services.invite(
        users["owner"], team, "newcomer@example.com", site_url="http://testserver/"
    )
    other_team = team_services.create_team(users["owner"], "other team", "")
    other_invitation = team_services.invite(
        users["owner"], other_team, "someone@example.com", site_url="http://testserver/"
    )
    secrets: dict[str, dict[str, str]] = {}
    for persona, user in users.items():
        secrets[persona] = {
            scope: tokens.create_token(user, f"{persona} {scope}", scope, 30).secret
            for scope in ("read", "write")
        }
    owner_token = tokens.tokens_of(users["owner"])[0]

    sessions = {}
    for persona, user in users.items():
        client = Client()
        client.force_login(user)
        sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    reset = (
        urlsafe_base64_encode(force_bytes(users["owner"].pk)),
        default_token_generator.make_token(users["owner"]),
    )
    return World(
        users=users,
        sessions=sessions,
        tokens=secrets,
        cases=cases,
        queries=queries,
        snapshots=snapshots,
        other_snapshots=others,
        own_endpoints=own_endpoints,
        runs=runs,
        jobs=job_rows,
        endpoints=endpoints,
        indexes=indexes,
        scorers=scorers,
        judges=judges,
        books=books,
        team=team,
        extra_member=extra,
        invitation=invitation,
        other_invitation=other_invitation,
        invitation_token=invitation.url.rstrip("/").rsplit("/", 1)[-1],
        owner_token_id=owner_token.pk,
        reset=reset,
    )


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("matrix-data")
    with pytest.MonkeyPatch.context() as mp, django_db_blocker.unblock():
        mp.setenv("SEARCHBENCH_DATA_DIR", str(data_dir))
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build_world(data_dir)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- concrete requests ---------------------------------------------------------------------------
def _url(route: Route, w: World, variant: str, children: str | None = None) -> str:
    """The route's URL with the world's objects of ``variant`` in it; with ``children``, the
    objects under the case or team (queries, snapshots, runs; members, invitations) are those
    of another case (that variant) or team."""
    case = w.cases.get(variant) or w.cases["private"]
    child = children or variant
    team_member = w.users["outsider"] if children else w.extra_member
    invitation = w.other_invitation if children else w.invitation
    endpoint = w.endpoints.get(variant) or w.endpoints["shared"]
    scorer = w.scorers.get(variant) or w.scorers["shared"]
    book = w.books.get(variant) or w.books["shared"]
    values = {
        "<id:case_id>": case.pk,
        "<id:query_id>": w.queries[child if child in w.queries else "private"].pk,
        "<id:snapshot_id>": w.snapshots[child if child in w.snapshots else "private"].pk,
        "<id:history_id>": (w.runs.get(child) or w.runs["private"]).pk,
        "<id:job_id>": (w.jobs.get(variant) or w.jobs["private"]).pk,
        "<id:number>": 1,
        "<fmt>": "judgements-csv" if "books/" in route.pattern else "ratings-csv",
        "<id:endpoint_id>": endpoint.pk,
        "<id:scorer_id>": scorer.pk,
        "<id:judge_id>": (w.judges.get(variant) or w.judges["shared"]).pk,
        "<id:book_id>": book.pk,
        "<id:pair_id>": book.pairs.get().pk,
        "<id:index_id>": (w.indexes.get(variant) or w.indexes["shared"]).pk,
        "<id:team_id>": w.team.pk,
        "<id:user_id>": team_member.pk,
        "<id:invitation_id>": invitation.pk,
        "<str:token>": w.invitation_token,
        "<id:token_id>": w.owner_token_id,
        "<uidb64>": w.reset[0],
        "<token>": w.reset[1],
    }
    path = route.pattern
    for key, value in values.items():
        path = path.replace(key, str(value))
    if route.kind == "admin":
        path = _admin_path(route, path, w)
    assert "<" not in path, f"no object for {route.pattern}: add one to the world"
    return "/" + path


def _admin_path(route: Route, path: str, w: World) -> str:
    from django.contrib.contenttypes.models import ContentType

    if route.pattern.startswith("admin/r/"):
        ct = ContentType.objects.get_for_model(w.cases["public"])
        return f"admin/r/{ct.pk}/{w.cases['public'].pk}/"
    if route.pattern == "admin/(?P<url>.*)$":
        return "admin/no-such-page/"
    if route.pattern.startswith("admin/^(?P<app_label>"):
        return "admin/cases/"
    model = route.model
    if model is not None and model != "redirect":
        row = model._default_manager.order_by("pk").first()
        pk = row.pk if row is not None else 1
    else:
        pk = w.users["owner"].pk
    return path.replace("<path:object_id>", str(pk)).replace("<id>", str(pk))


POST_DATA = {  # form fields some pages need to do their work
    "cases/<id:case_id>/queries/<id:query_id>/rate": {"doc_id": "b2", "rating": "1"},
    "books/<id:book_id>/judge/<id:pair_id>": {"answer": "1"},
    "cases/<id:case_id>/queries/<id:query_id>/move": {"direction": "up"},
    # An empty add is refused beside the form (400); a line is what a person posts.
    "cases/<id:case_id>/queries/add": {"text": "matrix query"},
}
JUDGEMENTS = "query,docid,rater,rating\ntent,t1,ann@example.com,1\n"  # a book import's file
QUERY = {  # query strings some routes need to do their work
    "explain/cases/<id:case_id>/queries/<id:query_id>/doc": "?doc=b1",
    "explain/cases/<id:case_id>/queries/<id:query_id>/compare": "?doc=b1&doc=b2",
    "cases/<id:case_id>/compare": "?a=try-1&b=try-1",
    "explain/cases/<id:case_id>/queries/<id:query_id>/moved": "?a=try-1&b=try-1&doc=b1",
}


def _api_body(
    op: str, w: World, variant: str, persona: str, children: str | None = None
) -> tuple[str, Any]:
    """(query string, JSON body) that an allowed caller's request succeeds with (with
    ``children``: naming the snapshots of that variant's case)."""
    case = w.cases.get(variant) or w.cases["private"]
    child = children or variant
    snap = w.snapshots.get(child) or w.snapshots["private"]
    n = f"{op} {variant}"
    bodies: dict[str, tuple[str, Any]] = {
        "import_new_case": ("?name=" + n.replace(" ", "+"), "query,docid,rating\ntent,t1,1\n"),
        "import_into_case": ("", "query,docid,rating\ntent,t1,1\n"),
        "create_case": (
            "",
            {"name": n, "endpoint_id": w.own_endpoints.get(persona, w.endpoints["shared"]).pk},
        ),
        "update_case": ("", {"name": n}),
        "clone_case": ("", {"name": n}),
        "run_case": ("", {}),
        "create_try": ("", {"name": n}),
        "update_try": ("", {"name": n}),
        "add_query": ("", {"text": n}),
        "add_queries": ("", {"queries": [{"text": n}]}),
        "reorder_queries": (
            "",
            {"order": list(reversed(list(case.queries.values_list("pk", flat=True))))},
        ),
        "update_query": ("", {"notes": n}),
        "rate_doc": ("", {"doc_id": "b2", "rating": 1}),
        "set_ratings": ("", {"ratings": [{"doc_id": "b2", "rating": 1}]}),
        "create_book": ("", {"name": n}),
        "update_book": ("", {"name": n}),
        "record_judgement": ("", {"rating": 1}),
        "import_new_book": ("?name=" + n.replace(" ", "+"), JUDGEMENTS),
        "import_into_book": ("", JUDGEMENTS),
        "clear_rating": ("?doc_id=b1", None),
        "create_snapshot": ("", {"name": n}),
        "compare_snapshots": (f"?base={snap.pk}&other={w.other_snapshots[child].pk}", None),
        "create_scorer": ("", {"name": n, "code": "setScore(1);", "scale": [0, 1]}),
        "update_scorer": ("", {"description": n}),
        "create_endpoint": ("", {"name": n, "kind": "local", "url": _index_url(w, persona)}),
        "update_endpoint": ("", {"name": n}),
        "create_team": ("", {"name": n}),
        "add_member": ("", {"user": "oscar"}),
        "set_member_role": ("", {"role": "member"}),
    }
    return bodies.get(op, ("", None))


def _index_url(w: World, persona: str) -> str:
    """local://NAME of an index the persona may use."""
    if persona in ("owner", "member"):
        return "local://tiny"
    return f"local://{w.users[persona].username}-tiny" if persona in w.users else "local://tiny"


def _request(
    client: Client,
    method: str,
    url: str,
    body: Any = None,
    form: dict[str, str] | None = None,
    **extra: Any,
) -> Any:
    kwargs: dict[str, Any] = dict(extra)
    if form is not None:
        kwargs.update(data=urlencode(form), content_type="application/x-www-form-urlencoded")
    elif isinstance(body, str):
        kwargs.update(data=body.encode(), content_type="application/octet-stream")
    elif body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    with transaction.atomic():
        response = client.generic(method, url, **kwargs)
        transaction.set_rollback(True)
    return response


def _client(w: World, persona: str, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if persona != "anon":
        client.cookies[settings.SESSION_COOKIE_NAME] = w.sessions[persona]
    return client


def _variants(rule: Rule) -> tuple[str, ...]:
    if rule.over == "case":
        return tuple(CASE_READERS)
    if rule.over in ("endpoint", "scorer", "index", "judge"):
        return tuple(SHARED_USERS)
    if rule.over == "book":
        return tuple(SHARED_USERS)
    return ("shared",)


# --- the tests ---------------------------------------------------------------------------------
def _route_id(route: Route) -> str:
    return f"{route.kind}:/{route.pattern}"


def test_every_route_has_an_expectation() -> None:
    """A new route (page, API operation or admin page) must say who may use it."""
    missing = []
    for route in ROUTES:
        try:
            expectations(route)
        except KeyError as exc:
            missing.append(str(exc.args[0]))
    assert not missing, "\n".join(missing)
    # and the table has no rows for routes that are gone
    patterns = {r.pattern for r in ROUTES}
    operations = {op for r in ROUTES for _, op in r.operations}
    assert not set(PAGES) - patterns, f"table rows for no route: {set(PAGES) - patterns}"
    assert not set(API) - operations, f"table rows for no operation: {set(API) - operations}"


COUNT = {"requests": 0}


@pytest.fixture(scope="module", autouse=True)
def _closing_note(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and COUNT["requests"]:
        kinds = {k: sum(r.kind == k for r in ROUTES) for k in ("page", "api", "admin")}
        operations = sum(len(r.operations) for r in ROUTES)
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\naccess matrix: {len(ROUTES)} routes ({kinds['page']} pages, {kinds['api']} API "
                f"paths with {operations} operations, {kinds['admin']} admin), {len(PERSONAS)} "
                f"personas, {COUNT['requests']} requests"
            )


def _method(route: Route, key: str) -> str:
    """The HTTP method of a table key (the key itself, or an API operation's method)."""
    return key if route.kind != "api" else {o: m for m, o in route.operations}[key]


def _send(
    route: Route,
    key: str,
    variant: str,
    persona: str,
    w: World,
    *,
    session: bool = False,
    csrf: bool = False,
    scope: str = "write",
    children: str | None = None,
) -> tuple[str, Any]:
    """One request of the matrix: (what was asked, the response). The API is called with the
    persona's token (of ``scope``) or, with ``session``, its session cookie; the pages with the
    session. ``csrf``: a client that checks CSRF (and sends no token)."""
    method = _method(route, key)
    url = _url(route, w, variant, children) + QUERY.get(route.pattern, "")
    body, form, headers = None, None, {}
    if route.kind == "api":
        query, body = _api_body(key, w, variant, persona, children)
        url += query
        if persona != "anon" and not session:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {w.tokens[persona][scope]}"
            client = Client()
        else:
            client = _client(w, persona, csrf=csrf)
    else:
        form = POST_DATA.get(route.pattern) if method == "POST" else None
        client = _client(w, persona, csrf=csrf)
    COUNT["requests"] += 1
    return f"{method} {url} [{key}, {variant}] as {persona}", _request(
        client, method, url, body, form=form, **headers
    )


def _check(route: Route, w: World, *, session: bool = False, reads_only: bool = False) -> None:
    wrong = []
    for key, rule in expectations(route).items():
        if reads_only and _method(route, key) != "GET":
            continue
        for variant in _variants(rule):
            for persona in PERSONAS:
                asked, response = _send(route, key, variant, persona, w, session=session)
                got, want = outcome(response), rule.expect(persona, variant)
                if got != want:
                    detail = response.content[:200] if got not in (OK, LOGIN) else b""
                    wrong.append(f"{asked} ({rule}): {got}, expected {want} {detail!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_personas(route: Route, world: World) -> None:
    """Each persona on each method of the route, on each kind of object the rule is about."""
    try:
        expectations(route)
    except KeyError as exc:
        pytest.fail(str(exc.args[0]))
    _check(route, world)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.kind == "api"], ids=_route_id)
def test_api_reads_by_session(route: Route, world: World) -> None:
    """The API's reads answer a signed-in browser (the session) as they answer its token."""
    _check(route, world, session=True, reads_only=True)


def _writers(route: Route) -> list[tuple[str, str, str]]:
    """(key, variant, persona) of each write the route takes, with a persona who may do it (the
    admin's pages: the site admin)."""
    if route.kind == "admin":
        return [("POST", "shared", "admin")]
    out = []
    for key, rule in expectations(route).items():
        if _method(route, key) in ("GET", "HEAD", "OPTIONS"):
            continue
        allowed = [
            (variant, persona)
            for variant in _variants(rule)
            for persona in PERSONAS
            if persona != "anon" and rule.expect(persona, variant) == OK
        ]
        if allowed:
            out.append((key, *allowed[0]))
    return out


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_session_writes_need_csrf(route: Route, world: World) -> None:
    """A session write without the CSRF token is refused (403), for a persona who may write:
    no view is exempt from Django's check, and the API's session auth checks it too."""
    wrong = []
    for key, variant, persona in _writers(route):
        asked, response = _send(route, key, variant, persona, world, session=True, csrf=True)
        if response.status_code != 403:
            wrong.append(f"{asked} without a CSRF token: {response.status_code}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.kind == "api"], ids=_route_id)
def test_read_tokens_cannot_write(route: Route, world: World) -> None:
    wrong = []
    for key, variant, persona in _writers(route):
        asked, response = _send(route, key, variant, persona, world, scope="read")
        if response.status_code != 403 or response.json()["error"]["code"] != "insufficient_scope":
            wrong.append(f"{asked} with a read token: {response.status_code}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.kind == "api"], ids=_route_id)
def test_api_other_methods_are_405(route: Route, world: World) -> None:
    """A method the path does not have is 405 in the one error shape, for anyone."""
    url = _url(route, world, "private")
    for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - set(route.methods)):
        for persona in ("owner", "anon"):
            headers = {}
            if persona != "anon":
                headers["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[persona]['write']}"
            response = _request(Client(), method, url, {}, **headers)
            COUNT["requests"] += 1
            assert response.status_code == 405, (method, url, persona, response.content[:200])
            assert response.json()["error"]["code"] == "method_not_allowed"


CHILD_IDS = ("<id:query_id>", "<id:snapshot_id>", "<id:history_id>")
NESTED = [
    r
    for r in ROUTES
    if r.kind != "admin"
    and (
        ("<id:case_id>" in r.pattern and any(c in r.pattern for c in CHILD_IDS))
        or (
            "<id:team_id>" in r.pattern
            and ("<id:user_id>" in r.pattern or "invitation_id" in r.pattern)
        )
        or "compare_snapshots" in {op for _, op in r.operations}
    )
]


@pytest.mark.parametrize("route", NESTED, ids=_route_id)
def test_objects_of_another_case_or_team_are_404(route: Route, world: World) -> None:
    """A query, snapshot or run of another case under a case one may read (the public case with
    the private case's children), and a member or invitation of another team, are not found —
    even for their owner, who may reach both: no view trusts an id without its parent."""
    wrong = []
    for key, rule in expectations(route).items():
        if rule.expect("owner", "public") != OK:
            continue  # a method the route does not take, or a team route (below)
        for persona in ("owner", "outsider"):
            # who may do it on the public case gets 404 for another case's child; who may not is
            # refused as before (403 for a reader's write), before any child is looked up
            allowed = rule.expect(persona, "public")
            want = allowed if allowed in ("401", "403", "404", "405", LOGIN) else "404"
            asked, response = _send(route, key, "public", persona, world, children="private")
            got = outcome(response)
            if got != want:
                wrong.append(f"{asked} (another case's or team's object): {got}, expected {want}")
    assert not wrong, "\n".join(wrong)
