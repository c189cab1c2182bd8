"""Snapshots, scorers, endpoints and teams over the API."""

from __future__ import annotations

import pytest

from searchbench.accounts.models import Membership, Team
from searchbench.api.tests.conftest import Api, World, assert_error
from searchbench.cases.models import Scorer, SearchEndpoint, Snapshot

pytestmark = pytest.mark.django_db

SCORER = {
    "name": "first doc",
    "scale": [0, 1],
    "labels": {"1": "relevant"},
    "code": "var s = 0;\nif (docRating(0) > 0) { s = 1; }\nsetScore(s);",
}


def test_snapshots_take_list_show_compare_delete(world: World, owner_api: Api) -> None:
    base = f"/cases/{world.case.pk}/snapshots"
    job = owner_api.post(base, {"name": "before"})
    assert job.status_code == 202, job.content
    done = owner_api.get(f"/jobs/{job.json()['id']}").json()
    assert done["kind"] == "snapshot" and done["status"] == "done"
    first = done["result"]["snapshot_id"]
    # A second snapshot with worse results: the tent query's rating moves away.
    world.q_tent.ratings.update(doc_id="nothing")
    second = owner_api.post(base, {"name": "after"}).json()
    second_id = owner_api.get(f"/jobs/{second['id']}").json()["result"]["snapshot_id"]
    listed = owner_api.get(base).json()
    assert [s["name"] for s in listed["items"]] == ["after", "before"]
    shown = owner_api.get(f"{base}/{first}").json()
    assert (shown["queries"], shown["try_number"], shown["scorer"]) == (2, 1, "quepid:P@10")
    rows = owner_api.get(f"{base}/{first}/queries").json()["items"]
    assert [r["query_text"] for r in rows] == ["red boots", "tent"]
    assert set(rows[0]["top_docs"][:2]) == {"b1", "b2"}  # title^2 on both words, either order
    compared = owner_api.get(f"{base}/compare?base={first}&other={second_id}&test=permutation")
    assert compared.status_code == 200, compared.content
    result = compared.json()
    assert result["queries"] == 2 and result["test"] == "permutation"
    base_row, other_row = result["snapshots"]
    assert base_row["delta"] is None and other_row["snapshot_id"] == second_id
    assert other_row["delta"] == pytest.approx(other_row["mean"] - base_row["mean"])
    assert other_row["delta"] < 0
    assert_error(owner_api.get(f"{base}/compare?base={first}&other=999999"), 404)
    assert_error(owner_api.get(f"{base}/compare?base={first}&other={second_id}&test=x"), 422)
    assert owner_api.delete(f"{base}/{first}").status_code == 204
    assert not Snapshot.objects.filter(pk=first).exists()
    assert_error(owner_api.get(f"{base}/{first}"), 404)
    assert_error(owner_api.post(base, {"name": ""}), 422)


