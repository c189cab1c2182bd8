"""The user's personal access tokens for the API: list, create (the secret shown once), revoke.
The rules are searchbench.api.tokens'."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from searchbench.api import tokens
from searchbench.api.models import ApiToken

EXPIRY_CHOICES = [("30", "30 days"), ("90", "90 days"), ("365", "a year"), ("", "never")]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=tokens.NAME_MAX, help_text="What uses it, e.g. “CI”.")
    scope = forms.ChoiceField(choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)
    expires = forms.ChoiceField(choices=EXPIRY_CHOICES, initial="90", required=False)


@login_required
@never_cache  # the page that shows a new secret must not be kept by any cache
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    secret = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            days = form.cleaned_data["expires"]
            try:
                made = tokens.create_token(
                    request.user,
                    form.cleaned_data["name"],
                    form.cleaned_data["scope"],
                    int(days) if days else None,
                )
            except tokens.TokenError as exc:
                form.add_error(None, str(exc))
            else:
                secret = made.secret
                form = TokenForm()
    else:
        form = TokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "secret": secret, "tokens": tokens.tokens_of(request.user)},
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = tokens.revoke(request.user, token_id)
    if token is None:
        raise Http404("No such token")
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("tokens:list")
