"""Teams: who is in them and who may change that. The web pages and the API call these; they know
nothing about HTTP.

The rules, in one place:

- anyone signed in may create a team, and is its first owner;
- only owners add members (by user name or e-mail), invite by e-mail, remove members and change
  roles; members see the team and its members, and may leave;
- a team always keeps at least one owner: the last owner can neither leave, be removed nor be
  made a member (make someone else owner first, or delete the team);
- an invitation link works once, until it expires, for whoever opens it signed in.

Every refusal is a TeamError whose ``code`` says what kind (``not_found``, ``forbidden``,
``invalid``, ``conflict``), so each door can map it to its own answer.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from searchbench.accounts.models import Invitation, Membership, Team

AnyUser = AbstractBaseUser | AnonymousUser
Role = Membership.Role


class TeamError(Exception):
    """A team change refused; ``code`` is one of not_found, forbidden, invalid, conflict."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------------------------------------
# Reading


def my_teams(user: AnyUser) -> QuerySet[Team]:
    """The teams the user is a member of (any role)."""
    if not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(memberships__user=user).distinct()


def team_for(user: AnyUser, team_id: int) -> Team:
    """The team if the user is in it; TeamError(not_found) otherwise (others' teams are not
    confirmed to exist)."""
    team = my_teams(user).filter(pk=team_id).first()
    if team is None:
        raise TeamError("No such team", "not_found")
    return team


def role_of(user: AnyUser, team: Team) -> str | None:
    """``"owner"``, ``"member"`` or None (not in the team)."""
    if not user.is_authenticated:
        return None
    return team.memberships.filter(user=user).values_list("role", flat=True).first()


def is_owner(user: AnyUser, team: Team) -> bool:
    return role_of(user, team) == Role.OWNER


def own_or_shared(rows: QuerySet[Any], user: AnyUser) -> QuerySet[Any]:
    """The rows (of a model with ``owner`` and ``teams``) the user owns or that are shared with
    one of their teams: the one sharing rule of cases, endpoints, scorers, static sets, books."""
    if not user.is_authenticated:
        return rows.none()
    return rows.filter(Q(owner=user) | Q(teams__memberships__user=user)).distinct()


def owns_or_shares(user: AnyUser, row: Any) -> bool:
    """Whether ``row`` (with ``owner`` and ``teams``) is the user's or shared with one of their
    teams — ``own_or_shared`` for one row already read."""
    if not user.is_authenticated:
        return False
    return row.owner_id == user.pk or row.teams.filter(memberships__user=user).exists()


def members(team: Team) -> QuerySet[Membership]:
    """The team's memberships, owners first, with their users."""
    return team.memberships.select_related("user").order_by("-role", "user__username")


def pending_invitations(team: Team) -> QuerySet[Invitation]:
    return team.invitations.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())


# ---------------------------------------------------------------------------------------------
# Changing


def create_team(user: AnyUser, name: str, description: str = "") -> Team:
    """A new team with ``user`` as its owner."""
    if not user.is_authenticated:
        raise TeamError("Sign in to create a team", "forbidden")
    name = name.strip()
    if not name:
        raise TeamError("A team needs a name")
    if len(name) > Team._meta.get_field("name").max_length:
        raise TeamError("The team name is too long (150 characters at most)")
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name, description=description.strip())
            Membership.objects.create(team=team, user=user, role=Role.OWNER)
    except IntegrityError:
        message = f"A team named “{name}” already exists; choose another name"
        raise TeamError(message, "conflict") from None
    return team


def delete_team(actor: AnyUser, team: Team) -> None:
    """Delete the team (owners only). What was shared with it stays with its owners."""
    _require_owner(actor, team)
    team.delete()


def find_user(who: str) -> Any:
    """The user whose user name is ``who`` or, failing that, whose e-mail it is (either in any
    case). TeamError when none, or when several share the e-mail."""
    User = get_user_model()
    who = who.strip()
    if not who:
        raise TeamError("Give a user name or an e-mail address")
    found = User.objects.filter(username__iexact=who, is_active=True).first()
    if found is not None:
        return found
    if "@" in who:
        matches = list(User.objects.filter(email__iexact=who, is_active=True)[:2])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise TeamError(f"Several users have the e-mail {who}; give a user name")
    raise TeamError(f"No user “{who}”; invite them by e-mail instead", "not_found")


def add_member(actor: AnyUser, team: Team, who: str, role: str = Role.MEMBER) -> Membership:
    """Add an existing user (by user name or e-mail) to the team (owners only)."""
    _require_owner(actor, team)
    role = _valid_role(role)
    user = find_user(who)
    try:
        with transaction.atomic():
            return Membership.objects.create(team=team, user=user, role=role)
    except IntegrityError:
        raise TeamError(f"{user.get_username()} is already in {team.name}", "conflict") from None


