"""Built-in indexes from the web: upload JSONL or CSV, pick the fields, build as a job (the test
settings run tasks at once), see it listed and use it from an endpoint; refusals name the line
and leave nothing behind.

Personas (cases' conftest): olive (owner), tom (olive's teammate), oscar (an outsider).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for
from searchbench.engines.local import index as engine
from searchbench.indexes.models import LocalIndex
from searchbench.jobs.models import ImportUpload, Job

pytestmark = pytest.mark.django_db

PRODUCTS = [
    {"sku": "p1", "name": "red running shoe", "text": "a light shoe for running", "price": 30},
    {"sku": "p2", "name": "blue rain jacket", "text": "keeps you dry in the rain", "price": 80},
    {"sku": "p3", "name": "trail running shoe", "text": "grip on muddy trails", "price": 95},
]
JSONL = "".join(json.dumps(d) + "\n" for d in PRODUCTS)
CSV = "sku,name,text\np1,red running shoe,a light shoe\np2,blue rain jacket,keeps you dry\n"


def upload(client, name: str, text: str, filename: str = "products.jsonl", **extra):
    data = {"name": name, "file": SimpleUploadedFile(filename, text.encode()), **extra}
    return client.post(reverse("indexes:new"), data)


@pytest.fixture
def build(django_capture_on_commit_callbacks):
    """Step 2 posted; the build job it queues runs at once (the test settings' sync worker)."""

    def post(client, index_id: int, id_field: str = "sku", fields=("name", "text")):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("indexes:fields", args=[index_id]),
                {"id_field": id_field, "fields": list(fields), "analyzer": "en_stem"},
            )

    return post


