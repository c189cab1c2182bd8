"""Why did this doc move between two tries (or snapshots): both sides' results for a query with
each doc's movement, and one doc's rank, score and explanation on each side with the clauses and
fields that gained or lost. Tries are searched at view time through the cases service layer (the
loop's plan, explain on), against the tiny built-in index."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from searchbench.cases import services
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for
from searchbench.domain.explain_analysis import breakdown_by_field, compare
from searchbench.domain.movements import movements

pytestmark = pytest.mark.django_db


def _body_only(world: Any) -> Any:
    return services.create_try(
        world.case,
        parent=world.try_,
        query_template='{"query": "#$query##", "fields": ["body"]}',
        field_spec=world.try_.field_spec,
        endpoint=world.endpoint,
    )


def _get(client: Any, world: Any, **params: str) -> Any:
    url = reverse("explain:moved", args=[world.case.pk, world.q_boots.pk])
    return client.get(url, params)


def test_a_doc_between_two_tries_rank_score_and_what_each_clause_and_field_gained(world):
    two = _body_only(world)
    before = services.search_query(world.case, world.q_boots, world.try_)
    after = services.search_query(world.case, world.q_boots, two)
    ids_before = [d.id for d in before.result.docs]
    ids_after = [d.id for d in after.result.docs]
    doc = next(d for d in ids_before if d in ids_after)
    response = _get(client_for(world.teammate), world, a="try-1", b=f"try-{two.number}", doc=doc)
    assert response.status_code == 200
    page = parse(response.content)

    # Both rankings, the other side's docs marked as the compare page marks them.
    _left, right = movements(ids_before, ids_after)
    assert [li.attrs["data-doc-id"] for li in page.select("ol.docs-a li")] == ids_before
    shown = [(li.attrs["data-doc-id"], li.attrs["data-move"]) for li in page.select("ol.docs-b li")]
    assert shown == [(m.doc_id, m.kind) for m in right]
    assert page.one(f"ol.docs-a li[data-doc-id={doc}]").attrs["aria-current"] == "true"

    # Rank and score on each side.
    tree_a = next(d for d in before.result.docs if d.id == doc)
    tree_b = next(d for d in after.result.docs if d.id == doc)
    assert page.one("#moved-place-a").text.split()[-2:] == [
        f"#{tree_a.position + 1}",
        f"{tree_a.score:.4g}",
    ]
    assert page.one("#moved-place-b").text.split()[-2:] == [
        f"#{tree_b.position + 1}",
        f"{tree_b.score:.4g}",
    ]
    # The fields and clauses: body only loses everything title gave.
    fields = {
        tr.attrs["data-field"]: float(tr.one("td.delta").text)
        for tr in page.select("#moved-fields tbody tr")
    }
    expected = breakdown_by_field(tree_a.explain, tree_b.explain)
    assert fields == pytest.approx({g.field: g.change for g in expected}, rel=1e-3)
    assert fields["title"] < 0
    clauses = {
        tr.attrs["data-clause"]: float(tr.one("td.delta").text)
        for tr in page.select("#moved-clauses tbody tr")
    }
    cmp = compare(tree_b.explain, tree_a.explain)
    assert clauses == pytest.approx({r.key: r.delta for r in cmp.rows}, rel=1e-3)
    assert page.one("#moved-headline").text == cmp.headline(
        f"try {two.number} on tiny (local)", "try 1 on tiny (local)"
    )


def test_a_snapshot_against_a_try_and_a_doc_only_one_side_has(world):
    snapshot = services.take_snapshot(world.case, "base", explain=True)
    plain = services.take_snapshot(world.case, "plain", explain=False)  # the same, no trees
    socks = services.create_try(
        world.case,
        parent=world.try_,
        query_template='{"query": "socks", "fields": ["title"]}',
        field_spec=world.try_.field_spec,
        endpoint=world.endpoint,
    )
    client = client_for(world.owner)
    page = parse(_get(client, world, a=f"snapshot-{snapshot.pk}", b=f"try-{socks.number}").content)
    first = page.select("ol.docs-a li")[0]
    assert first.attrs["data-move"] == "dropped"  # socks never finds the boots
    doc = first.attrs["data-doc-id"]
    page = parse(
        _get(client, world, a=f"snapshot-{snapshot.pk}", b=f"try-{socks.number}", doc=doc).content
    )
    assert page.one("#moved-place-b").text.endswith("— —")
    assert "is not among the results of try" in page.one("#moved-problem").text
    # A snapshot kept without explanations: said so, not a crash.
    page = parse(
        _get(client, world, a=f"snapshot-{plain.pk}", b=f"snapshot-{snapshot.pk}", doc=doc).content
    )
    assert "no score explanation" in page.one("#moved-problem").text


def test_sides_of_another_case_or_malformed_are_404_and_outsiders_see_nothing(world):
    client = client_for(world.owner)
    assert _get(client, world, a="try-1", b="try-9").status_code == 404
    assert _get(client, world, a="try-x", b="try-1").status_code == 404
    assert _get(client, world, a="try-1").status_code == 404
    assert _get(client_for(world.outsider), world, a="try-1", b="try-1").status_code == 404


def test_a_public_cases_reader_sees_snapshots_and_never_searches_the_owners_endpoint(
    world, monkeypatch
):
    from searchbench.cases.models import Case
    from searchbench.explain import sources

    snapshot = services.take_snapshot(world.case, "base", explain=True)
    Case.objects.filter(pk=world.case.pk).update(public=True)

    def no_search(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a public case's reader searched the owner's endpoint")

    monkeypatch.setattr(sources, "live", no_search)
    reader = client_for(world.outsider)
    page = parse(_get(reader, world, a=f"snapshot-{snapshot.pk}", b="try-1").content)
    assert page.select("ol.docs-a li[data-doc-id]")  # the snapshot's stored docs
    assert "only the case's owner and teammates" in page.one("#moved-b .error").text
    doc = page.select("ol.docs-a li[data-doc-id]")[0].attrs["data-doc-id"]
    page = parse(_get(reader, world, a=f"snapshot-{snapshot.pk}", b="try-1", doc=doc).content)
    assert "is not among the results of try 1" in page.one("#moved-problem").text
