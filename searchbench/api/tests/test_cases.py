"""Cases, tries, score history and runs over the API."""

from __future__ import annotations

import pytest

from searchbench.api.tests.conftest import Api, World, assert_error
from searchbench.cases.models import Case, Rating, Scorer

pytestmark = pytest.mark.django_db


def test_it_lists_the_cases_you_may_read_a_page_at_a_time(
    world: World, owner_api: Api, outsider_api: Api
) -> None:
    for n in range(3):
        Case.objects.create(name=f"extra {n}", owner=world.owner, scorer=world.case.scorer)
    page = owner_api.get("/cases?limit=2").json()
    assert (page["count"], page["limit"], page["offset"], page["next_offset"]) == (4, 2, 0, 2)
    rest = owner_api.get("/cases?limit=2&offset=2").json()
    assert rest["next_offset"] is None
    names = {c["name"] for c in page["items"] + rest["items"]}
    assert "Boots case" in names and len(names) == 4
    assert outsider_api.get("/cases").json()["count"] == 0
    error = assert_error(owner_api.get("/cases?limit=201"), 422, "invalid")
    assert error["details"][0]["field"] == "query.limit"
    assert_error(owner_api.get("/cases?offset=-1"), 422)


def test_it_creates_a_case_with_its_first_try(world: World, owner_api: Api) -> None:
    body = {
        "name": "API case",
        "scorer": "quepid:P@10",
        "endpoint_id": world.endpoint.pk,
        "query_template": '{"query": "#$query##"}',
        "teams": [world.team.pk],
    }
    response = owner_api.post("/cases", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["name"], data["scorer"], data["current_try"], data["teams"]) == (
        "API case", "quepid:P@10", 1, [world.team.pk])  # fmt: skip
    case = Case.objects.get(pk=data["id"])
    assert case.owner == world.owner and case.tries.get().endpoint == world.endpoint


@pytest.mark.parametrize(
    "change, field",
    [
        ({"scorer": "no such scorer"}, "scorer"),
        ({"endpoint_id": 999999}, "endpoint_id"),
        ({"name": ""}, "body.payload.name"),
        ({"teams": [999999]}, "teams"),
    ],
)
def test_a_bad_case_is_refused_by_field(
    world: World, owner_api: Api, change: dict, field: str
) -> None:
    body = {"name": "x", "endpoint_id": world.endpoint.pk, **change}
    error = assert_error(owner_api.post("/cases", body), 422)
    assert error["details"][0]["field"] == field
    assert Case.objects.count() == 1


def test_outsiders_get_404_and_readers_403(world: World, outsider_api: Api) -> None:
    path = f"/cases/{world.case.pk}"
    for call in [
        lambda: outsider_api.get(path),
        lambda: outsider_api.patch(path, {"name": "mine"}),
        lambda: outsider_api.delete(path),
        lambda: outsider_api.get(path + "/history"),
        lambda: outsider_api.post(path + "/run"),
        lambda: outsider_api.get(path + "/tries"),
        lambda: outsider_api.post(path + "/clone"),
    ]:
        assert_error(call(), 404, "not_found")
    # A public case: outsiders read it, but may not change it.
    Case.objects.filter(pk=world.case.pk).update(public=True)
    assert outsider_api.get(path).json()["can_write"] is False
    assert_error(outsider_api.patch(path, {"name": "mine"}), 403, "forbidden")
    assert Case.objects.get(pk=world.case.pk).name == "Boots case"


def test_an_update_with_a_stale_etag_is_refused(world: World, owner_api: Api, teammate_api: Api):
    path = f"/cases/{world.case.pk}"
    first = owner_api.get(path)
    etag = first["ETag"]
    assert etag.startswith('"') and owner_api.get(path)["ETag"] == etag
    # The teammate changes it meanwhile.
    changed = teammate_api.patch(path, {"name": "Renamed"}, **{"If-Match": etag})
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] != etag
    error = assert_error(owner_api.patch(path, {"name": "Mine"}, **{"If-Match": etag}), 412)
    assert error["code"] == "precondition_failed" and error["details"]["etag"] == changed["ETag"]
    assert Case.objects.get(pk=world.case.pk).name == "Renamed"
    assert_error(owner_api.delete(path, **{"If-Match": etag}), 412)
    ok = owner_api.patch(path, {"name": "Mine"}, **{"If-Match": changed["ETag"]})
    assert ok.json()["name"] == "Mine"