def errors(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [li.text for li in parse(response.content).select("ul.errorlist li")]


def test_it_builds_an_index_from_jsonl_in_two_steps(build, world, data_dir: Path) -> None:
    client = client_for(world.owner)
    response = upload(client, "shop", JSONL, teams=[world.team.pk])
    row = LocalIndex.objects.get(name="shop")
    assert response.status_code == 302
    assert response["Location"] == reverse("indexes:fields", args=[row.pk])
    assert row.owner == world.owner and list(row.teams.all()) == [world.team]

    page = parse(client.get(response["Location"]).content)
    assert [th.text for th in page.select("#index-preview th")] == ["sku", "name", "text", "price"]
    assert len(page.select("#index-preview tbody tr")) == 3
    # the first choice offered: an id-like field, and the fields holding text
    assert page.one("#id_id_field option[selected]").attrs["value"] == "sku"
    checked = [i.attrs["value"] for i in page.select("#index-fields-form input[checked]")]
    assert checked == ["name", "text"]

    response = build(client, row.pk)
    assert response.status_code == 302
    assert response["Location"] == reverse("indexes:detail", args=[row.pk])
    job = Job.objects.get(kind=Job.Kind.INDEX)
    assert job.status == Job.Status.DONE, job.error
    assert job.result["docs"] == 3 and job.done == job.total == len(JSONL.encode())
    assert not ImportUpload.objects.filter(job=job).exists()  # the upload went with the build
    info = engine.read_info("shop")
    assert info is not None and info.doc_count == 3 and info.fields == ["name", "text"]
    assert info.source == "products.jsonl"  # the file's own name, not where the server kept it

    detail = parse(client.get(response["Location"]).content)
    assert detail.one("#index-status").text == "ready"
    assert detail.one("#index-docs").text == "3"
    assert (
        detail.one("#index-build .job-text").text
        == "3 docs indexed in " + str(job.result["seconds"]) + " s"
    )
    listing = parse(client.get(reverse("indexes:list")).content)
    row_html = listing.one(f"#index-{row.pk}")
    assert [td.text for td in row_html.select("td")][1:3] == ["3", "name, text (id: sku)"]


def test_it_builds_from_csv(build, world, data_dir: Path) -> None:
    client = client_for(world.owner)
    assert upload(client, "shop-csv", CSV, "products.csv").status_code == 302
    row = LocalIndex.objects.get(name="shop-csv")
    assert build(client, row.pk).status_code == 302
    info = engine.read_info("shop-csv")
    assert info is not None and info.doc_count == 2 and info.id_field == "sku"


def test_the_job_progress_is_the_files_bytes(build, world, data_dir: Path) -> None:
    client = client_for(world.owner)
    upload(client, "shop", JSONL)
    row = LocalIndex.objects.get(name="shop")
    build(client, row.pk)
    job = Job.objects.get(kind=Job.Kind.INDEX)
    data = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert data["kind"] == "index" and data["status"] == "done" and data["percent"] == 100.0
    assert data["result_url"] == reverse("indexes:detail", args=[row.pk])
    # only the one who started it sees a build's progress
    assert client_for(world.outsider).get(reverse("jobs:status", args=[job.pk])).status_code == 404


def test_a_bad_line_in_the_first_rows_is_refused_at_upload_with_its_line(world, data_dir):
    client = client_for(world.owner)
    bad = JSONL + '{"sku": "p4", "name": oops}\n'
    response = upload(client, "shop", bad, "shop.jsonl")
    assert any(e.startswith("shop.jsonl:4: not valid JSON") for e in errors(response))
    assert not LocalIndex.objects.filter(name="shop").exists() and not Job.objects.exists()
    assert not ImportUpload.objects.exists()


def test_a_bad_line_later_fails_the_build_with_its_line_and_builds_nothing(build, world, data_dir):
    client = client_for(world.owner)
    rows = [{"sku": f"p{i}", "name": f"product {i}"} for i in range(60)]
    rows[55] = {"name": "no id here"}
    upload(client, "shop", "".join(json.dumps(r) + "\n" for r in rows), "big.jsonl")
    row = LocalIndex.objects.get(name="shop")
    build(client, row.pk, fields=["name"])
    job = Job.objects.get(kind=Job.Kind.INDEX)
    assert job.status == Job.Status.FAILED
    assert job.error == "big.jsonl:56: missing id field 'sku'"
    assert engine.read_info("shop") is None
    versions = engine.indexes_dir() / ".versions"
    assert not list(versions.glob("shop-*"))  # no half-built version left
    detail = parse(client.get(reverse("indexes:detail", args=[row.pk])).content)
    assert detail.one("#index-status").text == "failed"
    assert "big.jsonl:56: missing id field" in detail.one("#index-build .job-text").text
    assert str(data_dir) not in client.get(reverse("indexes:detail", args=[row.pk])).text


def test_a_bad_csv_row_names_its_line(world, data_dir):
    client = client_for(world.owner)
    response = upload(client, "shop", CSV + "p3,too,many,cells\n", "p.csv")
    assert "p.csv:4: 4 columns, but the header has 3" in errors(response)


def test_the_upload_limit_is_the_setting(world, data_dir, settings):
    settings.SEARCHBENCH_INDEX_UPLOAD_MAX_MB = 1
    client = client_for(world.owner)
    big = JSONL * (1024 * 1024 // len(JSONL) + 1)
    response = upload(client, "shop", big, "big.jsonl")
    assert "big.jsonl: bigger than the limit of 1 MB" in errors(response)
    assert not LocalIndex.objects.filter(name="shop").exists()
    assert not ImportUpload.objects.exists()


def test_names_are_one_namespace(world, data_dir):
    upload(client_for(world.owner), "shop", JSONL)
    response = upload(client_for(world.outsider), "shop", JSONL)
    assert "local://shop is taken; choose another name" in errors(response)
    # an index the operator made with the CLI (no row) is taken too; its name is not a path
    response = upload(client_for(world.outsider), "tiny", JSONL)
    assert "local://tiny is taken; choose another name" in errors(response)
    assert errors(upload(client_for(world.owner), "../up", JSONL))[0].startswith(
        "bad index name '../up'"
    )


def test_an_outsider_neither_sees_nor_uses_anothers_index(build, world, data_dir):
    owner = client_for(world.owner)
    upload(owner, "shop", JSONL)
    row = LocalIndex.objects.get(name="shop")
    build(owner, row.pk)
    outsider = client_for(world.outsider)
    assert "shop" not in outsider.get(reverse("indexes:list")).text
    for name in ("indexes:detail", "indexes:fields"):
        assert outsider.get(reverse(name, args=[row.pk])).status_code == 404
    assert outsider.post(reverse("indexes:delete", args=[row.pk])).status_code == 404
    # the teammate sees it once it is shared, but may not rebuild or delete it
    assert "shop" not in client_for(world.teammate).get(reverse("indexes:list")).text
    row.teams.add(world.team)
    teammate = client_for(world.teammate)
    assert "shop" in teammate.get(reverse("indexes:list")).text
    assert teammate.get(reverse("indexes:detail", args=[row.pk])).status_code == 200
    assert teammate.post(reverse("indexes:delete", args=[row.pk])).status_code == 404


def test_delete_is_refused_while_endpoints_use_it(build, world, data_dir):
    from searchbench.cases.models import SearchEndpoint

    client = client_for(world.owner)
    upload(client, "shop", JSONL)
    row = LocalIndex.objects.get(name="shop")
    build(client, row.pk)
    endpoint = SearchEndpoint.objects.create(
        name="shop", kind="local", url="local://shop", owner=world.owner
    )
    response = client.post(reverse("indexes:delete", args=[row.pk]), follow=True)
    assert "1 endpoint uses local://shop" in response.text
    assert LocalIndex.objects.filter(pk=row.pk).exists() and engine.index_exists("shop")
    endpoint.delete()
    client.post(reverse("indexes:delete", args=[row.pk]))
    assert not LocalIndex.objects.filter(pk=row.pk).exists()
    assert not engine.index_exists("shop")


def test_a_server_fault_fails_the_build_without_naming_a_path(
    build, world, data_dir, monkeypatch
) -> None:
    from searchbench.indexes import tasks

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device", str(data_dir / "indexes" / ".versions"))

    monkeypatch.setattr(tasks.engine, "create_index", full_disk)
    client = client_for(world.owner)
    upload(client, "shop", JSONL)
    row = LocalIndex.objects.get(name="shop")
    build(client, row.pk)
    job = Job.objects.get(kind=Job.Kind.INDEX)
    assert job.status == Job.Status.FAILED
    assert job.error == "the build failed on the server; the server log has the details"
    assert not ImportUpload.objects.filter(job=job).exists()
    page = client.get(reverse("indexes:detail", args=[row.pk])).text
    assert str(data_dir) not in page and "the server log has the details" in page


def test_the_owner_rebuilds_from_a_new_file(build, world, data_dir) -> None:
    client = client_for(world.owner)
    upload(client, "shop", JSONL)
    row = LocalIndex.objects.get(name="shop")
    build(client, row.pk)
    assert client.get(reverse("indexes:new") + "?name=shop").status_code == 200
    more = JSONL + json.dumps({"sku": "p4", "name": "wool socks", "text": "warm"}) + "\n"
    assert upload(client, "shop", more).status_code == 302
    assert engine.read_info("shop").doc_count == 3  # the old index serves until the new is built
    build(client, row.pk)
    assert engine.read_info("shop").doc_count == 4
    assert LocalIndex.objects.filter(name="shop").count() == 1


def test_an_upload_left_waiting_is_dropped(world, data_dir) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from searchbench.jobs import retention

    client = client_for(world.owner)
    upload(client, "shop", JSONL)
    first = Job.objects.get(kind=Job.Kind.INDEX)
    upload(client, "shop", JSONL)  # a second upload replaces the first
    first.refresh_from_db()
    assert first.status == Job.Status.CANCELLED
    assert not ImportUpload.objects.filter(job=first).exists()
    second = Job.objects.exclude(pk=first.pk).get(kind=Job.Kind.INDEX)
    assert retention.prune(timezone.now())["index_uploads"] == 0  # not a day old yet
    later = timezone.now() + timedelta(days=1, minutes=1)
    assert retention.prune(later)["index_uploads"] == 1
    second.refresh_from_db()
    assert second.status == Job.Status.CANCELLED and not ImportUpload.objects.exists()
    # the index's page then offers no fields step: upload again
    response = client.get(reverse("indexes:fields", args=[second.params["index_id"]]))
    assert response.status_code == 302


def test_a_queued_build_is_cancelled_from_its_page(world, data_dir) -> None:
    from searchbench.indexes import tasks

    client = client_for(world.owner)
    upload(client, "shop", JSONL)
    row = LocalIndex.objects.get(name="shop")
    # the task is queued on commit, which a test's transaction never reaches: it waits
    client.post(
        reverse("indexes:fields", args=[row.pk]),
        {"id_field": "sku", "fields": ["name"], "analyzer": "en_stem"},
    )
    job = Job.objects.get(kind=Job.Kind.INDEX)
    page = parse(client.get(reverse("indexes:detail", args=[row.pk])).content)
    assert page.one("#index-build .job").attrs["data-job-status"] == "queued"
    assert page.one("#index-build .job-text").text == "waiting for a worker"
    form = page.one("#index-build form.job-cancel")
    response = client.post(form.attrs["action"])
    assert response["Location"] == reverse("indexes:detail", args=[row.pk])
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert tasks.run_build(job.pk) == "nothing to do"
    assert engine.read_info("shop") is None
    assert not ImportUpload.objects.filter(job=job).exists()


def test_the_owner_shares_it_with_a_team_and_stops(world, data_dir) -> None:
    client = client_for(world.owner)
    upload(client, "shop", JSONL)
    row = LocalIndex.objects.get(name="shop")
    page = parse(client.get(reverse("indexes:detail", args=[row.pk])).content)
    assert page.one("#index-teams-form input[name=teams]").attrs["value"] == str(world.team.pk)
    client.post(reverse("indexes:teams", args=[row.pk]), {"teams": [world.team.pk]})
    assert list(row.teams.all()) == [world.team]
    assert "shop" in client_for(world.teammate).get(reverse("indexes:list")).text
    # a teammate sees it but may not change its sharing; an outsider's team is not offered
    teammate = client_for(world.teammate)
    assert teammate.post(reverse("indexes:teams", args=[row.pk]), {}).status_code == 404
    client.post(reverse("indexes:teams", args=[row.pk]), {})
    assert list(row.teams.all()) == []
    from searchbench.accounts.models import Team

    other = Team.objects.create(name="not olive's")
    response = client.post(reverse("indexes:teams", args=[row.pk]), {"teams": [other.pk]})
    assert response.status_code == 302 and list(row.teams.all()) == []


def test_a_rebuild_from_the_index_page_keeps_its_teams(build, world, data_dir: Path) -> None:
    """The page's 'Rebuild from a new file' opened the upload form with no team ticked, and the
    upload set the index's teams to the form's: a rebuild unshared the index."""
    client = client_for(world.owner)
    upload(client, "shop", JSONL, teams=[world.team.pk])
    row = LocalIndex.objects.get(name="shop")
    build(client, row.pk)
    detail = parse(client.get(reverse("indexes:detail", args=[row.pk])).content)
    form = parse(client.get(detail.one("#index-rebuild").attrs["href"]).content)
    ticked = [i.attrs["value"] for i in form.select("input[name=teams][checked]")]
    assert ticked == [str(world.team.pk)]
    upload(client, "shop", JSONL, teams=ticked)
    assert list(row.teams.all()) == [world.team]
    # a new name offers no team ticked
    blank = parse(client.get(reverse("indexes:new") + "?name=other").content)
    assert blank.select("input[name=teams][checked]") == []


def test_a_new_build_cancels_one_still_waiting_for_a_worker(world, data_dir: Path) -> None:
    """Two builds of one index at once would swap in whichever ended last (maybe the older
    file): the newer build cancels the one still queued or running."""
    client = client_for(world.owner)
    fields = {"id_field": "sku", "fields": ["name"], "analyzer": "en_stem"}
    upload(client, "shop", JSONL)
    row = LocalIndex.objects.get(name="shop")
    client.post(reverse("indexes:fields", args=[row.pk]), fields)  # queued: no worker ran it
    first = Job.objects.get(kind=Job.Kind.INDEX)
    upload(client, "shop", CSV, filename="products.csv")
    client.post(reverse("indexes:fields", args=[row.pk]), fields)
    first.refresh_from_db()
    assert first.status == Job.Status.CANCELLED
    second = Job.objects.filter(kind=Job.Kind.INDEX).exclude(pk=first.pk).get()
    assert second.status == Job.Status.QUEUED and second.params["file"] == "products.csv"
