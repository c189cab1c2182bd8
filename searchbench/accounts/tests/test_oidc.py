"""The parts of single sign-on we add to mozilla-django-oidc, one by one (the whole flow against a
real provider is tests/e2e/test_oidc_sign_in.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import Client

from searchbench.accounts import oidc

ISSUER = "https://id.example.com/realms/x"


def test_an_id_token_from_the_provider_for_this_client_passes():
    oidc.check_id_token({"iss": ISSUER, "aud": "sb"}, ISSUER, "sb")
    oidc.check_id_token({"iss": ISSUER + "/", "aud": ["sb"]}, ISSUER, "sb")
    oidc.check_id_token({"iss": ISSUER, "aud": ["sb", "other"], "azp": "sb"}, ISSUER, "sb")


@pytest.mark.parametrize(
    "payload",
    [
        {"iss": "https://evil.example.com", "aud": "sb"},
        {"iss": ISSUER, "aud": "another-client"},
        {"iss": ISSUER},
        {"iss": ISSUER, "aud": ["sb", "other"], "azp": "other"},
    ],
)
def test_an_id_token_from_elsewhere_or_for_another_client_is_refused(payload):
    with pytest.raises(SuspiciousOperation):
        oidc.check_id_token(payload, ISSUER, "sb")


def test_an_unverified_or_missing_e_mail_is_refused():
    backend = oidc.Backend()
    assert backend.verify_claims({"email": "a@example.com", "email_verified": True})
    assert backend.verify_claims({"email": "a@example.com"})  # providers that do not say
    assert not backend.verify_claims({"email": "a@example.com", "email_verified": False})
    assert not backend.verify_claims({"sub": "123"})


@pytest.mark.django_db
def test_a_new_user_name_is_the_preferred_one_or_the_mailbox_made_unique(django_user_model):
    django_user_model.objects.create_user("alice")
    assert oidc.username_for({"preferred_username": "bob", "email": "x@y.z"}) == "bob"
    assert oidc.username_for({"preferred_username": "Alice", "email": "x@y.z"}) == "Alice-2"
    assert oidc.username_for({"email": "carol smith@example.com"}) == "carolsmith"


@pytest.mark.django_db
def test_a_password_log_in_never_asks_the_provider(settings, django_user_model):
    settings.SEARCHBENCH_OIDC_ISSUER = "http://127.0.0.1:9/unreachable"
    settings.SEARCHBENCH_OIDC_CLIENT_ID = "sb"
    oidc._cache.clear()
    django_user_model.objects.create_user("olive", password="pw-olive")
    for path in ("/accounts/login/", "/accounts/login/?code=x&state=y"):
        response = Client().post(path, {"username": "olive", "password": "pw-olive"})
        assert response.status_code == 302


@pytest.mark.django_db
def test_a_provider_that_cannot_be_reached_is_a_message_not_an_error(settings):
    settings.SEARCHBENCH_OIDC_ISSUER = "http://127.0.0.1:9/unreachable"
    settings.SEARCHBENCH_OIDC_CLIENT_ID = "sb"
    oidc._cache.clear()
    client = Client()
    assert 'id="sso-login"' in client.get("/accounts/login/").content.decode()
    response = client.get("/accounts/oidc/authenticate/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "identity provider cannot be reached" in response.content.decode()


@pytest.mark.django_db
def test_no_password_log_in_reads_the_discovery_document(settings, django_user_model, monkeypatch):
    """The test above passes whether or not the provider is asked (an unreachable one is caught):
    here every fetch of the discovery document is recorded, for good and bad passwords."""
    settings.SEARCHBENCH_OIDC_ISSUER = "http://127.0.0.1:9/unreachable"
    settings.SEARCHBENCH_OIDC_CLIENT_ID = "sb"
    oidc._cache.clear()
    fetched: list[str] = []

    def record(url: str, **kwargs: object) -> None:
        fetched.append(url)
        raise oidc.httpx.ConnectError("not reachable in this test")

    monkeypatch.setattr(oidc.httpx, "get", record)
    django_user_model.objects.create_user("olive", password="pw-olive")
    for path in ("/accounts/login/", "/accounts/login/?code=x&state=y"):
        for password, status in (("pw-olive", 302), ("wrong", 200)):
            response = Client().post(path, {"username": "olive", "password": password})
            assert response.status_code == status
    assert fetched == []
    Client().get("/accounts/oidc/authenticate/")  # the one door that reads it: the spy works
    assert fetched == ["http://127.0.0.1:9/unreachable/.well-known/openid-configuration"]
