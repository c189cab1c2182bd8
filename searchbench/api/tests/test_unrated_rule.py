"""The case setting for unrated queries through the API: read, changed (a re-scoring run), refused
when unknown; the case score the API shows follows it."""

from __future__ import annotations

import pytest

from searchbench.api.tests.conftest import Api, World, assert_error
from searchbench.cases import services

pytestmark = pytest.mark.django_db


def test_the_rule_is_read_changed_and_rescores(world: World, owner_api: Api):
    services.add_query(world.case, "wool socks")  # unrated
    services.run_case(world.case)
    path = f"/cases/{world.case.pk}"
    shown = owner_api.get(path)
    assert shown.json()["unrated_queries"] == "count_zero"
    counted_zero = owner_api.get(f"{path}/history").json()["points"][-1]["score"]

    changed = owner_api.patch(path, {"unrated_queries": "leave_out"}, **{"If-Match": shown["ETag"]})
    assert changed.status_code == 200, changed.content
    assert changed.json()["unrated_queries"] == "leave_out"
    points = owner_api.get(f"{path}/history").json()["points"]
    assert len(points) == 2  # the change ran the case again
    # Two rated queries of three: the same total over 2 instead of 3.
    assert points[-1]["score"] == pytest.approx(counted_zero * 3 / 2)


def test_an_unknown_rule_is_a_422_naming_the_field(world: World, owner_api: Api):
    error = assert_error(
        owner_api.patch(f"/cases/{world.case.pk}", {"unrated_queries": "skip"}), 422
    )
    assert "unrated_queries" in str(error)
    world.case.refresh_from_db()
    assert world.case.unrated_queries == "count_zero"
