"""Import and export over the API (the formats themselves are tested in cases/tests)."""

from __future__ import annotations

import pytest

from searchbench.api.tests.conftest import BASE, Api, World, assert_error
from searchbench.cases.models import Case, Query, Rating

pytestmark = pytest.mark.django_db


def raw_post(api: Api, path: str, content: bytes) -> object:
    return api.client.post(BASE + path, data=content, content_type="text/csv", headers=api.headers)


def test_it_lists_the_formats(world: World, owner_api: Api) -> None:
    formats = {f["name"]: f for f in owner_api.get("/formats").json()}
    assert formats["ratings-csv"]["can_import"] is True
    assert formats["quepid-case"]["whole_case"] is True
    assert formats["trec-run"]["can_import"] is False


def test_export_then_import_into_a_new_case_round_trips(world: World, owner_api: Api) -> None:
    exported = owner_api.get(f"/cases/{world.case.pk}/export/ratings-csv")
    assert exported.status_code == 200, exported.content
    assert exported["Content-Type"].startswith("text/csv")
    assert "attachment" in exported["Content-Disposition"]
    text = exported.content
    assert text.splitlines()[0] == b"query,docid,rating"
    made = raw_post(owner_api, "/cases/import/ratings-csv?name=Copy", text)
    assert made.status_code == 201, made.content
    report = made.json()
    assert report["created_case"] is True and report["ratings_added"] == 3
    copy = Case.objects.get(pk=report["case_id"])
    assert copy.owner == world.owner and copy.name == "Copy"
    again = owner_api.get(f"/cases/{copy.pk}/export/ratings-csv").content
    assert again == text


def test_a_bad_file_imports_nothing_and_names_the_line(world: World, owner_api: Api) -> None:
    before = (Query.objects.count(), Rating.objects.count())
    bad = b"query,docid,rating\nshoes,d1,1\nshoes,d2,not a number\n"
    response = raw_post(owner_api, f"/cases/{world.case.pk}/import/ratings-csv", bad)
    error = assert_error(response, 422, "unprocessable")
    assert error["details"] and any("3" in d["field"] for d in error["details"]), error
    assert (Query.objects.count(), Rating.objects.count()) == before
    assert_error(raw_post(owner_api, f"/cases/{world.case.pk}/import/ratings-csv", b""), 422)


def test_import_into_a_case_adds_queries_and_ratings(world: World, teammate_api: Api) -> None:
    data = b"query,docid,rating\nwool socks,s1,1\n"
    response = raw_post(teammate_api, f"/cases/{world.case.pk}/import/ratings-csv", data)
    assert response.status_code == 200, response.content
    assert response.json()["queries_added"] == 1
    assert Rating.objects.get(query__case=world.case, doc_id="s1").rating == 1


def test_import_and_export_respect_access(world: World, outsider_api: Api, owner_api: Api):
    data = b"query,docid,rating\nx,d,1\n"
    assert_error(raw_post(outsider_api, f"/cases/{world.case.pk}/import/ratings-csv", data), 404)
    assert_error(outsider_api.get(f"/cases/{world.case.pk}/export/ratings-csv"), 404)
    assert_error(owner_api.get(f"/cases/{world.case.pk}/export/nope"), 404)
    assert_error(raw_post(owner_api, "/cases/import/trec-run", data), 404)
    assert Case.objects.count() == 1


def test_a_file_over_the_import_limit_is_refused_unread(world: World, owner_api: Api) -> None:
    from searchbench.api.errors import IMPORT_MAX_BYTES

    response = owner_api.client.post(
        f"{BASE}/cases/{world.case.pk}/import/ratings-csv",
        data=b"query,docid,rating\n",
        content_type="text/csv",
        headers=owner_api.headers,
        CONTENT_LENGTH=str(IMPORT_MAX_BYTES + 1),
    )
    assert_error(response, 413, "body_too_large")


def test_a_background_import_is_a_job_with_the_report_or_the_problems(
    world: World, owner_api: Api, outsider_api: Api, django_capture_on_commit_callbacks
) -> None:
    data = b"query,docid,rating\nwool socks,s1,1\n"
    with django_capture_on_commit_callbacks(execute=True):  # the task is queued on commit
        queued = raw_post(owner_api, "/cases/import/ratings-csv?name=Later&background=true", data)
    assert queued.status_code == 202, queued.content
    job = owner_api.get(f"/jobs/{queued.json()['id']}").json()  # the test settings run it at once
    assert (job["kind"], job["status"]) == ("import", "done")
    made = Case.objects.get(pk=job["result"]["case_id"])
    assert made.name == "Later" and job["case_id"] == made.pk
    with django_capture_on_commit_callbacks(execute=True):
        bad = raw_post(owner_api, "/cases/import/ratings-csv?name=Never&background=true", b"x\n")
    failed = owner_api.get(f"/jobs/{bad.json()['id']}").json()
    assert failed["status"] == "failed" and failed["case_id"] is None  # no case was made
    assert failed["result"]["problems"]
    assert not Case.objects.filter(name="Never").exists()
    assert_error(outsider_api.get(f"/jobs/{bad.json()['id']}"), 404)  # its starter's alone
    into = raw_post(owner_api, f"/cases/{world.case.pk}/import/ratings-csv?background=1", data)
    assert into.status_code == 202 and into.json()["case_id"] == world.case.pk
