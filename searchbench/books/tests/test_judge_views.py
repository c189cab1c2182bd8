"""The LLM judges' pages: the key never shown back, owner-only edits, the test button, and
judging a book from its page with a progress bar (django-q2's sync mode runs the job at once)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from searchbench.books import judges
from searchbench.books.models import Judge, Judgement
from searchbench.books.tests.llmserver import API_KEY, ChatServer, chat_server
from searchbench.cases.tests.htmlquery import parse as parse_html
from searchbench.jobs.models import Job

pytestmark = pytest.mark.django_db


def parse(response: Any) -> Any:
    return parse_html(response.content.decode())


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with chat_server() as chat:
        yield chat


def form_data(server: ChatServer, **kw: Any) -> dict[str, Any]:
    return {
        "name": "tiny",
        "base_url": server.base_url + "/",
        "model": "tiny-1",
        "api_key": API_KEY,
        "prompt_template": "{{query}} / {{doc}} / {{scale}}",
        "temperature": "0",
        "timeout": "5",
        "concurrency": "2",
        "requests_per_minute": "",
        **kw,
    }


def test_a_judge_is_made_with_its_key_encrypted_and_never_shown_back(world, server) -> None:
    client = client_for(world.owner)
    page = client.get(reverse("books:judge_new"))
    assert page.status_code == 200
    assert "{{information_need}}" in parse(page).one("#id_prompt_template").text  # the default
    response = client.post(reverse("books:judge_new"), form_data(server))
    judge = Judge.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "books:judge_detail", args=[judge.pk]
    )
    assert judge.base_url == server.base_url and judge.get_api_key() == API_KEY
    assert API_KEY not in judge.api_key_encrypted
    for url in (
        reverse("books:judges"),
        reverse("books:judge_detail", args=[judge.pk]),
        reverse("books:judge_edit", args=[judge.pk]),
    ):
        body = client.get(url).content.decode()
        assert API_KEY not in body and judge.api_key_encrypted not in body
    edit = parse(client.get(reverse("books:judge_edit", args=[judge.pk])))
    assert edit.one("#id_api_key").attrs.get("value") in (None, "")
    assert edit.one("#key-stored")
    # Saving without a key keeps it; the box removes it.
    client.post(reverse("books:judge_edit", args=[judge.pk]), form_data(server, api_key=""))
    judge.refresh_from_db()
    assert judge.get_api_key() == API_KEY
    client.post(
        reverse("books:judge_edit", args=[judge.pk]),
        form_data(server, api_key="", clear_api_key="on"),
    )
    judge.refresh_from_db()
    assert judge.get_api_key() is None


def test_a_bad_template_or_url_is_refused_naming_the_problem(world, server, monkeypatch) -> None:
    client = client_for(world.owner)
    page = parse(
        client.post(reverse("books:judge_new"), form_data(server, prompt_template="{{quary}}"))
    )
    assert "unknown placeholder {{quary}}" in page.text
    monkeypatch.setenv("SEARCHBENCH_ALLOW_PRIVATE_URLS", "0")
    page = parse(client.post(reverse("books:judge_new"), form_data(server)))
    assert "loopback/private" in page.text
    page = parse(
        client.post(
            reverse("books:judge_new"),
            form_data(server, base_url="http://user:secret@example.com/v1"),
        )
    )
    assert "do not put credentials in the URL" in page.text and "secret" not in page.text
    assert not Judge.objects.exists()


def make_judge(world: Any, server: ChatServer) -> Judge:
    judge = Judge(
        name="tiny",
        owner=world.owner,
        base_url=server.base_url,
        model="tiny-1",
        timeout=5,
        prompt_template="{{query}} {{doc}}",
    )
    judge.set_api_key(API_KEY)
    judge.save()
    judge.teams.add(world.team)
    return judge


def test_the_test_button_sends_one_sample_prompt_and_says_what_came_back(world, server) -> None:
    judge = make_judge(world, server)
    response = client_for(world.teammate).post(
        reverse("books:judge_test", args=[judge.pk]), follow=True
    )
    text = parse(response).text
    assert "tiny answered the sample pair with judgment 1" in text and "tokens" in text
    [call] = server.calls
    assert "waterproof hiking boots" in call.json()["messages"][0]["content"]
    judge.set_api_key("sk-wrong")
    judge.save()
    text = parse(
        client_for(world.owner).post(reverse("books:judge_test", args=[judge.pk]), follow=True)
    ).text
    assert "HTTP 401" in text and "Incorrect API key provided." in text and "sk-wrong" not in text


def test_a_teammate_uses_a_judge_but_only_its_owner_edits_it(world, server) -> None:
    judge = make_judge(world, server)
    mate, outsider = client_for(world.teammate), client_for(world.outsider)
    assert mate.get(reverse("books:judge_detail", args=[judge.pk])).status_code == 200
    assert mate.get(reverse("books:judge_edit", args=[judge.pk])).status_code == 404
    assert outsider.get(reverse("books:judge_detail", args=[judge.pk])).status_code == 404
    assert outsider.post(reverse("books:judge_test", args=[judge.pk])).status_code == 404
    listed = parse(outsider.get(reverse("books:judges"))).select(".judge-row")
    assert listed == []


def test_judging_a_book_from_its_page_runs_the_job_and_shows_its_progress(
    world, server, book
) -> None:
    judge = make_judge(world, server)
    client = client_for(world.teammate)
    page = parse(client.get(reverse("books:llm", args=[book.pk])))
    assert page.one("#judge-book-form")
    response = client.post(
        reverse("books:llm", args=[book.pk]),
        {"judge": judge.pk, "max_pairs": "3", "max_tokens": ""},
    )
    assert response.status_code == 302
    job = Job.objects.get(kind=Job.Kind.JUDGE)
    assert (job.status, job.done, job.total) == ("done", 3, 3)
    assert Judgement.objects.filter(judge=judge).count() == 3
    page = parse(client.get(reverse("books:llm", args=[book.pk])))
    line = page.one(f"#job-{job.pk} .job-text").text
    assert line.startswith("3 of 3 pairs") and "stopped: the budget of 3 pairs was reached" in line
    # The progress and cancel of the jobs app work for the book's judging job.
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert status["kind"] == "judge" and status["done"] == 3
    assert client_for(world.outsider).get(reverse("jobs:status", args=[job.pk])).status_code == 404
    # An outsider cannot start one on the book.
    assert (
        client_for(world.outsider)
        .post(reverse("books:llm", args=[book.pk]), {"judge": judge.pk})
        .status_code
        == 404
    )


def test_a_judge_the_user_may_not_use_cannot_be_chosen(world, server, book) -> None:
    judge = make_judge(world, server)
    judge.teams.clear()
    response = client_for(world.teammate).post(
        reverse("books:llm", args=[book.pk]), {"judge": judge.pk}
    )
    assert response.status_code == 200 and not Job.objects.exists()
    assert "no-judges" in response.content.decode()


def test_cancelling_a_judging_job_from_the_page_goes_back_to_it(world, server, book, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    judge = make_judge(world, server)
    job = judges.start_judging(book, judge, user=world.owner)
    response = client_for(world.owner).post(reverse("jobs:cancel", args=[job.pk]))
    assert response["Location"] == reverse("books:llm", args=[book.pk])
    job.refresh_from_db()
    assert job.status == "cancelled"
