"""Import and export from the web pages: the same files as cases/transfer.py (the API's and the
CLI's service), all or nothing, big files as a job, and who may do which."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from searchbench.cases import services, transfer
from searchbench.cases.models import Case, Query, Rating
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for
from searchbench.domain.formats.registry import FORMATS
from searchbench.jobs import imports
from searchbench.jobs.models import ImportUpload, Job

pytestmark = pytest.mark.django_db


def upload(content: bytes, name: str = "ratings.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def counts() -> tuple[int, int, int]:
    return Case.objects.count(), Query.objects.count(), Rating.objects.count()


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_export_downloads_what_the_service_writes(world, fmt) -> None:
    services.take_snapshot(world.case, "before", user=world.owner)  # for trec-run
    url = reverse("cases:export", args=[world.case.pk])
    response = client_for(world.owner).get(url, {"format": fmt})
    assert response.status_code == 200
    assert response.content.decode() == transfer.export_text(fmt, world.case)
    found = FORMATS[fmt]
    assert response["Content-Type"] == f"{found.media_type}; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="case-{world.case.pk}-{fmt}{found.suffix}"'
    )


def test_a_case_a_format_cannot_hold_is_not_exported_and_says_why(world) -> None:
    url = reverse("cases:export", args=[world.case.pk])
    response = client_for(world.owner).get(url, {"format": "trec-run"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:detail", args=[world.case.pk])
    assert "Not exported" in " ".join(str(m) for m in response.context["messages"])
    assert client_for(world.owner).get(url, {"format": "nope"}).status_code == 404


def test_the_case_page_offers_every_format_to_export(world) -> None:
    page = parse(client_for(world.owner).get(reverse("cases:detail", args=[world.case.pk])).content)
    options = [o.attrs["value"] for o in page.select("#id_export_format option")]
    assert options == list(FORMATS)
    assert page.select("#import-link")


def test_the_import_pages_offer_the_formats_that_import(world) -> None:
    client = client_for(world.owner)
    into = parse(client.get(reverse("cases:import", args=[world.case.pk])).content)
    new = parse(client.get(reverse("cases:import_new")).content)
    readable = [f.name for f in FORMATS.values() if f.read is not None]
    parts = [f for f in readable if not FORMATS[f].whole_case]
    assert [o.attrs["value"] for o in new.select("#id_format option")] == readable
    assert [o.attrs["value"] for o in into.select("#id_format option")] == parts
    assert [d.text for d in into.select("#import-formats dt")] == parts
    assert "5.0 MB" in into.one("#import-form").text


def test_a_small_ratings_csv_is_imported_at_once(world) -> None:
    url = reverse("cases:import", args=[world.case.pk])
    file = upload(b"query,docid,rating\nred boots,b3,0\nsocks,s1,1\nsocks,b1,0\n")
    response = client_for(world.owner).post(
        url, {"format": "ratings-csv", "file": file}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("cases:detail", args=[world.case.pk])
    text = " ".join(str(m) for m in response.context["messages"])
    assert "1 queries added" in text and "3 ratings added" in text
    assert world.case.queries.filter(text="socks").exists()
    assert Rating.objects.filter(query__case=world.case, doc_id="s1").exists()


def test_a_new_case_is_imported_from_the_case_list(world) -> None:
    exported = transfer.export_text("ratings-csv", world.case).encode()
    response = client_for(world.owner).post(
        reverse("cases:import_new"),
        {"format": "ratings-csv", "file": upload(exported), "name": "Copy"},
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    copy = Case.objects.get(name="Copy")
    assert response.status_code == 302 and response["Location"] == reverse(
        "cases:detail", args=[copy.pk]
    )
    assert copy.owner == world.owner
    assert transfer.export_text("ratings-csv", copy) == transfer.export_text(
        "ratings-csv", world.case
    )


def test_a_malformed_file_names_every_problem_and_imports_nothing(world) -> None:
    before = counts()
    bad = b"query,docid,rating\nsocks,s1,1\nsocks,s2,lots\nsocks\nboots,b1,-\n"
    response = client_for(world.owner).post(
        reverse("cases:import", args=[world.case.pk]),
        {"format": "ratings-csv", "file": upload(bad)},
    )
    assert response.status_code == 200
    problems = parse(response.content).one("#import-problems").text
    assert "line 3" in problems and "line 4" in problems and "line 5" in problems
    assert "Nothing was imported" in problems
    assert counts() == before


def test_outsiders_get_404_and_readers_of_a_public_case_export_but_not_import(world) -> None:
    export = reverse("cases:export", args=[world.case.pk])
    into = reverse("cases:import", args=[world.case.pk])
    outsider = client_for(world.outsider)
    assert outsider.get(export).status_code == 404
    assert outsider.get(into).status_code == 404
    assert (
        outsider.post(into, {"format": "ratings-csv", "file": upload(b"q,d,1\n")}).status_code
        == 404
    )
    world.case.public = True
    world.case.save()
    assert outsider.get(export, {"format": "ratings-csv"}).status_code == 200
    before = counts()
    refused = outsider.post(into, {"format": "ratings-csv", "file": upload(b"socks,s1,1\n")})
    assert refused.status_code == 403
    assert outsider.get(into).status_code == 403
    assert counts() == before


def test_a_file_over_the_threshold_becomes_a_job_shown_on_the_case_page(world, monkeypatch) -> None:
    monkeypatch.setattr(imports, "INLINE_MAX_BYTES", 10)
    before = counts()
    client = client_for(world.owner)
    response = client.post(
        reverse("cases:import", args=[world.case.pk]),
        {"format": "ratings-csv", "file": upload(b"query,docid,rating\nsocks,s1,1\n")},
        follow=True,
    )
    job = Job.objects.get(kind=Job.Kind.IMPORT)
    assert job.case == world.case and job.created_by == world.owner
    assert ImportUpload.objects.filter(job=job).exists()
    assert counts() == before  # not yet: a worker imports it
    page = parse(response.content)
    assert page.one(f"#job-{job.pk}").attrs["data-job-url"] == reverse("jobs:status", args=[job.pk])
    assert "Import of ratings.csv" in page.one(f"#job-{job.pk}").text
    assert imports.run_import(job.pk) == "done"
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert status["status"] == "done" and "1 ratings added" in status["text"]
    assert status["result_url"] == reverse("cases:detail", args=[world.case.pk])


def test_a_big_new_case_import_shows_its_job_to_its_starter_only(world, monkeypatch) -> None:
    monkeypatch.setattr(imports, "INLINE_MAX_BYTES", 10)
    response = client_for(world.owner).post(
        reverse("cases:import_new"),
        {"format": "ratings-csv", "file": upload(b"query,docid,rating\nsocks,s1,1\n"), "name": ""},
    )
    job = Job.objects.get(kind=Job.Kind.IMPORT)
    assert response["Location"] == f"{reverse('cases:import_new')}?job={job.pk}"
    page = parse(client_for(world.owner).get(response["Location"]).content)
    assert "waiting for a worker" in page.one(f"#job-{job.pk}").text
    assert not parse(client_for(world.outsider).get(response["Location"]).content).select(
        f"#job-{job.pk}"
    )
    assert imports.run_import(job.pk) == "done"
    made = Case.objects.get(pk=Job.objects.get(pk=job.pk).case_id)
    assert made.name == "ratings" and made.owner == world.owner  # named after the file
    box = parse(client_for(world.owner).get(response["Location"]).content).one(f"#job-{job.pk}")
    assert "data-job-url" not in box.attrs  # ended: nothing to poll
    assert box.one("#job-case-link").attrs["href"] == reverse("cases:detail", args=[made.pk])


@pytest.mark.parametrize(
    "content", [b"query,docid,rating\nsocks,s1\x00,1\n", b"query,docid,rating\nsocks,\xff\xfe,1\n"]
)
def test_a_file_that_is_not_text_is_refused_with_its_line(world, content) -> None:
    before = counts()
    response = client_for(world.owner).post(
        reverse("cases:import", args=[world.case.pk]),
        {"format": "ratings-csv", "file": upload(content)},
    )
    assert response.status_code == 200
    assert "line 2" in parse(response.content).one("#import-problems").text
    assert counts() == before
