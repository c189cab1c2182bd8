"""Accounts: sign-up (off unless SEARCHBENCH_SIGNUP), password change, password reset by e-mail
(Django's views, our templates), the user's page."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from searchbench.cases.tests.htmlquery import parse

NEW_PASSWORD = "a-long-new-passphrase-42"


@pytest.fixture
def olive(django_user_model):
    return django_user_model.objects.create_user(
        "olive", email="olive@example.com", password="pw-olive"
    )


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_sign_up_is_off_by_default(settings):
    assert settings.SEARCHBENCH_SIGNUP is False
    assert Client().get(reverse("signup")).status_code == 404
    page = parse(Client().get(reverse("login")).content)
    assert page.select("#signup-link") == []


@pytest.mark.django_db
def test_sign_up_when_on_makes_the_account_and_signs_in(settings, olive):
    settings.SEARCHBENCH_SIGNUP = True
    client = Client()
    assert parse(client.get(reverse("login")).content).select("#signup-link")
    data = {"username": "sam", "email": "sam@example.com"}
    data |= {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    response = client.post(reverse("signup"), data)
    assert response.status_code == 302 and logged_in(client)
    assert get_user_model().objects.get(username="sam").email == "sam@example.com"


@pytest.mark.django_db
def test_sign_up_refuses_a_taken_e_mail_and_a_weak_password(settings, olive):
    settings.SEARCHBENCH_SIGNUP = True
    data = {"username": "sam", "email": "OLIVE@example.com"}
    data |= {"password1": "password", "password2": "password"}
    response = Client().post(reverse("signup"), data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "An account with this e-mail exists" in text and "too common" in text
    assert not get_user_model().objects.filter(username="sam").exists()


@pytest.mark.django_db
def test_a_user_changes_their_password(olive):
    client = Client()
    client.force_login(olive)
    response = client.post(
        reverse("password_change"),
        {"old_password": "pw-olive", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    olive.refresh_from_db()
    assert olive.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_a_wrong_old_password_changes_nothing(olive):
    client = Client()
    client.force_login(olive)
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    olive.refresh_from_db()
    assert olive.check_password("pw-olive")


@pytest.mark.django_db
def test_a_password_is_reset_through_the_e_mailed_link_once(olive, mailoutbox):
    client = Client()
    client.post(reverse("password_reset"), {"email": "olive@example.com"})
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["olive@example.com"]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mailoutbox[0].body)
    # Django swaps the token for a session marker: the form is on the address it redirects to.
    form_url = client.get(link.group(1))["Location"]
    data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert client.post(form_url, data)["Location"] == reverse("password_reset_complete")
    olive.refresh_from_db()
    assert olive.check_password(NEW_PASSWORD)
    again = Client().get(link.group(1), follow=True)
    assert "not valid any more" in parse(again.content).one("p.error").text


@pytest.mark.django_db
def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(olive, mailoutbox):
    response = Client().post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    assert mailoutbox == []


@pytest.mark.django_db
def test_the_user_page_shows_and_saves_the_profile(olive):
    client = Client()
    assert client.get(reverse("user")).status_code == 302  # log in first
    client.force_login(olive)
    page = parse(client.get(reverse("user")).content)
    assert page.one("#id_email").attrs["value"] == "olive@example.com"
    assert page.select("#password a")  # a password: the change link
    assert page.select("#api-tokens a")[0].attrs["href"] == reverse("tokens:list")
    client.post(reverse("user"), {"first_name": "Olive", "email": "o@example.com"})
    olive.refresh_from_db()
    assert (olive.first_name, olive.email) == ("Olive", "o@example.com")


@pytest.mark.django_db
def test_the_user_page_refuses_another_account_s_e_mail(olive, django_user_model):
    django_user_model.objects.create_user("tom", email="tom@example.com")
    client = Client()
    client.force_login(olive)
    response = client.post(reverse("user"), {"email": "TOM@example.com"})
    assert "Another account has this e-mail" in response.content.decode()
    olive.refresh_from_db()
    assert olive.email == "olive@example.com"