def test_listing_a_snapshots_queries_costs_the_same_sql_for_any_page_size(
    world: World, owner_api: Api
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from searchbench.cases import services

    base = f"/cases/{world.case.pk}/snapshots"

    def statements_to_list(name: str) -> tuple[int, list[dict]]:
        job = owner_api.post(base, {"name": name}).json()
        snapshot_id = owner_api.get(f"/jobs/{job['id']}").json()["result"]["snapshot_id"]
        with CaptureQueriesContext(connection) as captured:
            items = owner_api.get(f"{base}/{snapshot_id}/queries").json()["items"]
        return len(captured.captured_queries), items

    small, items = statements_to_list("two queries")
    assert len(items) == 2 and items[0]["top_docs"]
    services.add_queries(world.case, [{"text": f"boots {i}"} for i in range(12)])
    big, items = statements_to_list("fourteen queries")
    assert len(items) == 14 and items[0]["top_docs"][:2] in (["b1", "b2"], ["b2", "b1"])
    assert big == small


def test_a_snapshot_keeps_explanations_only_when_asked(world: World, owner_api: Api) -> None:
    base = f"/cases/{world.case.pk}/snapshots"
    for name, explain in (("plain", False), ("explained", True)):
        job = owner_api.post(base, {"name": name, "explain": explain}).json()
        assert owner_api.get(f"/jobs/{job['id']}").json()["status"] == "done"
    kept = {
        s.name: s.queries.filter(docs__explain__isnull=False).exists()
        for s in Snapshot.objects.filter(case=world.case)
    }
    assert kept == {"plain": False, "explained": True}


def test_snapshots_of_an_unreadable_case_are_404(world: World, outsider_api: Api) -> None:
    base = f"/cases/{world.case.pk}/snapshots"
    assert_error(outsider_api.get(base), 404)
    assert_error(outsider_api.post(base, {"name": "x"}), 404)
    assert not Snapshot.objects.exists()


def test_scorers_list_builtins_and_crud_custom(
    world: World, owner_api: Api, outsider_api: Api
) -> None:
    builtins = owner_api.get("/scorers?kind=builtin&limit=200").json()
    assert builtins["count"] > 5 and "nDCG@10" in {s["name"] for s in builtins["items"]}
    made = owner_api.post("/scorers", SCORER)
    assert made.status_code == 201, made.content
    scorer = made.json()
    assert (scorer["kind"], scorer["scale"], scorer["owner"]) == ("custom", [0.0, 1.0], "olive")
    path = f"/scorers/{scorer['id']}"
    etag = owner_api.get(path)["ETag"]
    changed = owner_api.patch(path, {"description": "first doc only"}, **{"If-Match": etag})
    assert changed.json()["description"] == "first doc only"
    assert_error(owner_api.patch(path, {"description": "x"}, **{"If-Match": etag}), 412)
    # Private to its owner (and teams it is shared with).
    assert_error(outsider_api.get(path), 404)
    assert_error(outsider_api.patch(path, {"description": "mine"}), 404)
    assert_error(outsider_api.delete(path), 404)
    bad = owner_api.post("/scorers", {**SCORER, "name": "broken", "code": "setScore(nope.x);"})
    assert assert_error(bad, 422)["details"][0]["field"] == "code"
    assert_error(owner_api.post("/scorers", {**SCORER, "name": "nDCG@10"}), 422)
    builtin = Scorer.objects.get(name="nDCG@10")
    assert_error(owner_api.delete(f"/scorers/{builtin.pk}"), 403)  # seen by all, changed by none
    world.case.scorer_id = scorer["id"]
    world.case.save()
    assert_error(owner_api.delete(path), 409, "conflict")
    world.case.scorer = builtin
    world.case.save()
    assert owner_api.delete(path).status_code == 204


def test_endpoints_crud_and_test_connection(
    world: World, owner_api: Api, teammate_api: Api, outsider_api: Api
) -> None:
    world.endpoint.teams.add(world.team)
    body = {
        "name": "second",
        "kind": "local",
        "url": world.endpoint.url,
        "headers": {"X-Api-Key": "s3cret"},
        "password": "pw",
    }
    made = owner_api.post("/endpoints", body)
    assert made.status_code == 201, made.content
    data = made.json()
    assert data["headers"] == {"X-Api-Key": "***"} and data["has_password"] is True
    assert "s3cret" not in made.content.decode() and "pw" not in str(data.values())
    stored = SearchEndpoint.objects.get(pk=data["id"])
    assert stored.get_headers() == {"X-Api-Key": "s3cret"} and stored.get_password() == "pw"
    path = f"/endpoints/{data['id']}"
    etag = owner_api.get(path)["ETag"]
    changed = owner_api.patch(path, {"timeout": 5, "headers": {"X-Api-Key": "***"}},
                              **{"If-Match": etag})  # fmt: skip
    assert changed.status_code == 200, changed.content
    assert SearchEndpoint.objects.get(pk=data["id"]).get_headers() == {"X-Api-Key": "s3cret"}
    assert SearchEndpoint.objects.get(pk=data["id"]).get_password() == "pw"
    assert_error(owner_api.patch(path, {"timeout": 6}, **{"If-Match": etag}), 412)
    ping = owner_api.post(f"/endpoints/{world.endpoint.pk}/test").json()
    assert ping["ok"] is True
    # Teammates use a shared endpoint but do not change it; outsiders do not see it.
    shared = f"/endpoints/{world.endpoint.pk}"
    assert teammate_api.get(shared).json()["mine"] is False
    assert teammate_api.post(shared + "/test").json()["ok"] is True
    assert_error(teammate_api.patch(shared, {"name": "mine"}), 403)
    assert_error(outsider_api.get(shared), 404)
    assert_error(outsider_api.post(shared + "/test"), 404)
    assert outsider_api.get("/endpoints").json()["count"] == 0
    assert_error(owner_api.post("/endpoints", {**body, "kind": "nope"}), 422)
    assert_error(owner_api.delete(shared), 409)  # a try uses it
    assert owner_api.delete(path).status_code == 204


def test_teams_and_members(world: World, owner_api: Api, teammate_api: Api, outsider_api: Api):
    listed = owner_api.get("/teams").json()
    assert [t["name"] for t in listed["items"]] == ["search team"]
    assert listed["items"][0]["role"] == "owner"
    path = f"/teams/{world.team.pk}"
    assert_error(outsider_api.get(path), 404)
    assert_error(teammate_api.post(path + "/members", {"user": "oscar"}), 403, "forbidden")
    added = owner_api.post(path + "/members", {"user": "oscar"})
    assert added.status_code == 201, added.content
    assert "oscar" in {m["username"] for m in added.json()["members"]}
    assert_error(owner_api.post(path + "/members", {"user": "oscar"}), 409, "conflict")
    assert_error(owner_api.post(path + "/members", {"user": "nobody"}), 404, "not_found")
    assert outsider_api.get(path).json()["role"] == "member"
    assert owner_api.delete(f"{path}/members/{world.outsider.pk}").status_code == 204
    assert not Membership.objects.filter(team=world.team, user=world.outsider).exists()
    last = assert_error(owner_api.delete(f"{path}/members/{world.owner.pk}"), 409, "conflict")
    assert "owner" in last["message"]  # the service's reason, as it gave it
    promoted = owner_api.patch(f"{path}/members/{world.teammate.pk}", {"role": "owner"})
    assert promoted.status_code == 200, promoted.content
    assert {m["username"]: m["role"] for m in promoted.json()["members"]}["tom"] == "owner"
    assert_error(owner_api.patch(f"{path}/members/{world.teammate.pk}", {"role": "boss"}), 422)
    assert_error(outsider_api.delete(path), 404)
    made = outsider_api.post("/teams", {"name": "own team"})
    assert made.status_code == 201 and made.json()["role"] == "owner"
    assert_error(outsider_api.post("/teams", {"name": "own team"}), 409)
    assert Team.objects.filter(name="own team").count() == 1
    assert teammate_api.delete(path).status_code == 204  # an owner now
    assert not Team.objects.filter(pk=world.team.pk).exists()


def test_a_null_in_a_patch_leaves_the_field_as_it_is(world: World, owner_api: Api) -> None:
    """Found by schemathesis: {"scale": null} was a 500."""
    made = owner_api.post("/scorers", SCORER).json()
    response = owner_api.patch(
        f"/scorers/{made['id']}", {"scale": None, "code": None, "name": None}
    )
    assert response.status_code == 200, response.content
    assert response.json()["scale"] == [0.0, 1.0]
    case = owner_api.patch(f"/cases/{world.case.pk}", {"name": None, "options": None})
    assert case.json()["name"] == "Boots case"
    world.endpoint.requests_per_minute = 60
    world.endpoint.save()
    cleared = owner_api.patch(f"/endpoints/{world.endpoint.pk}", {"requests_per_minute": None})
    assert cleared.json()["requests_per_minute"] is None  # there a null clears
