from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from searchbench.accounts.models import Membership, Team


@pytest.mark.django_db
def test_a_user_is_a_member_of_a_team_once():
    user = get_user_model().objects.create_user("ann")
    team = Team.objects.create(name="relevance")
    Membership.objects.create(team=team, user=user, role=Membership.Role.OWNER)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(team=team, user=user)
    assert list(user.teams.all()) == [team]
    assert list(team.members.all()) == [user]


@pytest.mark.django_db
def test_team_names_are_unique():
    Team.objects.create(name="relevance")
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(name="relevance")
