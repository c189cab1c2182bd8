"""Waiting for the background jobs a page shows: a case run or a snapshot is a job that a worker
does; the case page lists the active ones with ``data-job-url`` (their ``/jobs/ID.json``)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.integration.html import Page

FINISHED = {"done", "failed", "cancelled"}


def job_urls(html: str) -> list[str]:
    return [e.attrs["data-job-url"] for e in Page(html).with_attr("data-job-url")]


def wait_for_job(client: httpx.Client, url: str, timeout: float = 120.0) -> dict[str, Any]:
    """Poll ``/jobs/ID.json`` until the job is finished; its last progress."""
    deadline = time.monotonic() + timeout
    while True:
        progress: dict[str, Any] = client.get(url).raise_for_status().json()
        if progress["status"] in FINISHED:
            return progress
        assert time.monotonic() < deadline, f"{url} not finished after {timeout:.0f} s: {progress}"
        time.sleep(0.2)


def wait_for_jobs(
    client: httpx.Client, page_url: str, timeout: float = 120.0
) -> list[dict[str, Any]]:
    """Wait for every job the page lists; each must end done (a failed run names its error)."""
    finished = []
    for url in job_urls(client.get(page_url).raise_for_status().text):
        progress = wait_for_job(client, url, timeout)
        assert progress["status"] == "done", f"job {url} ended {progress['status']}: {progress}"
        finished.append(progress)
    return finished
