"""Sharing with teams from the case, endpoint and scorer pages; custom scorers private to their
owner and the teams they are shared with (before: every user saw and could pick every one)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from searchbench.accounts.models import Membership, Team
from searchbench.cases import services
from searchbench.cases.models import Case, Scorer
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for

CODE = "setScore(1);"


@pytest.fixture
def private_scorer(world):
    return Scorer.objects.create(
        name="olive-private", kind=Scorer.Kind.CUSTOM, scale=[0, 1], code=CODE, owner=world.owner
    )


def names(queryset) -> set[str]:
    return set(queryset.values_list("name", flat=True))


@pytest.mark.django_db
def test_a_custom_scorer_is_its_owner_s_until_shared(world, private_scorer):
    assert "olive-private" in names(services.usable_scorers(world.owner))
    assert "olive-private" not in names(services.usable_scorers(world.teammate))
    assert "olive-private" not in names(services.usable_scorers(world.outsider))
    private_scorer.teams.add(world.team)
    assert "olive-private" in names(services.usable_scorers(world.teammate))
    assert "olive-private" not in names(services.usable_scorers(world.outsider))


@pytest.mark.django_db
def test_built_ins_are_everyone_s(world):
    builtins = names(Scorer.objects.filter(kind=Scorer.Kind.BUILTIN))
    assert builtins and builtins <= names(services.usable_scorers(world.outsider))


@pytest.mark.django_db
def test_an_outsider_does_not_see_a_private_scorer_in_the_list(world, private_scorer):
    page = parse(client_for(world.outsider).get(reverse("cases:scorers")).content)
    listed = [row.select("td")[0].text for row in page.select("tr.scorer-row")]
    assert "olive-private" not in listed and "nDCG@10" in listed
    edit = reverse("cases:scorer_edit", args=[private_scorer.pk])
    assert client_for(world.outsider).get(edit).status_code == 404


@pytest.mark.django_db
def test_an_outsider_cannot_pick_a_private_scorer_for_a_case(world, private_scorer):
    client = client_for(world.outsider)
    page = parse(client.get(reverse("cases:list")).content)
    offered = {o.text for o in page.select("select#id_scorer option")}
    assert "olive-private" not in offered
    mine = services.usable_endpoints(world.outsider)
    assert not mine.exists()
    endpoint = world.endpoint
    endpoint.pk = None
    endpoint.owner = world.outsider
    endpoint.save()
    response = client.post(
        reverse("cases:list"),
        {
            "name": "sneaky",
            "scorer": private_scorer.pk,
            "endpoint": endpoint.pk,
            "query_template": '{"query": "#$query##"}',
        },
    )
    assert response.status_code == 200  # the form again, with the choice refused
    assert not Case.objects.filter(name="sneaky").exists()


@pytest.mark.django_db
def test_case_settings_offer_only_usable_scorers_but_keep_the_case_s(world, private_scorer):
    world.case.scorer = private_scorer
    world.case.save()
    other = Scorer.objects.create(
        name="olive-other", kind=Scorer.Kind.CUSTOM, scale=[0, 1], code=CODE, owner=world.owner
    )
    page = parse(
        client_for(world.teammate).get(reverse("cases:settings", args=[world.case.pk])).content
    )
    offered = {o.text for o in page.select("select#id_scorer option")}
    assert "olive-private" in offered  # the case's own, kept
    assert other.name not in offered


@pytest.mark.django_db
def test_the_owner_shares_a_scorer_with_their_team_from_its_page(world):
    client = client_for(world.owner)
    other = Team.objects.create(name="not mine")
    page = parse(client.get(reverse("cases:scorer_new")).content)
    offered = {i.attrs["value"] for i in page.select("input[name=teams]")}
    assert offered == {str(world.team.pk)}  # only teams the owner is in
    response = client.post(
        reverse("cases:scorer_new"),
        {"name": "shared", "scale_text": "0, 1", "code": CODE, "teams": [world.team.pk]},
    )
    assert response.status_code == 302
    scorer = Scorer.objects.get(name="shared")
    assert list(scorer.teams.all()) == [world.team]
    response = client.post(
        reverse("cases:scorer_edit", args=[scorer.pk]),
        {"name": "shared", "scale_text": "0, 1", "code": CODE, "teams": [other.pk]},
    )
    assert response.status_code == 200 and list(scorer.teams.all()) == [world.team]


@pytest.mark.django_db
def test_the_owner_shares_an_endpoint_and_a_case_with_their_teams_only(world):
    other = Team.objects.create(name="not mine")
    Membership.objects.create(team=other, user=world.outsider, role=Membership.Role.OWNER)
    client = client_for(world.owner)
    page = parse(client.get(reverse("cases:endpoint_edit", args=[world.endpoint.pk])).content)
    assert {i.attrs["value"] for i in page.select("input[name=teams]")} == {str(world.team.pk)}
    page = parse(client.get(reverse("cases:settings", args=[world.case.pk])).content)
    assert {i.attrs["value"] for i in page.select("input[name=teams]")} == {str(world.team.pk)}