def test_it_updates_archives_and_deletes(world: World, owner_api: Api, teammate_api: Api):
    path = f"/cases/{world.case.pk}"
    response = owner_api.patch(path, {"archived": True, "options": {"k": "v"}, "scorer": "AP@10"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["archived"], data["options"], data["scorer"]) == (True, {"k": "v"}, "AP@10")
    assert data["name"] == "Boots case" and data["teams"] == [world.team.pk]  # kept
    assert owner_api.get("/cases").json()["count"] == 0
    assert owner_api.get("/cases?archived=true").json()["count"] == 1
    error = assert_error(owner_api.patch(path, {"options": {"k": float("nan")}}), 422)
    assert error["message"]
    assert_error(teammate_api.delete(path), 403)
    assert owner_api.delete(path).status_code == 204
    assert not Case.objects.filter(pk=world.case.pk).exists()
    assert_error(owner_api.get(path), 404)


def test_it_clones_a_case(world: World, outsider_api: Api) -> None:
    Case.objects.filter(pk=world.case.pk).update(public=True)
    response = outsider_api.post(f"/cases/{world.case.pk}/clone", {"name": "Mine now"})
    assert response.status_code == 201, response.content
    copy = Case.objects.get(pk=response.json()["id"])
    assert copy.owner == world.outsider and copy.name == "Mine now"
    assert list(copy.queries.values_list("text", flat=True)) == ["red boots", "tent"]
    assert Rating.objects.filter(query__case=copy).count() == 3
    assert copy.tries.get().query_template == world.try_.query_template
    bare = outsider_api.post(f"/cases/{world.case.pk}/clone", {"with_ratings": False}).json()
    assert bare["name"] == "Boots case (copy)"
    assert not Rating.objects.filter(query__case_id=bare["id"]).exists()


def test_tries_list_create_show_rename_and_duplicate(world: World, owner_api: Api) -> None:
    base = f"/cases/{world.case.pk}/tries"
    made = owner_api.post(base, {"rows": 20, "curator_vars": {"boost": "2"}})
    assert made.status_code == 201, made.content
    two = made.json()
    assert (two["number"], two["rows"], two["parent"]) == (2, 20, 1)
    assert two["query_template"] == world.try_.query_template  # the rest from the current try
    assert [t["number"] for t in owner_api.get(base).json()["items"]] == [2, 1]
    shown = owner_api.get(f"{base}/2")
    assert shown.json() == two
    renamed = owner_api.patch(f"{base}/2", {"name": "boosted"}, **{"If-Match": shown["ETag"]})
    assert renamed.json()["name"] == "boosted"
    assert_error(owner_api.patch(f"{base}/2", {"name": "x"}, **{"If-Match": shown["ETag"]}), 412)
    dup = owner_api.post(f"{base}/1/duplicate").json()
    assert (dup["number"], dup["parent"], dup["rows"]) == (3, 1, world.try_.rows)
    assert_error(owner_api.get(f"{base}/9"), 404)
    error = assert_error(owner_api.post(base, {"rows": 0}), 422)
    assert error["details"][0]["field"].endswith("rows")
    assert_error(owner_api.post(base, {"endpoint_id": 999999}), 422)


def test_run_returns_a_job_with_the_result_and_history(world: World, owner_api: Api) -> None:
    response = owner_api.post(f"/cases/{world.case.pk}/run")
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["kind"] == "run" and job["case_id"] == world.case.pk and job["try_number"] == 1
    # The test settings run jobs as they are queued: it is done already.
    polled = owner_api.get(f"/jobs/{job['id']}").json()
    assert polled["status"] == "done" and polled["done"] == 2 and polled["percent"] == 100.0
    score = polled["result"]["score"]
    history = owner_api.get(f"/cases/{world.case.pk}/history").json()
    assert [p["score"] for p in history["points"]] == [score]
    assert history["points"][0]["try_number"] == 1
    run = owner_api.get(f"/cases/{world.case.pk}/history/{polled['result']['history_id']}")
    assert run.status_code == 200, run.content
    per_query = {q["query"]: q["score"] for q in run.json()["queries"]}
    assert set(per_query) == {"red boots", "tent"} and run.json()["run_score"] == score
    assert_error(owner_api.get(f"/cases/{world.case.pk}/history/999999"), 404)
    assert owner_api.post(f"/jobs/{job['id']}/cancel").json()["status"] == "done"
    assert_error(owner_api.post(f"/cases/{world.case.pk}/run", {"try_number": 7}), 404)


def test_jobs_are_hidden_from_those_who_cannot_change_the_case(
    world: World, owner_api: Api, outsider_api: Api
) -> None:
    job = owner_api.post(f"/cases/{world.case.pk}/run").json()
    assert_error(outsider_api.get(f"/jobs/{job['id']}"), 404)
    assert_error(outsider_api.post(f"/jobs/{job['id']}/cancel"), 404)


def test_a_case_without_a_try_cannot_run(world: World, owner_api: Api) -> None:
    case = Case.objects.create(name="empty", owner=world.owner, scorer=Scorer.objects.first())
    error = assert_error(owner_api.post(f"/cases/{case.pk}/run"), 422, "unprocessable")
    assert "no try" in error["message"]


def test_a_page_of_cases_costs_the_same_queries_for_3_or_30_cases(world: World, owner_api: Api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert owner_api.get("/cases?limit=200").status_code == 200
        return len(queries)

    for n in range(2):
        Case.objects.create(name=f"extra {n}", owner=world.owner, scorer=world.case.scorer)
    few = cost()
    for n in range(27):
        Case.objects.create(name=f"more {n}", owner=world.owner, scorer=world.case.scorer)
    many = cost()
    # The same few queries (they are the owner's: can_write asks the database nothing), where
    # each case cost three more before (its current try, its teams, its query count).
    assert many <= few + 1, (few, many)
