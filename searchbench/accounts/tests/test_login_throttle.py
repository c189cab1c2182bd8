"""Log-in throttling: by user name and by client address, on /accounts/login/ and /admin/login/.

The failure limit is lowered to 3 for these tests; the cool-off is the configured one (attempts are
aged in the database instead of waiting it out).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from searchbench.cases.tests.htmlquery import parse

LIMIT = 3
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def low_limit(settings) -> None:
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def olive(django_user_model):
    return django_user_model.objects.create_user("olive", password="pw-olive")


def attempt(
    username: str, password: str, *, address: str = "10.0.0.1", path: str = LOGIN, **headers: str
):
    client = Client(REMOTE_ADDR=address)
    response = client.post(path, {"username": username, "password": password}, **headers)
    return response, client


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(times: int, username: str = "olive", **kwargs: str) -> None:
    for _ in range(times):
        response, _client = attempt(username, "wrong", **kwargs)
        assert response.status_code in (200, 429)


def locked_message(response) -> str:
    assert response.status_code == 429
    return parse(response.content).one("p.error").text


@pytest.mark.django_db
def test_a_user_name_is_locked_after_the_failure_limit_from_any_address(olive):
    for n in range(LIMIT):
        fail(1, address=f"10.0.1.{n}")
    response, client = attempt("olive", "pw-olive", address="10.0.2.1")
    assert "Too many failed log-ins" in locked_message(response)
    assert not logged_in(client)


@pytest.mark.django_db
def test_fewer_failures_than_the_limit_do_not_lock(olive):
    fail(LIMIT - 1)
    response, client = attempt("olive", "pw-olive")
    assert response.status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_an_address_is_locked_across_user_names(olive):
    for name in ("ann", "bob", "carl"):
        fail(1, username=name, address="10.0.3.3")
    response, client = attempt("olive", "pw-olive", address="10.0.3.3")
    assert "Too many failed log-ins" in locked_message(response)
    assert not logged_in(client)
    response, client = attempt("olive", "pw-olive", address="10.0.3.4")  # another address
    assert response.status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_the_lock_page_does_not_tell_known_from_unknown_user_names(olive):
    fail(LIMIT, username="olive", address="10.0.4.1")
    fail(LIMIT, username="no-such-user", address="10.0.4.2")
    known, _ = attempt("olive", "pw-olive", address="10.0.4.3")
    unknown, _ = attempt("no-such-user", "whatever", address="10.0.4.4")
    assert locked_message(known) == locked_message(unknown)

    def page(response) -> str:  # the same page, but for the CSRF token
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())

    assert page(known) == page(unknown)
    assert "olive" not in page(known)


@pytest.mark.django_db
def test_the_lock_lifts_after_the_cool_off(olive, settings):
    from axes.models import AccessAttempt

    fail(LIMIT)
    assert attempt("olive", "pw-olive")[0].status_code == 429
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.first().attempt_time
        - settings.AXES_COOLOFF_TIME
        - timedelta(seconds=1)
    )
    response, client = attempt("olive", "pw-olive")
    assert response.status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_admin_login_is_throttled_too(django_user_model):
    django_user_model.objects.create_superuser("root", password="pw-root")
    fail(LIMIT, username="root", path=ADMIN_LOGIN)
    response, client = attempt("root", "pw-root", path=ADMIN_LOGIN, address="10.0.5.5")
    assert "Too many failed log-ins" in locked_message(response)
    assert not logged_in(client)
    # one account: failures on either page count together
    response, _ = attempt("root", "pw-root", path=LOGIN, address="10.0.5.6")
    assert response.status_code == 429


@pytest.mark.django_db
def test_a_forged_forwarded_for_header_does_not_dodge_the_address_lock(olive):
    # Without a trusted proxy (the default) X-Forwarded-For is the client's own say-so.
    for n, name in enumerate(("ann", "bob", "carl")):
        fail(1, username=name, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    response, _ = attempt("olive", "pw-olive", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_forwarded_client_address_counts(olive, settings):
    settings.SEARCHBENCH_PROXY_COUNT = 1
    proxy = {"address": "172.16.0.1"}
    for name in ("ann", "bob", "carl"):
        fail(1, username=name, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    # The proxy appends the address it saw; what the client wrote before it does not count.
    forged = "203.0.113.1, 198.51.100.7"
    response, _ = attempt("olive", "pw-olive", HTTP_X_FORWARDED_FOR=forged, **proxy)
    assert response.status_code == 429
    # Another client behind the same proxy is not locked out with it.
    response, client = attempt("olive", "pw-olive", HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy)
    assert response.status_code == 302 and logged_in(client)
