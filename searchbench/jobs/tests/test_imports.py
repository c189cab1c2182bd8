"""Import jobs: the file is kept in the database in pieces, a worker imports it all or nothing
(django-q2's sync mode runs the task when the job's transaction commits), the job says what
happened, and only its starter sees a job whose case does not exist yet."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from searchbench.cases.tests.test_transfer import counts
from searchbench.jobs.models import ImportUpload, Job


def start(fmt: str, data: bytes, user: Any, case: Any, capture: Any, name: str = "f") -> Job:
    from searchbench.jobs import imports

    source = io.BytesIO(data)
    source.name = name
    with capture(execute=True):
        job = imports.start_import(fmt, source, user=user, case=case)
    job.refresh_from_db()
    return job


@pytest.mark.django_db
def test_an_import_job_makes_the_case_from_a_file_read_in_pieces(
    quepid_files: Path,
    owner: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from searchbench.jobs import imports

    monkeypatch.setattr(imports, "PIECE", 4096)  # the 36 KB file in 9 pieces
    data = (quepid_files / "ratings-csv" / "haystack_rating_party_basic.csv").read_bytes()
    job = start("ratings-csv", data, owner, "from a job", django_capture_on_commit_callbacks)
    assert len(data) // 4096 + 1 == 9
    assert (job.kind, job.status, job.total, job.done) == ("import", "done", 9, 9)
    assert job.case.name == "from a job"
    assert job.result["ratings_added"] == 1679 and job.result["created_case"]
    assert not ImportUpload.objects.filter(job=job).exists()
    from searchbench.cases import transfer

    assert transfer.export_text("ratings-csv", job.case) == data.decode()


@pytest.mark.django_db
def test_a_refused_file_fails_the_job_with_its_lines_and_stores_nothing(
    client: Any, owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    before = counts()
    job = start(
        "ltr",
        b"3 qid:1 # d1 q\nthree qid:1 # d2 q\n",
        owner,
        None,
        django_capture_on_commit_callbacks,
        "j.txt",
    )
    assert job.status == "failed" and job.case is None
    assert job.result["problems"] == [["line 2", "rating 'three' is not a number"]]
    assert "j.txt: line 2: rating 'three' is not a number" in job.error
    assert counts() == before
    assert not ImportUpload.objects.filter(job=job).exists()
    # Its starter reads the job; someone else gets a 404.
    client.force_login(owner)
    data = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert data["status"] == "failed" and data["text"].startswith("failed: j.txt: line 2")
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_user("oscar", "o@example.com", "pw"))
    assert client.get(reverse("jobs:status", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_a_job_delivered_again_after_its_import_committed_does_nothing(
    quepid_files: Path, owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from searchbench.jobs import imports

    data = (quepid_files / "trec-qrels" / "haystack_rating_party_trec.txt").read_bytes()
    job = start("trec-qrels", data, owner, "q", django_capture_on_commit_callbacks)
    before = counts()
    assert imports.run_import(job.pk) == "nothing to do"
    assert counts() == before


@pytest.mark.django_db
def test_an_import_that_cannot_finish_ends_its_job_and_drops_its_file(
    owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A queued book import whose starter's account is deleted meanwhile raised past the task
    (a new book needs its owner), leaving the job running for ever; a job cancelled while queued
    kept its file until the job itself was deleted."""
    from django.contrib.auth import get_user_model

    from searchbench.books.models import Book
    from searchbench.jobs import imports, services

    source = io.BytesIO(b"query,docid,rater,rating\nq,d,a@x.org,1\n")
    source.name = "j.csv"
    gone = get_user_model().objects.create_user("gone", "g@example.com", "pw")
    job = imports.start_import("judgements-csv", source, user=gone, book="later")
    gone.delete()
    assert imports.run_import(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "server log" in job.error
    assert not ImportUpload.objects.filter(job=job).exists()
    assert not Book.objects.filter(name="later").exists()

    source.seek(0)
    queued = imports.start_import("judgements-csv", source, user=owner, book="later")
    services.cancel(queued)
    assert ImportUpload.objects.filter(job=queued).exists()
    assert imports.run_import(queued.pk) == "nothing to do"
    assert not ImportUpload.objects.filter(job=queued).exists()
