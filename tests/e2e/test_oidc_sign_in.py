"""Single sign-on end to end against a real OpenID Connect provider (tests/e2e/oidc_provider.py:
django-oauth-toolkit in its own process, an RS256 key made at start), driven by a real HTTP
client: searchbench's button -> the provider's log-in page -> its consent page -> back to
searchbench, signed in. No part of the flow is mocked."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from django.contrib.auth import get_user_model

PROVIDER = Path(__file__).with_name("oidc_provider.py")


@pytest.fixture
def provider(tmp_path: Path, live_server: Any) -> Iterator[dict[str, str]]:
    redirect_uri = f"{live_server.url}/accounts/oidc/callback/"
    proc = subprocess.Popen(
        [sys.executable, str(PROVIDER), str(tmp_path), redirect_uri],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            raise AssertionError(f"the provider did not start: {proc.stderr.read()}")
        yield json.loads(line)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def sso(provider: dict[str, str], settings: Any) -> dict[str, str]:
    from searchbench.accounts import oidc

    settings.SEARCHBENCH_OIDC_ISSUER = provider["issuer"]
    settings.SEARCHBENCH_OIDC_CLIENT_ID = provider["client_id"]
    settings.SEARCHBENCH_OIDC_CLIENT_SECRET = provider["client_secret"]
    settings.SEARCHBENCH_OIDC_NAME = "Example SSO"
    oidc._cache.clear()
    return provider


class _Forms(HTMLParser):
    """Forms and links of a page: enough of a browser for a log-in and a consent page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.links: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "id": a.get("id"), "fields": {}})
        elif tag == "input" and self.forms and a.get("name"):
            if a.get("type") not in ("submit", "checkbox") or "checked" in a:
                self.forms[-1]["fields"][a["name"]] = a.get("value", "")
        elif tag == "a" and a.get("id"):
            self.links[a["id"]] = a.get("href", "")


def parse(response: httpx.Response) -> _Forms:
    page = _Forms()
    page.feed(response.text)
    return page


def follow(client: httpx.Client, response: httpx.Response) -> httpx.Response:
    while response.is_redirect:
        response = client.get(urljoin(str(response.url), response.headers["Location"]))
    return response


def submit(client: httpx.Client, page: httpx.Response, form: dict[str, Any], **values: str):
    data = {**form["fields"], **values}
    return client.post(urljoin(str(page.url), form["action"] or str(page.url)), data=data)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """The browser: one cookie jar for both sites (their cookies differ by host and name).
    Closed at the end, so no kept-alive connection outlives the live server."""
    with httpx.Client(timeout=30) as client:
        yield client


def sign_on(client: httpx.Client, base: str, provider: dict[str, str]) -> httpx.Response:
    login = client.get(f"{base}/accounts/login/?next=/scorers/")
    button = parse(login).links["sso-login"]
    # searchbench -> the provider's authorize endpoint -> its log-in page
    page = follow(client, client.get(urljoin(base, button)))
    assert page.url.path == "/login/" and str(page.url).startswith(provider["issuer"][:-2])
    form = next(f for f in parse(page).forms if f["id"] == "provider-login")
    consent = follow(
        client,
        submit(client, page, form, username=provider["username"], password=provider["password"]),
    )
    # The provider's consent page: authorize searchbench.
    form = next(f for f in parse(consent).forms if "client_id" in f["fields"])
    return follow(client, submit(client, consent, form, allow="Authorize"))


@pytest.mark.django_db(transaction=True)
def test_a_new_user_signs_on_and_an_account_is_made_from_the_claims(sso, live_server, client):
    done = sign_on(client, live_server.url, sso)
    assert done.status_code == 200 and done.url.path == "/scorers/"  # ?next= kept
    assert '<a class="who" href="/accounts/me/" id="user-page">alice</a>' in done.text
    user = get_user_model().objects.get(username="alice")
    assert user.email.lower() == "alice@example.com" and user.first_name == "Alice"
    assert not user.has_usable_password()


@pytest.mark.django_db(transaction=True)
def test_an_existing_account_is_matched_by_e_mail(sso, live_server, client):
    existing = get_user_model().objects.create_user("alice.w", email="alice@example.com")
    done = sign_on(client, live_server.url, sso)
    assert 'id="user-page">alice.w</a>' in done.text
    assert list(get_user_model().objects.values_list("pk", flat=True)) == [existing.pk]


@pytest.mark.django_db(transaction=True)
def test_with_user_creation_off_an_unknown_person_is_sent_back(sso, live_server, settings, client):
    settings.SEARCHBENCH_OIDC_CREATE_USERS = False
    done = sign_on(client, live_server.url, sso)
    assert done.url.path == "/accounts/login/"
    assert "Single sign-on did not sign you in" in done.text
    assert not get_user_model().objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_forged_callback_does_not_sign_in(sso, live_server, client):
    to_provider = client.get(f"{live_server.url}/accounts/oidc/authenticate/")
    state = parse_qs(urlsplit(to_provider.headers["Location"]).query)["state"][0]
    callback = f"{live_server.url}/accounts/oidc/callback/"
    # A state this browser was not given: refused outright.
    assert client.get(f"{callback}?code=made-up&state=not-mine").status_code == 400
    # The right state with a code the provider never issued: the provider refuses to swap it.
    refused = follow(client, client.get(f"{callback}?code=made-up&state={state}"))
    assert refused.url.path == "/accounts/login/"
    assert "Single sign-on did not sign you in" in refused.text
    assert client.get(f"{live_server.url}/").is_redirect  # still signed out


@pytest.mark.django_db(transaction=True)
def test_sign_on_is_off_without_settings(live_server, client):
    assert 'id="sso-login"' not in client.get(f"{live_server.url}/accounts/login/").text
    assert client.get(f"{live_server.url}/accounts/oidc/authenticate/").status_code == 404
