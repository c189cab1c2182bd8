"""Teams: the rules in accounts.services (owners add, remove and promote; a team keeps an owner;
members leave; invitation links work once and until they expire) and the Teams pages on them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from searchbench.accounts import services
from searchbench.accounts.models import Invitation, Membership, Team
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for

SITE = "http://testserver/"


@pytest.fixture
def people(django_user_model):
    make = django_user_model.objects.create_user
    return {
        "olive": make("olive", email="olive@example.com", password="pw"),
        "tom": make("tom", email="tom@example.com", password="pw"),
        "oscar": make("oscar", email="oscar@example.com", password="pw"),
    }


@pytest.fixture
def team(people):
    team = services.create_team(people["olive"], "relevance")
    services.add_member(people["olive"], team, "tom")
    return team


def roles(team: Team) -> dict[str, str]:
    return {m.user.username: m.role for m in services.members(team)}


# -- services --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_makes_the_creator_the_owner(people, team):
    assert roles(team) == {"olive": "owner", "tom": "member"}
    assert list(services.my_teams(people["tom"])) == [team]
    assert list(services.my_teams(people["oscar"])) == []


@pytest.mark.django_db
def test_it_refuses_a_second_team_of_the_same_name(people, team):
    with pytest.raises(services.TeamError) as err:
        services.create_team(people["oscar"], " relevance ")
    assert err.value.code == "conflict"


@pytest.mark.django_db
def test_it_adds_by_user_name_or_e_mail_in_any_case(people, team):
    services.add_member(people["olive"], team, "OSCAR@example.com", "owner")
    assert roles(team)["oscar"] == "owner"


@pytest.mark.django_db
def test_it_refuses_an_unknown_user_and_a_member_twice(people, team):
    with pytest.raises(services.TeamError) as err:
        services.add_member(people["olive"], team, "nobody")
    assert err.value.code == "not_found"
    with pytest.raises(services.TeamError) as err:
        services.add_member(people["olive"], team, "tom")
    assert err.value.code == "conflict"


@pytest.mark.django_db
def test_it_lets_only_owners_add_remove_and_promote(people, team):
    tom, oscar = people["tom"], people["oscar"]
    with pytest.raises(services.TeamError) as err:
        services.add_member(tom, team, "oscar")
    assert err.value.code == "forbidden"
    with pytest.raises(services.TeamError) as err:
        services.set_role(tom, team, tom, "owner")
    assert err.value.code == "forbidden"
    with pytest.raises(services.TeamError) as err:
        services.remove_member(tom, team, people["olive"])
    assert err.value.code == "forbidden"
    # An outsider is not told the team exists.
    with pytest.raises(services.TeamError) as err:
        services.add_member(oscar, team, "oscar")
    assert err.value.code == "not_found"
    assert roles(team) == {"olive": "owner", "tom": "member"}


@pytest.mark.django_db
def test_it_keeps_at_least_one_owner(people, team):
    olive, tom = people["olive"], people["tom"]
    for change in (
        lambda: services.leave_team(olive, team),
        lambda: services.remove_member(olive, team, olive),
        lambda: services.set_role(olive, team, olive, "member"),
    ):
        with pytest.raises(services.TeamError, match="at least one owner"):
            change()
    services.set_role(olive, team, tom, "owner")
    services.leave_team(olive, team)
    assert roles(team) == {"tom": "owner"}


@pytest.mark.django_db
def test_a_member_may_leave(people, team):
    services.leave_team(people["tom"], team)
    assert roles(team) == {"olive": "owner"}


@pytest.mark.django_db
def test_an_invitation_is_mailed_and_joins_whoever_opens_it_once(people, team, mailoutbox):
    invitation = services.invite(people["olive"], team, "new@example.com", site_url=SITE)
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["new@example.com"]
    assert invitation.url in mailoutbox[0].body
    token = invitation.url.rsplit("/", 1)[1]
    stored = Invitation.objects.get()
    assert token not in stored.token_hash  # only a hash of the link's secret is kept
    services.accept_invitation(people["oscar"], token)
    assert roles(team)["oscar"] == "member"
    with pytest.raises(services.TeamError, match="already been used"):
        services.accept_invitation(people["oscar"], token)


@pytest.mark.django_db
def test_an_expired_invitation_is_refused(people, team):
    invitation = services.invite(people["olive"], team, "late@example.com", site_url=SITE)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(services.TeamError, match="expired"):
        services.accept_invitation(people["oscar"], invitation.url.rsplit("/", 1)[1])
    assert "oscar" not in roles(team)


@pytest.mark.django_db
def test_only_owners_invite_and_a_new_invitation_replaces_the_pending_one(people, team):
    with pytest.raises(services.TeamError) as err:
        services.invite(people["tom"], team, "x@example.com", site_url=SITE)
    assert err.value.code == "forbidden"
    first = services.invite(people["olive"], team, "x@example.com", site_url=SITE)
    services.invite(people["olive"], team, "X@example.com", site_url=SITE)
    assert Invitation.objects.count() == 1
    with pytest.raises(services.TeamError) as err:
        services.accept_invitation(people["oscar"], first.url.rsplit("/", 1)[1])
    assert err.value.code == "not_found"


@pytest.mark.django_db
def test_it_refuses_a_bad_address_and_a_member_s(people, team):
    with pytest.raises(services.TeamError, match="not an e-mail"):
        services.invite(people["olive"], team, "not-an-address", site_url=SITE)
    with pytest.raises(services.TeamError, match="already in"):
        services.invite(people["olive"], team, "tom@example.com", site_url=SITE)


# -- pages -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_teams_page_lists_mine_and_creates_one(people, team):
    client = client_for(people["tom"])
    page = parse(client.get(reverse("teams:list")).content)
    assert [r.text for r in page.select("tr.team-row td a")] == ["relevance"]
    response = client.post(reverse("teams:list"), {"name": "ops"})
    created = Team.objects.get(name="ops")
    assert response.status_code == 302 and response["Location"] == f"/teams/{created.pk}/"
    assert roles(created) == {"tom": "owner"}


@pytest.mark.django_db
def test_the_team_page_shows_members_to_members_only(people, team):
    response = client_for(people["tom"]).get(reverse("teams:detail", args=[team.pk]))
    rows = parse(response.content).select("tr.member-row")
    assert [r.attrs["data-user"] for r in rows] == ["olive", "tom"]
    outsider = client_for(people["oscar"]).get(reverse("teams:detail", args=[team.pk]))
    assert outsider.status_code == 404


@pytest.mark.django_db
def test_an_owner_adds_and_removes_from_the_page(people, team):
    client = client_for(people["olive"])
    client.post(reverse("teams:member_add", args=[team.pk]), {"who": "oscar", "role": "member"})
    assert roles(team)["oscar"] == "member"
    oscar = people["oscar"]
    client.post(reverse("teams:member_role", args=[team.pk, oscar.pk]), {"role": "owner"})
    assert roles(team)["oscar"] == "owner"
    client.post(reverse("teams:member_remove", args=[team.pk, oscar.pk]))
    assert "oscar" not in roles(team)


@pytest.mark.django_db
def test_a_member_cannot_add_remove_or_promote_from_the_page(people, team):
    client = client_for(people["tom"])
    tom, olive = people["tom"], people["olive"]
    add = client.post(reverse("teams:member_add", args=[team.pk]), {"who": "oscar"})
    promote = client.post(reverse("teams:member_role", args=[team.pk, tom.pk]), {"role": "owner"})
    remove = client.post(reverse("teams:member_remove", args=[team.pk, olive.pk]))
    invite = client.post(reverse("teams:invite", args=[team.pk]), {"email": "a@example.com"})
    delete = client.post(reverse("teams:delete", args=[team.pk]))
    assert [r.status_code for r in (add, promote, remove, invite, delete)] == [403] * 5
    assert roles(team) == {"olive": "owner", "tom": "member"}
    assert Invitation.objects.count() == 0 and Team.objects.filter(pk=team.pk).exists()


@pytest.mark.django_db
def test_an_outsider_cannot_add_members_to_a_team_they_are_not_in(people, team):
    client = client_for(people["oscar"])
    response = client.post(reverse("teams:member_add", args=[team.pk]), {"who": "oscar"})
    assert response.status_code == 404
    assert "oscar" not in roles(team)


@pytest.mark.django_db
def test_the_last_owner_leaving_is_told_why_not(people, team):
    client = client_for(people["olive"])
    response = client.post(reverse("teams:leave", args=[team.pk]), follow=True)
    assert "at least one owner" in parse(response.content).one(".msg.error").text
    assert roles(team)["olive"] == Membership.Role.OWNER


@pytest.mark.django_db
def test_an_invitation_link_asks_then_joins_then_is_spent(people, team, mailoutbox):
    owner = client_for(people["olive"])
    owner.post(reverse("teams:invite", args=[team.pk]), {"email": "oscar@example.com"})
    link = re.search(r"http://testserver(/teams/invitations/\S+)", mailoutbox[0].body).group(1)
    # Signed out: the log-in page first, then back to the link.
    anonymous = Client().get(link)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    oscar = client_for(people["oscar"])
    page = parse(oscar.get(link).content)
    assert "Join relevance" in page.one("#accept button").text
    assert "oscar" not in roles(team)  # opening the link changes nothing
    joined = oscar.post(link)
    assert joined.status_code == 302 and roles(team)["oscar"] == "member"
    again = oscar.get(link)
    assert again.status_code == 410
    assert "already been used" in parse(again.content).one("p.error").text


@pytest.mark.django_db
def test_an_unknown_or_expired_link_says_so(people, team):
    invitation = services.invite(people["olive"], team, "oscar@example.com", site_url=SITE)
    oscar = client_for(people["oscar"])
    assert oscar.get("/teams/invitations/not-a-token").status_code == 404
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    path = invitation.url.removeprefix("http://testserver")
    assert oscar.get(path).status_code == 410
    oscar.post(path)
    assert "oscar" not in roles(team)


@pytest.mark.django_db
def test_an_owner_withdraws_an_invitation(people, team):
    invitation = services.invite(people["olive"], team, "x@example.com", site_url=SITE)
    client_for(people["olive"]).post(
        reverse("teams:invitation_revoke", args=[team.pk, invitation.pk])
    )
    assert Invitation.objects.count() == 0
