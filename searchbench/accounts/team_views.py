"""The Teams pages: my teams, one team's members and invitations, an invitation link. Each view:
call accounts.services, say what happened, go back to the team."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from searchbench.accounts import services
from searchbench.accounts.models import Team


def _team(request: HttpRequest, team_id: int) -> Team:
    try:
        return services.team_for(request.user, team_id)
    except services.TeamError as exc:
        raise Http404(str(exc)) from None


def _attempt(request: HttpRequest, change: Callable[[], Any], done: str) -> bool:
    """Run a change; a refusal is an error message (a missing team a 404, a member doing an
    owner's work a 403)."""
    try:
        change()
    except services.TeamError as exc:
        if exc.code == "not_found" and str(exc) == "No such team":
            raise Http404(str(exc)) from None
        if exc.code == "forbidden":
            raise PermissionDenied(str(exc)) from None
        messages.error(request, str(exc))
        return False
    messages.success(request, done)
    return True


@login_required
@require_http_methods(["GET", "POST"])
def team_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            team = services.create_team(request.user, name, request.POST.get("description", ""))
        except services.TeamError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Team “{team.name}” created; add its members.")
            return redirect("teams:detail", team_id=team.pk)
    teams = [
        {"team": t, "role": services.role_of(request.user, t), "size": t.memberships.count()}
        for t in services.my_teams(request.user)
    ]
    return render(request, "teams/team_list.html", {"teams": teams})


@login_required
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _team(request, team_id)
    owner = services.is_owner(request.user, team)
    return render(
        request,
        "teams/team_detail.html",
        {
            "team": team,
            "is_owner": owner,
            "members": services.members(team),
            "invitations": services.pending_invitations(team) if owner else [],
            "roles": services.Role.choices,
            "shared": {
                "cases": team.cases.filter(archived=False).order_by("name")[:50],
                "endpoints": team.endpoints.order_by("name")[:50],
                "scorers": team.scorers.order_by("name")[:50],
            },
        },
    )


@login_required
@require_POST
def member_add(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _team(request, team_id)
    who = request.POST.get("who", "")
    role = request.POST.get("role", services.Role.MEMBER)
    _attempt(
        request,
        lambda: services.add_member(request.user, team, who, role),
        f"Added {who.strip()} to {team.name}.",
    )
    return redirect("teams:detail", team_id=team.pk)


def _member(team: Team, user_id: int) -> Any:
    return get_object_or_404(get_user_model(), pk=user_id, memberships__team=team)


@login_required
@require_POST
def member_remove(request: HttpRequest, team_id: int, user_id: int) -> HttpResponse:
    team = _team(request, team_id)
    user = _member(team, user_id)
    _attempt(
        request,
        lambda: services.remove_member(request.user, team, user),
        f"Removed {user.get_username()} from {team.name}.",
    )
    if user.pk == request.user.pk:
        return redirect("teams:list")
    return redirect("teams:detail", team_id=team.pk)


@login_required
@require_POST
def member_role(request: HttpRequest, team_id: int, user_id: int) -> HttpResponse:
    team = _team(request, team_id)
    user = _member(team, user_id)
    role = request.POST.get("role", "")
    _attempt(
        request,
        lambda: services.set_role(request.user, team, user, role),
        f"{user.get_username()} is now {role} of {team.name}.",
    )
    return redirect("teams:detail", team_id=team.pk)


@login_required
@require_POST
def team_leave(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _team(request, team_id)
    if _attempt(request, lambda: services.leave_team(request.user, team), f"You left {team.name}."):
        return redirect("teams:list")
    return redirect("teams:detail", team_id=team.pk)


@login_required
@require_POST
def team_delete(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _team(request, team_id)
    name = team.name
    _attempt(request, lambda: services.delete_team(request.user, team), f"Deleted {name}.")
    return redirect("teams:list")


@login_required
@require_POST
def invite(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _team(request, team_id)
    email = request.POST.get("email", "")
    _attempt(
        request,
        lambda: services.invite(
            request.user, team, email, site_url=request.build_absolute_uri("/")
        ),
        f"Invitation sent to {email.strip()}.",
    )
    return redirect("teams:detail", team_id=team.pk)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, team_id: int, invitation_id: int) -> HttpResponse:
    team = _team(request, team_id)
    invitation = get_object_or_404(team.invitations, pk=invitation_id)
    _attempt(
        request,
        lambda: services.revoke_invitation(request.user, invitation),
        f"Invitation to {invitation.email} withdrawn.",
    )
    return redirect("teams:detail", team_id=team.pk)


@login_required
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """GET: what the link offers (or why it no longer works); POST: join."""
    try:
        found = services.invitation_for(token)
    except services.TeamError as exc:
        return render(request, "teams/invitation.html", {"problem": str(exc)}, status=404)
    if request.method == "POST":
        try:
            services.accept_invitation(request.user, token)
        except services.TeamError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"You joined {found.team.name}.")
            return redirect("teams:detail", team_id=found.team.pk)
    problem = services.invitation_problem(found)
    member = services.role_of(request.user, found.team) is not None
    return render(
        request,
        "teams/invitation.html",
        {"invitation": found, "problem": problem, "member": member},
        status=410 if problem else 200,
    )