def set_role(actor: AnyUser, team: Team, user: Any, role: str) -> Membership:
    """Make a member an owner or an owner a member (owners only; never the last owner)."""
    _require_owner(actor, team)
    role = _valid_role(role)
    with transaction.atomic():
        membership = _membership_locked(team, user)
        if membership.role == Role.OWNER and role != Role.OWNER:
            _keep_an_owner(team, membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def remove_member(actor: AnyUser, team: Team, user: Any) -> None:
    """Take a user out of the team: an owner removes anyone, a member only themselves (leave).
    The last owner stays."""
    if not actor.is_authenticated:
        raise TeamError("Sign in first", "forbidden")
    if actor.pk != user.pk:
        _require_owner(actor, team)
    with transaction.atomic():
        membership = _membership_locked(team, user)
        if membership.role == Role.OWNER:
            _keep_an_owner(team, membership)
        membership.delete()


def leave_team(user: AnyUser, team: Team) -> None:
    remove_member(user, team, user)


# ---------------------------------------------------------------------------------------------
# Invitations


def invitation_days() -> int:
    return int(settings.SEARCHBENCH_INVITATION_DAYS)


def invite(actor: AnyUser, team: Team, email: str, *, site_url: str) -> Invitation:
    """Invite ``email`` to the team (owners only) and send the link by e-mail.

    ``site_url`` is the site's address as the invitee reaches it (e.g.
    ``request.build_absolute_uri("/")``). The link's secret is on the returned invitation as
    ``.url`` only: the database keeps its hash. A newer invitation to the same address replaces
    the pending ones.
    """
    _require_owner(actor, team)
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise TeamError(f"“{email}” is not an e-mail address") from None
    if team.memberships.filter(user__email__iexact=email).exists():
        raise TeamError(f"{email} is already in {team.name}", "conflict")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        pending_invitations(team).filter(email__iexact=email).delete()
        invitation = Invitation.objects.create(
            team=team,
            email=email,
            token_hash=_hash(token),
            invited_by=actor,
            expires_at=timezone.now() + timedelta(days=invitation_days()),
        )
    invitation.url = site_url.rstrip("/") + reverse("teams:invitation", args=[token])
    inviter = actor.get_username()
    send_mail(
        subject=f"{inviter} invites you to the team {team.name} on searchbench",
        message=(
            f"{inviter} invites you to join the team “{team.name}” on searchbench.\n\n"
            f"Open this link, signed in, to join (it works once, until "
            f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n\n{invitation.url}\n"
        ),
        from_email=None,
        recipient_list=[email],
    )
    return invitation


def invitation_for(token: str) -> Invitation:
    """The invitation a link's secret names, whatever its state; TeamError(not_found) if none."""
    invitation = (
        Invitation.objects.select_related("team", "invited_by")
        .filter(token_hash=_hash(token))
        .first()
    )
    if invitation is None:
        raise TeamError("This invitation link is not valid", "not_found")
    return invitation


def invitation_problem(invitation: Invitation) -> str | None:
    """Why the invitation can no longer be accepted (None: it can)."""
    if invitation.accepted_at is not None:
        return "This invitation has already been used"
    if invitation.expires_at <= timezone.now():
        return "This invitation has expired; ask the team's owner for a new one"
    return None


def accept_invitation(user: AnyUser, token: str) -> Membership:
    """Join the invitation's team as a member; the link is spent even if the user was in the
    team already. TeamError when the link is unknown, used or expired."""
    if not user.is_authenticated:
        raise TeamError("Sign in to accept the invitation", "forbidden")
    invitation = invitation_for(token)
    problem = invitation_problem(invitation)
    if problem:
        raise TeamError(problem, "conflict")
    with transaction.atomic():
        # Only one request can spend the link, however many arrive together.
        spent = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            accepted_at=timezone.now(), accepted_by=user
        )
        if spent != 1:
            raise TeamError("This invitation has already been used", "conflict")
        membership, _made = Membership.objects.get_or_create(
            team=invitation.team, user=user, defaults={"role": Role.MEMBER}
        )
    return membership


def revoke_invitation(actor: AnyUser, invitation: Invitation) -> None:
    _require_owner(actor, invitation.team)
    invitation.delete()


# ---------------------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _valid_role(role: str) -> str:
    if role not in Role.values:
        raise TeamError(f"Unknown role {role!r}; expected one of {', '.join(Role.values)}")
    return role


def _require_owner(actor: AnyUser, team: Team) -> None:
    role = role_of(actor, team)
    if role is None:
        raise TeamError("No such team", "not_found")
    if role != Role.OWNER:
        raise TeamError(f"Only the owners of {team.name} may do that", "forbidden")


def _membership_locked(team: Team, user: Any) -> Membership:
    # Lock the team's owners too, so two owners leaving at once cannot both pass the check.
    list(team.memberships.select_for_update().filter(role=Role.OWNER))
    membership = team.memberships.select_for_update().filter(user=user).first()
    if membership is None:
        raise TeamError(f"{user.get_username()} is not in {team.name}", "not_found")
    return membership


def _keep_an_owner(team: Team, leaving: Membership) -> None:
    if not team.memberships.filter(role=Role.OWNER).exclude(pk=leaving.pk).exists():
        raise TeamError(
            f"{team.name} needs at least one owner: make another member owner first", "conflict"
        )
