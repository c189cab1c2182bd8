"""A built-in engine index made from the UI in a real browser, then an endpoint on it.

Alice opens Indexes, uploads a JSON Lines file, sees its fields and first rows, picks the id and
the fields to search, builds it (the worker is the test: django-q2's sync mode off, so the job
waits and the page's progress bar polls), sees it ready, and saves an endpoint on it from the
index page's link. A file with a bad line is refused with its line; Bob, who is in no team of
Alice's, cannot save an endpoint on her index, and the refusal names the index, not a path.

Element ids the flow uses (stable, for other browser tests): nav ``#nav-indexes``; list
``#indexes``, ``#new-index``; upload ``#index-upload-form`` (``#id_name``, ``#id_file``,
``#id_teams_N``), ``#index-upload-submit``; fields ``#index-preview``, ``#index-fields-form``
(``#id_id_field``, ``input[name=fields]``, ``#id_analyzer``), ``#index-build-submit``; index
page ``#index-status``, ``#index-docs``, ``#index-build .job[data-job-status]``,
``#index-new-endpoint``, ``#index-delete``. Screenshots: ``index-*.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django_q.conf import Conf

from searchbench.testing import browser_page, browser_sign_in, screenshot
from tests.browser import axe

__all__ = ["browser_page"]  # the fixture, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long enough password"


def test_an_index_from_the_ui_and_an_endpoint_on_it(
    live_server, browser_page, tmp_path: Path, monkeypatch
):
    from django.contrib.auth import get_user_model
    from django.db import connections

    from searchbench.demo import corpus

    monkeypatch.setenv("SEARCHBENCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(Conf, "SYNC", False)  # the build waits for the test's worker step
    for name in ("alice", "bob"):
        get_user_model().objects.create_user(name, f"{name}@example.org", PASSWORD)
    source = corpus.write_jsonl(tmp_path / "gear.jsonl", corpus.generate(size=300))
    bad = tmp_path / "broken.jsonl"
    bad.write_text(source.read_text().splitlines()[0] + "\n{not json\n")
    try:
        problems = _flow(live_server.url, browser_page, source, bad)
    finally:
        connections.close_all()  # see test_rating_flow.py
    assert problems == [], "\n".join(problems)


def _flow(base: str, page, source: Path, bad: Path) -> list[str]:
    from searchbench.indexes import tasks
    from searchbench.jobs.models import Job

    problems: list[str] = []
    page.on(
        "console", lambda msg: problems.append(msg.text) if "Security Policy" in msg.text else None
    )

    def screen(name: str) -> None:
        screenshot(page, f"index-{name}", full_page=True)
        failing, _others = axe.findings(page, f"index-{name}")
        problems.extend(failing)

    browser_sign_in(page, base, "alice", PASSWORD)
    page.click("#nav-indexes")
    page.wait_for_selector("#indexes")
    assert "No indexes yet." in page.inner_text("#indexes")
    page.click("#new-index")

    # A file with a bad line: refused at once, with the line, and nothing kept.
    page.fill("#id_name", "gear")
    page.set_input_files("#id_file", str(bad))
    page.click("#index-upload-submit")
    error = page.inner_text("#index-upload-form ul.errorlist")
    assert "broken.jsonl:2: not valid JSON" in error
    screen("upload-refused")

    page.fill("#id_name", "gear")
    page.set_input_files("#id_file", str(source))
    screen("upload")
    page.click("#index-upload-submit")

    page.wait_for_selector("#index-preview")
    headers = page.locator("#index-preview th").all_inner_texts()
    assert {"id", "title", "description", "brand"} <= set(headers)
    assert page.locator("#index-preview tbody tr").count() == 5
    page.select_option("#id_id_field", "id")
    for field in page.locator("#index-fields-form input[name=fields]").all():
        wanted = field.get_attribute("value") in ("title", "description", "brand")
        if field.is_checked() != wanted:
            field.click()
    screen("fields")
    page.click("#index-build-submit")

    page.wait_for_selector("#index-build .job progress")
    assert "waiting for a worker" in page.inner_text("#index-build .job-text")
    screen("queued")
    job = Job.objects.get(kind=Job.Kind.INDEX, params__staged=False)
    assert tasks.run_build(job.pk) == "done"
    page.wait_for_selector("#index-build .job[data-job-status='done']")
    page.wait_for_selector("#index-status:has-text('ready')")  # swapped in without a reload
    assert page.inner_text("#index-docs") == "300"
    assert page.eval_on_selector("#index-build progress", "bar => bar.value === bar.max")
    screen("ready")

    page.click("#nav-indexes")
    row = page.locator("#indexes tr.index-row", has_text="gear")
    assert "300" in row.inner_text() and "ready" in row.inner_text()
    screen("list")

    # An endpoint on it, from the index page's link (the form comes filled in).
    row.locator("a").first.click()
    page.click("#index-new-endpoint")
    page.wait_for_selector("#endpoint-form")
    assert page.input_value("#id_url") == "local://gear"
    assert page.input_value("#id_kind") == "local"
    page.fill("#id_name", "Gear on the built-in engine")
    screen("endpoint")
    page.click("#endpoint-form button[type=submit]")
    page.wait_for_selector("#endpoints")
    assert "Gear on the built-in engine" in page.inner_text("#endpoints")

    # Bob may not use Alice's index: refused at save, naming the index only.
    page.click("header.topbar form.logout button[type=submit]")
    page.wait_for_load_state()
    browser_sign_in(page, base, "bob", PASSWORD)
    page.goto(base + "/endpoints/new?kind=local&url=local://gear&name=mine")
    page.click("#endpoint-form button[type=submit]")
    refusal = page.inner_text("#endpoint-form ul.errorlist")
    assert "no built-in index named 'gear' that you may use (yours: none)" in refusal
    assert "/" not in refusal.replace("local://", "")
    screen("endpoint-refused")
    return problems
