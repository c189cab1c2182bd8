"""Tokens and sessions: who gets in, who may write, and what the database keeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from searchbench.api import tokens
from searchbench.api.models import ApiToken
from searchbench.api.tests.conftest import BASE, Api, World, assert_error, token_api

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> Api:
    return Api(Client(), {"Authorization": f"Bearer {secret}"})


def test_it_shows_the_token_once_and_stores_only_its_digest(world: World) -> None:
    made = tokens.create_token(world.owner, "CI", "write", 30)
    assert made.secret.startswith("sbt_") and len(made.secret) == 4 + 12 + 1 + 43
    secret_part = made.secret.rsplit("_", 1)[1]
    # No column of any row holds the secret or its random part.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        rows = cursor.fetchall()
    assert rows
    for row in rows:
        for value in row:
            assert secret_part not in str(value) and made.secret not in str(value)
    row = ApiToken.objects.get(pk=made.token.pk)
    assert row.digest == tokens.digest(made.secret)
    assert bearer(made.secret).get("/me").json()["username"] == "olive"


def test_it_refuses_unknown_wrong_revoked_and_expired_tokens(world: World) -> None:
    made = tokens.create_token(world.owner, "CI", "write", 30)
    key_id = made.token.key_id
    wrong = f"sbt_{key_id}_{'A' * 43}"
    for text in ["nope", wrong, "sbt_000000000000_" + "B" * 43]:
        error = assert_error(bearer(text).get("/cases"), 401, "invalid_token")
        assert "revoked" in error["message"]
    tokens.revoke(world.owner, made.token.pk)
    assert_error(bearer(made.secret).get("/cases"), 401, "invalid_token")

    old = tokens.create_token(world.owner, "old", "read", 1)
    ApiToken.objects.filter(pk=old.token.pk).update(expires_at=timezone.now() - timedelta(1))
    assert_error(bearer(old.secret).get("/cases"), 401, "invalid_token")

    world.teammate.is_active = False
    world.teammate.save()
    gone = tokens.create_token(world.teammate, "t", "read", None)
    assert_error(bearer(gone.secret).get("/cases"), 401, "invalid_token")


def test_it_asks_anonymous_callers_to_authenticate(world: World) -> None:
    response = Api(Client()).get("/cases")
    assert_error(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_error(Api(Client()).post("/cases", {"name": "x"}), 401)


def test_a_read_token_reads_but_cannot_write(world: World) -> None:
    api = token_api(world.owner, "read")
    assert api.get(f"/cases/{world.case.pk}").status_code == 200
    before = world.case.queries.count()
    assert_error(api.post(f"/cases/{world.case.pk}/queries", {"text": "x"}), 403,
                 "insufficient_scope")  # fmt: skip
    assert_error(api.delete(f"/cases/{world.case.pk}"), 403, "insufficient_scope")
    assert world.case.queries.count() == before


def test_it_records_the_last_use(world: World) -> None:
    made = tokens.create_token(world.owner, "CI", "read", None)
    assert made.token.last_used_at is None and made.token.expires_at is None
    bearer(made.secret).get("/me")
    assert ApiToken.objects.get(pk=made.token.pk).last_used_at is not None


def test_it_writes_the_last_use_at_most_once_a_minute(world: World) -> None:
    made = tokens.create_token(world.owner, "CI", "read", None)
    earlier = timezone.now() - tokens.LAST_USED_EVERY / 2
    ApiToken.objects.filter(pk=made.token.pk).update(last_used_at=earlier)
    assert tokens.authenticate(made.secret) is not None
    assert ApiToken.objects.get(pk=made.token.pk).last_used_at == earlier  # no UPDATE yet
    stale = timezone.now() - tokens.LAST_USED_EVERY * 2
    ApiToken.objects.filter(pk=made.token.pk).update(last_used_at=stale)
    assert tokens.authenticate(f"  {made.secret}\n") is not None  # around it: still the token
    assert ApiToken.objects.get(pk=made.token.pk).last_used_at > stale


def test_a_session_reads_and_writes_only_with_the_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    api = Api(client)
    assert api.get("/me").json()["auth"] == "session"
    path = f"/cases/{world.case.pk}/queries"
    assert_error(api.post(path, {"text": "no csrf"}), 403, "csrf_failed")
    assert not world.case.queries.filter(text="no csrf").exists()
    # The token the pages carry: from the cookie a page view sets.
    client.get(reverse("cases:list"))
    csrf = client.cookies["csrftoken"].value
    response = api.post(path, {"text": "with csrf"}, **{"X-CSRFToken": csrf})
    assert response.status_code == 201, response.content


def test_a_bad_bearer_token_does_not_fall_back_to_the_session(world: World) -> None:
    client = Client()
    client.force_login(world.owner)
    api = Api(client, {"Authorization": "Bearer sbt_nope"})
    assert_error(api.get("/cases"), 401, "invalid_token")


def test_the_token_page_creates_lists_and_revokes(world: World) -> None:
    client = Client()
    client.force_login(world.owner)
    url = reverse("tokens:list")
    response = client.post(url, {"name": "CI", "scope": "read", "expires": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    secret = response.context["secret"]
    assert secret.startswith("sbt_") and secret in response.content.decode()
    # Shown once: the list afterwards names the token, never its secret.
    again = client.get(url).content.decode()
    assert "CI" in again and secret not in again and secret.rsplit("_", 1)[1] not in again
    token = ApiToken.objects.get(user=world.owner)
    assert token.scope == "read" and token.expires_at is not None
    assert bearer(secret).get("/me").status_code == 200
    # Another user cannot revoke it (404); its owner can.
    other = Client()
    other.force_login(world.outsider)
    assert other.post(reverse("tokens:revoke", args=[token.pk])).status_code == 404
    assert client.post(reverse("tokens:revoke", args=[token.pk])).status_code == 302
    assert_error(bearer(secret).get("/me"), 401, "invalid_token")


def test_the_token_page_needs_a_log_in(world: World) -> None:
    response = Client().get(reverse("tokens:list"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_token_requests_are_checked(world: World) -> None:
    for name, scope, days in [("", "read", 1), ("x", "admin", 1), ("x", "read", 0),
                              ("x", "read", 99999), ("x" * 101, "read", 1)]:  # fmt: skip
        with pytest.raises(tokens.TokenError):
            tokens.create_token(world.owner, name, scope, days)
    assert not ApiToken.objects.exists()


def test_unknown_paths_and_methods_answer_in_the_error_shape(world: World, owner_api: Api) -> None:
    assert_error(owner_api.get("/nothing/here"), 404, "not_found")
    assert_error(owner_api.call("PUT", "/me", {}), 405, "method_not_allowed")
    assert_error(owner_api.get("/cases/abc"), 404)
    assert_error(owner_api.get("/cases/99999999999999999999999"), 404)


def test_it_refuses_a_body_over_the_limit(world: World, owner_api: Api) -> None:
    from searchbench.api.errors import MAX_BODY_BYTES

    big = {"queries": [{"text": "x" * 400}] * (MAX_BODY_BYTES // 400 + 10)}
    response = owner_api.post(f"/cases/{world.case.pk}/queries/bulk", big)
    assert_error(response, 413, "body_too_large")
    assert world.case.queries.count() == 2


def test_base_is_what_the_urls_say() -> None:
    assert reverse("api:openapi-json") == f"{BASE}/openapi.json"


def test_the_user_page_links_the_token_page(world: World) -> None:
    client = Client()
    client.force_login(world.owner)
    page = client.get(reverse("user")).content.decode()
    assert f'href="{reverse("tokens:list")}"' in page


def test_text_with_nul_and_bodies_nested_too_deep_are_refused(world: World, owner_api: Api):
    """PostgreSQL refuses U+0000 in text (a 500 before); deep JSON overflowed the parser."""
    base = f"/cases/{world.case.pk}/queries"
    assert_error(owner_api.post(base, {"text": "a\x00b"}), 422)
    assert_error(owner_api.post("/teams", {"name": "t\x00"}), 422)
    ratings = f"{base}/{world.q_boots.pk}/ratings/doc?doc_id=a%00"
    assert_error(owner_api.delete(ratings), 422)
    assert world.case.queries.count() == 2
    deep = "[" * 100_000 + "]" * 100_000
    response = owner_api.client.post(
        f"/api/v1{base}", data=deep, content_type="application/json", headers=owner_api.headers
    )
    assert response.status_code in (400, 422) and "error" in response.json()


def test_json_values_no_database_stores_are_refused(world: World, owner_api: Api) -> None:
    base = f"/cases/{world.case.pk}/queries"
    for body in ['{"text": "x", "options": {"a": NaN}}', '{"text": "x", "options": {"a": 1e999}}']:
        response = owner_api.client.post(
            f"/api/v1{base}", data=body, content_type="application/json", headers=owner_api.headers
        )
        assert_error(response, 422)
    rating = f"{base}/{world.q_boots.pk}/ratings"
    response = owner_api.client.post(
        f"/api/v1{rating}", data='{"doc_id": "b1", "rating": NaN}',
        content_type="application/json", headers=owner_api.headers,
    )  # fmt: skip
    assert_error(response, 422)
    assert world.case.queries.count() == 2
