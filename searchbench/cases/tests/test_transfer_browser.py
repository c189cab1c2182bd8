"""Import from the web pages in a real browser: a file over the job threshold becomes an import
job whose progress bar (app.js polling /jobs/ID.json, as for runs) ends with what was imported
and a link to the new case; the export box downloads a file. Debian's Chromium with Playwright
against pytest-django's live server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from searchbench.testing import browser_page, browser_sign_in, demo, screenshot

__all__ = ["browser_page", "demo"]  # the fixtures, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_big_import_shows_its_progress_and_the_export_downloads(
    live_server: Any, demo: Any, browser_page: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from django.db import connections

    try:
        _in_the_browser(live_server, demo, browser_page, tmp_path, monkeypatch)
    finally:
        connections.close_all()  # Playwright's thread has its own connection


def _in_the_browser(live_server: Any, demo: Any, page: Any, tmp: Path, monkeypatch: Any) -> None:
    from searchbench.cases import transfer
    from searchbench.cases.models import Case
    from searchbench.jobs import imports
    from searchbench.jobs.models import Job

    monkeypatch.setattr(imports, "INLINE_MAX_BYTES", 10)
    monkeypatch.setattr(imports, "async_task", lambda *a, **k: None)  # the worker: this test
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if m.type == "error" else None)
    browser_sign_in(page, live_server.url, demo.username, demo.password)
    page.click("#import-new-link")
    page.wait_for_selector("#import-form")
    screenshot(page, "import")
    page.select_option("#id_format", "ratings-csv")
    source = tmp / "party.csv"
    source.write_text("query,docid,rating\nsocks,s1,1\nboots,b1,3\n")
    page.set_input_files("#id_file", str(source))
    page.click("#import-form button[type=submit]")
    job = Job.objects.get(kind=Job.Kind.IMPORT)
    box = page.locator(f"#job-{job.pk}")
    box.wait_for()
    assert "waiting for a worker" in box.locator(".job-text").inner_text()
    assert box.get_attribute("data-job-url") == f"/jobs/{job.pk}.json"
    assert imports.run_import(job.pk) == "done"  # app.js's next poll sees it done
    box.locator("a", has_text="open it").wait_for()
    assert "2 ratings added" in box.locator(".job-text").inner_text()
    screenshot(page, "import-job", full_page=True)
    box.locator("a", has_text="open it").first.click()
    made = Case.objects.get(name="party")
    page.wait_for_url(f"**/cases/{made.pk}/")

    page.select_option("#id_export_format", "ratings-csv")
    with page.expect_download() as info:
        page.click("#export-form button[type=submit]")
    download = info.value
    assert download.suggested_filename == f"case-{made.pk}-ratings-csv.csv"
    assert Path(download.path()).read_text() == transfer.export_text("ratings-csv", made)
    assert not [v for v in violations if "Content Security Policy" in v], violations
