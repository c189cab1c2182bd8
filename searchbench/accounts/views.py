"""Account pages: sign-up (when SEARCHBENCH_SIGNUP is on) and the user's own page. Password
change and reset are Django's own views with our templates (urls.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from searchbench.accounts import services
from searchbench.accounts.forms import ProfileForm, SignupForm


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if not settings.SEARCHBENCH_SIGNUP:
        raise Http404("Sign-up is off on this site")
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.get_username()}.")
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def user_page(request: HttpRequest) -> HttpResponse:
    """The signed-in user's page: profile, password, teams; other features add their sections
    by extending accounts/user.html (block ``user_sections``)."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("user")
    return render(
        request,
        "accounts/user.html",
        {"form": form, "teams": services.my_teams(request.user)},
    )
