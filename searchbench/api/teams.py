"""Teams and their members. The rules are accounts.services'; a change they refuse (TeamError)
is answered by errors.install."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from searchbench.accounts import services as teams
from searchbench.accounts.models import Team
from searchbench.api.common import Id, Page, PageParams, answers, paginate
from searchbench.api.errors import ApiError

router = Router(tags=["teams"])


class MemberOut(Schema):
    user_id: int
    username: str
    role: str
    since: datetime


class TeamOut(Schema):
    id: int
    name: str
    description: str
    role: str | None
    members: list[MemberOut]
    created_at: datetime


class TeamIn(Schema):
    name: str = Field(..., min_length=1, max_length=150)
    description: str = ""


class RoleIn(Schema):
    role: Literal["owner", "member"]


class MemberIn(Schema):
    user: str = Field(..., min_length=1, max_length=254, description="user name or e-mail")
    role: Literal["owner", "member"] = "member"


def team_out(team: Team, user: Any) -> dict[str, Any]:
    return {
        "id": team.pk,
        "name": team.name,
        "description": team.description,
        "role": teams.role_of(user, team),
        "members": [
            {
                "user_id": m.user_id,
                "username": m.user.get_username(),
                "role": m.role,
                "since": m.created_at,
            }
            for m in teams.members(team)
        ],
        "created_at": team.created_at,
    }


def _team(request: HttpRequest, team_id: int) -> Team:
    return teams.team_for(request.user, team_id)


@router.get("", response=answers(Page[TeamOut]), operation_id="list_teams")
def list_teams(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """The teams you are in."""
    rows = teams.my_teams(request.user).order_by("name", "id")
    return paginate(rows, page, lambda t: team_out(t, request.user))


@router.post("", response=answers(TeamOut, 201), operation_id="create_team")
def create_team(request: HttpRequest, payload: TeamIn) -> Status:
    """A new team; you are its owner."""
    team = teams.create_team(request.user, payload.name, payload.description)
    return Status(201, team_out(team, request.user))


@router.get("/{id:team_id}", response=answers(TeamOut), operation_id="get_team")
def get_team(request: HttpRequest, team_id: Id) -> dict[str, Any]:
    return team_out(_team(request, team_id), request.user)


@router.post("/{id:team_id}/members", response=answers(TeamOut, 201), operation_id="add_member")
def add_member(request: HttpRequest, team_id: Id, payload: MemberIn) -> Status:
    """Add an existing user by user name or e-mail (team owners only)."""
    team = _team(request, team_id)
    teams.add_member(request.user, team, payload.user, payload.role)
    return Status(201, team_out(team, request.user))


@router.delete("/{id:team_id}/members/{id:user_id}", response=answers(None, 204),
               operation_id="remove_member")  # fmt: skip
def remove_member(request: HttpRequest, team_id: Id, user_id: Id) -> Status:
    """Remove a member (owners), or leave (your own id). A team keeps at least one owner."""
    team = _team(request, team_id)
    teams.remove_member(request.user, team, _member(user_id))
    return Status(204, None)


def _member(user_id: int) -> Any:
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise ApiError(404, "no such member")
    return user


@router.patch(
    "/{id:team_id}/members/{id:user_id}", response=answers(TeamOut), operation_id="set_member_role"
)
def set_member_role(request: HttpRequest, team_id: Id, user_id: Id, payload: RoleIn) -> dict:
    """Make a member an owner, or an owner a member (team owners only; a team keeps an owner)."""
    team = _team(request, team_id)
    teams.set_role(request.user, team, _member(user_id), payload.role)
    return team_out(team, request.user)


@router.delete("/{id:team_id}", response=answers(None, 204), operation_id="delete_team")
def delete_team(request: HttpRequest, team_id: Id) -> Status:
    """Delete a team (its owners only). What was shared with it stays with its owners."""
    team = _team(request, team_id)
    teams.delete_team(request.user, team)
    return Status(204, None)
