"""An LLM judge in a real browser: add one (the key typed once, never shown back), test it with
the sample pair, and judge a book with it from the book's page while the progress bar moves.

The model is the stand-in chat-completions server (searchbench/books/tests/llmserver.py; no
small model can be installed here). The worker is the test itself: the task stays on the queue
(django-q2's sync mode off) and the test runs it, as `searchbench worker` would, while the page
polls. Leaves screenshots llm-judge-form.png, llm-judge.png and llm-book.png."""

from __future__ import annotations

import pytest
from django_q.conf import Conf

from searchbench.books.tests.llmserver import API_KEY, chat_server
from searchbench.testing import browser_page, browser_sign_in, demo, screenshot

__all__ = ["browser_page", "demo"]  # the fixtures, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_test_and_judge_a_book_with_an_llm_judge(live_server, demo, browser_page, monkeypatch):
    from django.db import connections

    monkeypatch.setattr(Conf, "SYNC", False)
    try:
        with chat_server() as server:
            _in_the_browser(live_server.url, demo, browser_page, server)
    finally:
        connections.close_all()  # see test_rating_flow.py


def _in_the_browser(base, demo, page, server):
    from django.contrib.auth import get_user_model

    from searchbench.books import judges
    from searchbench.books.models import Book, Judge, Judgement, Pair
    from searchbench.jobs.models import Job

    problems: list[str] = []
    page.on(
        "console", lambda msg: problems.append(msg.text) if "Security Policy" in msg.text else None
    )
    user = get_user_model().objects.get(username=demo.username)
    book = Book.objects.create(
        name="Shoes", owner=user, scale=[0, 1, 2, 3], labels={"0": "Poor", "3": "Perfect"}
    )
    Pair.objects.bulk_create(
        Pair(
            book=book,
            query_text=f"shoes {n}",
            doc_id=f"d{n}",
            doc_fields={"title": f"grade:{n % 4}"},
        )
        for n in range(12)
    )
    browser_sign_in(page, base, demo.username, demo.password)

    page.goto(f"{base}/books/judges/new")
    page.fill("#id_name", "stand-in")
    page.fill("#id_base_url", server.base_url)
    page.fill("#id_model", "tiny-1")
    page.fill("#id_api_key", API_KEY)
    page.fill("#id_concurrency", "3")
    screenshot(page, "llm-judge-form")  # (a full-page shot here leaves the click dead)
    page.click("#judge-form button[type=submit]")
    page.wait_for_selector("#judge-test")
    judge = Judge.objects.get(name="stand-in")
    assert judge.get_api_key() == API_KEY and API_KEY not in page.content()

    page.click("#judge-test button")
    page.wait_for_selector(".messages >> text=answered the sample pair with judgment 1")
    screenshot(page, "llm-judge", full_page=True)
    page.goto(f"{base}/books/judges/{judge.pk}/edit")
    assert page.get_attribute("#id_api_key", "value") in (None, "")
    assert API_KEY not in page.content()

    page.goto(f"{base}/books/{book.pk}/")
    page.click("#llm-judging")
    page.select_option("#id_judge", str(judge.pk))
    page.fill("#id_max_pairs", "10")
    page.click("#judge-book-form button[type=submit]")
    page.wait_for_selector("#jobs .job progress")
    assert "waiting for a worker" in page.inner_text("#jobs .job-text")
    job = Job.objects.get(kind=Job.Kind.JUDGE)

    assert judges.run_judging(job.pk) == "done"
    page.wait_for_selector("#jobs .job[data-job-status='done']")
    line = page.inner_text("#jobs .job-text")
    assert line.startswith("10 of 10 pairs") and "stopped: the budget of 10 pairs" in line
    assert Judgement.objects.filter(judge=judge).count() == 10
    screenshot(page, "llm-book", full_page=True)
    assert problems == []
