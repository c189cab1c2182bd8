"""A run as a person sees it in a real browser: "Run all queries" returns at once, a progress bar
moves while the work is done elsewhere, and the new score appears without a reload.

The worker here is the test itself: tasks stay on the queue (django-q2's sync mode off) and the
test runs the chunks one by one, as `searchbench worker` would, while the page polls."""

from __future__ import annotations

import pytest
from django_q.conf import Conf

from searchbench.testing import browser_page, browser_sign_in, demo

__all__ = ["browser_page", "demo"]  # the fixtures, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_progress_bar_moves_and_the_score_appears(
    live_server, demo, browser_page, settings, monkeypatch
):
    from django.db import connections

    monkeypatch.setattr(Conf, "SYNC", False)
    settings.SEARCHBENCH_JOB_CHUNK_SIZE = 5  # the demo's 20 queries: 4 chunks
    try:
        _run_in_the_browser(live_server.url, demo, browser_page)
    finally:
        connections.close_all()  # see test_rating_flow.py


def _run_in_the_browser(base, demo, page):
    from searchbench.cases.models import ScoreHistory
    from searchbench.jobs import tasks
    from searchbench.jobs.models import Job

    problems: list[str] = []
    page.on(
        "console", lambda msg: problems.append(msg.text) if "Security Policy" in msg.text else None
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}") if "/jobs/" in r.url and not r.ok else None
        ),
    )
    browser_sign_in(page, base, demo.username, demo.password)
    page.goto(f"{base}/cases/{demo.case_id}/")
    runs_before = ScoreHistory.objects.filter(case_id=demo.case_id).count()

    page.click("#run-case")
    page.wait_for_selector("#jobs .job progress")
    assert "waiting for a worker" in page.inner_text("#jobs .job-text")
    job = Job.objects.get(case_id=demo.case_id, status="queued")
    chunks = list(job.chunks.order_by("number"))
    assert len(chunks) == 4

    tasks.run_chunk(chunks[0].pk)
    # (No wait_for_function: the page's CSP forbids the eval it needs.)
    page.wait_for_selector("#jobs .job-text:has-text('5 of 20 queries')")
    assert page.eval_on_selector("#jobs progress", "bar => [bar.value, bar.max]") == [5, 20]
    assert page.get_attribute("#jobs .job", "data-job-status") == "running"

    for chunk in chunks[1:]:
        tasks.run_chunk(chunk.pk)
    page.wait_for_selector("#jobs .job[data-job-status='done']")
    job.refresh_from_db()
    score = f"{job.result['score']:.3f}"
    assert page.inner_text("#jobs .job-text").endswith(f"score {score}")
    # The score parts of the page were fetched again: the new run is there, no reload.
    rows = page.locator("#history tbody tr.history-row")
    for _ in range(100):
        if rows.count() == runs_before + 1:
            break
        page.wait_for_timeout(100)
    assert rows.count() == runs_before + 1
    assert page.inner_text("#case-score .score") == score
    assert page.query_selector("#jobs .job-cancel") is None
    assert problems == []


def test_cancel_from_the_page(live_server, demo, browser_page, monkeypatch):
    from django.db import connections

    monkeypatch.setattr(Conf, "SYNC", False)
    try:
        _cancel_in_the_browser(live_server.url, demo, browser_page)
    finally:
        connections.close_all()


def _cancel_in_the_browser(base, demo, page):
    from searchbench.jobs.models import Job

    browser_sign_in(page, base, demo.username, demo.password)
    page.goto(f"{base}/cases/{demo.case_id}/")
    page.click("#run-case")
    page.click("#jobs .job-cancel button")
    page.wait_for_selector("#jobs .job[data-job-status='cancelled']")
    assert page.inner_text("#jobs .job-text") == "cancelled"
    assert Job.objects.get(case_id=demo.case_id).status == "cancelled"
