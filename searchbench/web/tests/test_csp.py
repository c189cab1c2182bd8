"""Every page carries the Content-Security-Policy, and no template needs what it forbids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from searchbench.testing import demo
from searchbench.web.csp import DOCS_POLICY, POLICY

__all__ = ["demo"]  # the fixture, used below

PACKAGE = Path(__file__).resolve().parents[2]


def _routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    out = []
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern) != "admin/":  # Django's own; its index and login are checked below
                out += _routes(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            out.append(prefix + str(p.pattern))
    return out


@pytest.mark.django_db
def test_every_page_carries_the_policy(demo):
    from searchbench.cases import services
    from searchbench.cases.models import Case, Scorer
    from searchbench.jobs.services import start_run

    case = Case.objects.get(pk=demo.case_id)
    snapshot = services.take_snapshot(case, "csp", user=case.owner)
    job = start_run(case, user=case.owner)
    scorer = Scorer.objects.create(
        name="mine", kind=Scorer.Kind.CUSTOM, scale=[0, 1], code="setScore(1);", owner=case.owner
    )
    from searchbench.accounts import services as teams
    from searchbench.api import tokens

    token = tokens.create_token(case.owner, "csp", "read", None).token
    team = teams.create_team(case.owner, "csp team")
    invitation = teams.invite(case.owner, team, "csp@example.com", site_url="http://t/")
    from searchbench.books.models import Book, Judge, Pair
    from searchbench.indexes.models import LocalIndex

    book = Book.objects.create(name="csp book", owner=case.owner, scale=[0, 1, 2, 3])
    book.cases.add(case)
    pair = Pair.objects.create(book=book, query_text="q", doc_id="d1", doc_fields={"title": "t"})
    judge = Judge.objects.create(
        name="csp judge", owner=case.owner, base_url="http://127.0.0.1:9/v1", model="m",
        prompt_template="{{query}}",
    )  # fmt: skip
    ids = {
        "book_id": book.pk,
        "pair_id": pair.pk,
        "judge_id": judge.pk,
        "index_id": LocalIndex.objects.get(owner=case.owner).pk,
        "team_id": team.pk,
        "user_id": case.owner.pk,
        "invitation_id": invitation.pk,
        "token": invitation.url.rsplit("/", 1)[1],
        "uidb64": "MQ",  # the password reset link's user id (an invalid link's page)
        "case_id": case.pk,
        "query_id": case.queries.first().pk,
        "snapshot_id": snapshot.pk,
        "scorer_id": scorer.pk,
        "endpoint_id": case.current_try().endpoint.pk,
        "job_id": job.pk,
        "token_id": token.pk,
        "fmt": "ratings-csv",
        "history_id": case.score_history.first().pk,
        "number": case.current_try().number,
    }
    client = Client()
    assert client.get("/").headers["Content-Security-Policy"] == POLICY  # logged out: a redirect
    assert client.get("/accounts/login/").headers["Content-Security-Policy"] == POLICY
    client.force_login(case.owner)  # the demo user
    paths = ["/admin/", "/admin/login/", "/no/such/page", "/static/searchbench/app.css"]
    for route in _routes(get_resolver()):
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), route)
        paths.append(path)
    statuses = {}
    for path in paths:
        response = client.get(path)
        statuses[path] = response.status_code
        expected = DOCS_POLICY if path == "/api/v1/docs" else POLICY
        assert response.headers.get("Content-Security-Policy") == expected, path
    # The pages themselves were rendered, not only errors and redirects.
    assert statuses[f"/cases/{case.pk}/"] == 200
    assert statuses[f"/teams/{team.pk}/"] == 200
    assert statuses[f"/cases/{case.pk}/queries/{ids['query_id']}/"] == 200
    assert statuses[f"/explain/cases/{case.pk}/queries/{ids['query_id']}/"] == 200
    assert statuses[f"/books/{book.pk}/"] == 200
    assert statuses[f"/books/{book.pk}/judge/{pair.pk}"] == 200
    assert statuses[f"/indexes/{ids['index_id']}/"] == 200


def test_the_policy_allows_no_inline_code_and_only_web_images():
    directives = dict(d.strip().split(" ", 1) for d in POLICY.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self' http: https:"  # engines' thumbnails, no data:
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'" and directives["form-action"] == "'self'"


# What the policy forbids in a page: inline <script> (one with a src is fine), <style> blocks,
# style="" and on…="" attributes, javascript: URLs.
INLINE = [
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an event-handler attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_template_has_inline_script_or_style():
    templates = sorted(PACKAGE.glob("*/templates/**/*.html"))
    assert len(templates) > 10
    found = [
        f"{path.relative_to(PACKAGE)}:{text[: m.start()].count(chr(10)) + 1}: {what}"
        for path in templates
        for pattern, what in INLINE
        for text in [path.read_text()]
        for m in pattern.finditer(text)
    ]
    assert found == []


def test_the_docs_policy_differs_from_the_policy_in_img_src_only():
    """DOCS_POLICY is POLICY with one directive replaced; a replace that matched nothing would
    leave the two equal and the docs page's icons blocked, with every other test still passing."""
    docs = dict(d.strip().split(" ", 1) for d in DOCS_POLICY.split(";"))
    base = dict(d.strip().split(" ", 1) for d in POLICY.split(";"))
    assert docs["img-src"] == "'self' data:"
    assert {k: v for k, v in docs.items() if k != "img-src"} == {
        k: v for k, v in base.items() if k != "img-src"
    }
