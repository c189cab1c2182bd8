"""docs/security.md is kept true: its access table is what the access rules answer, its limits and
policy are the code's constants, and every setting it names exists."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from searchbench import env

DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"


def section(name: str) -> str:
    text = DOC.read_text()
    match = re.search(rf"<!-- {name}(?::[^>]*)? -->(.*?)<!-- /{name} -->", text, re.S)
    assert match, f"docs/security.md has no {name} section"
    return match.group(1)


def table(name: str) -> list[list[str]]:
    rows = [line for line in section(name).strip().splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_every_setting_named_exists() -> None:
    named = set(re.findall(r"`(SEARCHBENCH_[A-Z_]+)`", DOC.read_text()))
    assert named, "the page names no setting"
    assert named <= set(env.BY_NAME), named - set(env.BY_NAME)


def test_every_security_setting_is_named() -> None:
    text = DOC.read_text()
    security = [
        "SEARCHBENCH_SECRET_KEY",
        "SEARCHBENCH_DEBUG",
        "SEARCHBENCH_ALLOWED_HOSTS",
        "SEARCHBENCH_HTTPS",
        "SEARCHBENCH_CSRF_TRUSTED_ORIGINS",
        "SEARCHBENCH_PROXY_COUNT",
        "SEARCHBENCH_ALLOW_PRIVATE_URLS",
        "SEARCHBENCH_URL_ALLOW",
        "SEARCHBENCH_URL_DENY",
        "SEARCHBENCH_LOGIN_FAILURE_LIMIT",
        "SEARCHBENCH_LOGIN_COOLOFF_MINUTES",
        "SEARCHBENCH_JS_TIME_LIMIT_MS_MAX",
        "SEARCHBENCH_JS_MEMORY_LIMIT_MB_MAX",
    ]
    assert [name for name in security if f"`{name}`" not in text] == []


def test_the_sandbox_limits_are_the_codes() -> None:
    from searchbench.domain.jsbox import DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIME_LIMIT_MS

    stated = {row[0]: row[1] for row in table("sandbox-limits")}
    assert stated == {
        "time per call, default": f"{DEFAULT_TIME_LIMIT_MS} ms",
        "memory per context, default": f"{DEFAULT_MEMORY_LIMIT_MB} MB",
        "highest time an endpoint may set (`SEARCHBENCH_JS_TIME_LIMIT_MS_MAX`)": (
            f"{env.BY_NAME['SEARCHBENCH_JS_TIME_LIMIT_MS_MAX'].default} ms"
        ),
        "highest memory an endpoint may set (`SEARCHBENCH_JS_MEMORY_LIMIT_MB_MAX`)": (
            f"{env.BY_NAME['SEARCHBENCH_JS_MEMORY_LIMIT_MB_MAX'].default} MB"
        ),
    }


def test_the_removed_globals_are_gone() -> None:
    from searchbench.domain.jsbox import run_js

    names = re.findall(r"`(\w+)`", section("removed-globals"))
    assert names
    code = "function f(names) { return names.filter(function (n) { return n in globalThis; }); }"
    assert run_js(code, "f", [names]) == []


def test_the_csp_is_the_one_sent() -> None:
    from searchbench.web.csp import POLICY

    assert section("csp").strip().strip("`") == POLICY


# -- the access table ------------------------------------------------------------------------


def _static_set(world: Any) -> Any:
    from searchbench.cases.models import StaticResultSet

    row, made = StaticResultSet.objects.get_or_create(name="frozen", owner=world.owner)
    if made:
        row.teams.add(world.team)
    return row


def _edits_endpoint(world: Any, user: Any) -> bool:
    client = Client()
    if user.is_authenticated:
        client.force_login(user)
    response = client.get(reverse("cases:endpoint_edit", args=[world.endpoint.pk]))
    return response.status_code == 200 and world.endpoint.username in response.content.decode()


def _stores_static(world: Any, user: Any) -> bool:
    from searchbench.cases import services

    _static_set(world)
    return user.is_authenticated and services.data_name_taken(user, "static", "frozen") is None


def _owns_index(world: Any, user: Any) -> bool:
    from searchbench.indexes import services as indexes
    from searchbench.indexes.models import LocalIndex

    return indexes.own_index(user, LocalIndex.objects.get(name="tiny").pk) is not None


def _sees_jobs(world: Any, user: Any) -> bool:
    from searchbench.jobs import services as jobs

    job = jobs.start_run(world.case)
    return jobs.job_for(user, job.pk) is not None


def _scorer(world: Any) -> Any:
    from searchbench.cases.models import Scorer

    row, made = Scorer.objects.get_or_create(
        name="olive's",
        kind=Scorer.Kind.CUSTOM,
        owner=world.owner,
        scale=[0, 1],
        code="setScore(1);",
    )
    if made:
        row.teams.add(world.team)
    return row


def _edits_scorer(world: Any, user: Any) -> bool:
    client = Client()
    if user.is_authenticated:
        client.force_login(user)
    return client.get(reverse("cases:scorer_edit", args=[_scorer(world).pk])).status_code == 200


def _sees_team(world: Any, user: Any) -> bool:
    from searchbench.accounts import services as teams

    return teams.my_teams(user).filter(pk=world.team.pk).exists()


def _manages_team(world: Any, user: Any) -> bool:
    from searchbench.accounts import services as teams

    try:
        teams.add_member(user, world.team, "newcomer")
    except teams.TeamError:
        return False
    return True


def _changes_book(world: Any, user: Any) -> bool:
    from searchbench.books import services as books
    from searchbench.books.models import Book

    book, made = Book.objects.get_or_create(name="olive's book", owner=world.owner)
    if made:
        book.teams.add(world.team)
    readable = books.readable_books(user).filter(pk=book.pk).exists()
    assert readable == books.can_write(user, book)  # one rule: who sees a book may change it
    return readable


def _judge(world: Any) -> Any:
    from searchbench.books.models import Judge

    judge, made = Judge.objects.get_or_create(
        name="olive's judge",
        owner=world.owner,
        defaults={"base_url": "http://127.0.0.1:9/v1", "model": "m", "prompt_template": "x"},
    )
    if made:
        judge.teams.add(world.team)
    return judge


def _uses_judge(world: Any, user: Any) -> bool:
    from searchbench.books import judges

    return judges.usable_judges(user).filter(pk=_judge(world).pk).exists()


def _edits_judge(world: Any, user: Any) -> bool:
    client = Client()
    if user.is_authenticated:
        client.force_login(user)
    return client.get(reverse("books:judge_edit", args=[_judge(world).pk])).status_code == 200


Check = Callable[[Any, Any], bool]


def _checks() -> dict[str, Check]:
    from searchbench.cases import services

    def public(world: Any, user: Any) -> bool:
        world.case.public = True
        world.case.save()
        return services.readable_cases(user).filter(pk=world.case.pk).exists()

    return {
        "read a case": lambda w, u: services.readable_cases(u).filter(pk=w.case.pk).exists(),
        "read a public case": public,
        "search a public case live through its endpoint": (
            lambda w, u: public(w, u) and services.may_search(u, w.case)
        ),
        "change a case, rate, run, snapshot": lambda w, u: services.can_write(u, w.case),
        "use an endpoint in a try, test it": (
            lambda w, u: services.usable_endpoints(u).filter(pk=w.endpoint.pk).exists()
        ),
        "edit an endpoint, see its basic-auth user": _edits_endpoint,
        "use a static result set (static://NAME)": (
            lambda w, u: _static_set(w) and services.may_use_data(u, "static", "frozen")
        ),
        "store results under a static set's name": _stores_static,
        "use a built-in index (local://NAME), see it listed": (
            lambda w, u: services.may_use_data(u, "local", "tiny")
        ),
        "rebuild or delete a built-in index": _owns_index,
        "see and cancel a case's jobs (runs, snapshots)": _sees_jobs,
        "see and pick a custom scorer": (
            lambda w, u: services.usable_scorers(u).filter(pk=_scorer(w).pk).exists()
        ),
        "edit a custom scorer, choose its teams": _edits_scorer,
        "see a team and its members, leave it": _sees_team,
        "add, remove, promote members of a team, invite": _manages_team,
        "read, judge, fill, change and sync a book": _changes_book,
        "use an LLM judge: see it, test it, judge a book with it": _uses_judge,
        "edit an LLM judge, replace or remove its key": _edits_judge,
    }


PERSONAS = ["owner", "teammate", "outsider", "anonymous"]


@pytest.mark.django_db
@pytest.mark.parametrize("row", range(18))
def test_the_access_table_is_what_the_rules_answer(world: Any, row: int) -> None:
    rows = table("access-table")
    assert len(rows) == 18
    what, *answers = rows[row]
    world.endpoint.teams.add(world.team)
    world.endpoint.username = "svc-user"
    world.endpoint.save()
    get_user_model().objects.create_user("newcomer")
    check = _checks()[what]
    users = {
        "owner": world.owner,
        "teammate": world.teammate,
        "outsider": world.outsider,
        "anonymous": AnonymousUser(),
    }
    actual = ["yes" if check(world, users[p]) else "no" for p in PERSONAS]
    assert actual == answers, f"{what}: the rules answer {actual}"
