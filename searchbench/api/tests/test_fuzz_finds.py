"""What the fuzzer (test_fuzz.py) found, each as a plain test that failed before its fix."""

from __future__ import annotations

from searchbench.api.tests.conftest import Api, World


def test_scorer_patch_with_nulls_leaves_the_fields(world: World, owner_api: Api) -> None:
    """PATCH /scorers/{id} with "scale": null (the schema allows null for every field) was a 500
    (TypeError in the form's scale text); a null now leaves the field as it is."""
    made = owner_api.post("/scorers", {"name": "half", "code": "setScore(0.5);", "scale": [0, 1]})
    assert made.status_code == 201, made.content
    path = f"/scorers/{made.json()['id']}"
    nulls = {"scale": None, "labels": None, "name": None, "code": None, "description": None}
    changed = owner_api.patch(path, {**nulls, "teams": None})
    assert changed.status_code == 200, changed.content
    assert changed.json()["scale"] == [0.0, 1.0] and changed.json()["name"] == "half"
