"""Queries and ratings over the API."""

from __future__ import annotations

import pytest

from searchbench.api.tests.conftest import Api, World, assert_error
from searchbench.cases.models import Query, Rating

pytestmark = pytest.mark.django_db


def test_queries_crud(world: World, owner_api: Api, teammate_api: Api) -> None:
    base = f"/cases/{world.case.pk}/queries"
    listed = owner_api.get(base).json()
    assert [(q["text"], q["ratings"]) for q in listed["items"]] == [("red boots", 2), ("tent", 1)]
    made = owner_api.post(base, {"text": "  wool   socks ", "information_need": "warm feet"})
    assert made.status_code == 201, made.content
    q = made.json()
    assert (q["text"], q["position"], q["information_need"]) == ("wool socks", 3, "warm feet")
    shown = owner_api.get(f"{base}/{q['id']}")
    changed = teammate_api.patch(
        f"{base}/{q['id']}",
        {"notes": "seasonal", "options": {"size": "L"}, "text": "socks"},
        **{"If-Match": shown["ETag"]},
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["notes"], changed.json()["options"], changed.json()["text"]) == (
        "seasonal", {"size": "L"}, "socks")  # fmt: skip
    assert changed.json()["information_need"] == "warm feet"  # kept
    stale = owner_api.patch(f"{base}/{q['id']}", {"notes": "x"}, **{"If-Match": shown["ETag"]})
    assert_error(stale, 412)
    assert_error(owner_api.delete(f"{base}/{q['id']}", **{"If-Match": shown["ETag"]}), 412)
    assert owner_api.delete(f"{base}/{q['id']}").status_code == 204
    assert_error(owner_api.get(f"{base}/{q['id']}"), 404)
    assert_error(owner_api.post(base, {"text": ""}), 422)
    assert_error(owner_api.post(base, {"text": "x" * 501}), 422)
    blank = assert_error(owner_api.patch(f"{base}/{world.q_boots.pk}", {"text": "   "}), 422)
    assert blank["message"] == "text: a query needs some text"
    # A query of another case is not found through this one.
    assert_error(owner_api.get(f"/cases/{world.case.pk + 1}/queries/{world.q_boots.pk}"), 404)


def test_bulk_add_is_all_or_nothing(world: World, owner_api: Api) -> None:
    base = f"/cases/{world.case.pk}/queries/bulk"
    response = owner_api.post(base, {"queries": [{"text": "a"}, {"text": "b", "notes": "n"}]})
    assert response.status_code == 201, response.content
    assert response.json()["added"] == 2
    texts = list(world.case.queries.values_list("text", "position"))
    assert texts == [("red boots", 1), ("tent", 2), ("a", 3), ("b", 4)]
    bad = owner_api.post(base, {"queries": [{"text": "c"}, {"text": "   "}]})
    error = assert_error(bad, 422)
    assert "queries[1]" in error["message"]
    assert world.case.queries.count() == 4


def test_reorder(world: World, owner_api: Api) -> None:
    base = f"/cases/{world.case.pk}/queries/order"
    order = [world.q_tent.pk, world.q_boots.pk]
    assert owner_api.put(base, {"order": order}).json() == {"order": order}
    listed = owner_api.get(f"/cases/{world.case.pk}/queries").json()["items"]
    assert [q["text"] for q in listed] == ["tent", "red boots"]
    assert_error(owner_api.put(base, {"order": [world.q_tent.pk]}), 422)
    assert_error(owner_api.put(base, {"order": order + order}), 422)


def test_ratings_set_clear_and_bulk(world: World, owner_api: Api, teammate_api: Api) -> None:
    base = f"/cases/{world.case.pk}/queries/{world.q_boots.pk}/ratings"
    listed = owner_api.get(base).json()
    assert [(r["doc_id"], r["rating"]) for r in listed["ratings"]] == [("b1", 1.0), ("b2", 1.0)]
    response = teammate_api.post(base, {"doc_id": "j1", "rating": 1})
    assert response.status_code == 200, response.content
    data = response.json()
    assert {r["doc_id"]: r["rated_by"] for r in data["ratings"]}["j1"] == "tom"
    assert data["query_score"] is not None  # scored again, as the web page does
    assert Rating.objects.filter(query=world.q_boots).count() == 3
    cleared = owner_api.post(base, {"doc_id": "j1", "rating": None}).json()
    assert "j1" not in {r["doc_id"] for r in cleared["ratings"]}
    owner_api.post(base, {"doc_id": "a/b c", "rating": 1})
    assert owner_api.delete(base + "/doc?doc_id=a%2Fb%20c").status_code == 200
    assert not Rating.objects.filter(doc_id="a/b c").exists()
    # Off the scorer's scale: refused, nothing written.
    error = assert_error(owner_api.post(base, {"doc_id": "b3", "rating": 7}), 422)
    assert "scale" in error["message"]
    bulk = owner_api.put(
        base, {"ratings": [{"doc_id": "b3", "rating": 1}, {"doc_id": "b1", "rating": None}]}
    )
    assert bulk.status_code == 200, bulk.content
    assert sorted(Rating.objects.filter(query=world.q_boots).values_list("doc_id", flat=True)) == [
        "b2", "b3"]  # fmt: skip
    bad = owner_api.put(
        base, {"ratings": [{"doc_id": "b1", "rating": 1}, {"doc_id": "t1", "rating": 9}]}
    )
    assert "ratings[1]" in assert_error(bad, 422)["message"]
    assert not Rating.objects.filter(query=world.q_boots, doc_id="b1").exists()
    assert owner_api.delete(base).json()["ratings"] == []
    assert not Rating.objects.filter(query=world.q_boots).exists()


def test_ratings_of_an_unreadable_case_are_404(world: World, outsider_api: Api) -> None:
    base = f"/cases/{world.case.pk}/queries/{world.q_boots.pk}/ratings"
    assert_error(outsider_api.get(base), 404)
    assert_error(outsider_api.post(base, {"doc_id": "b1", "rating": 0}), 404)
    assert Rating.objects.get(query=world.q_boots, doc_id="b1").rating == 1
    assert Query.objects.filter(case=world.case).count() == 2
