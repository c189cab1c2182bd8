"""The compare page: two tries' runs, two snapshots, or one of each."""

from __future__ import annotations

import pytest
from django.urls import reverse

from searchbench.cases import services
from searchbench.cases.models import Case
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for
from searchbench.domain.stats import compare

pytestmark = pytest.mark.django_db


def _page(client, world, **params):
    response = client.get(reverse("cases:compare", args=[world.case.pk]), params)
    assert response.status_code == 200, response.status_code
    return parse(response.content.decode())


def _try2(world, template='{"query": "#$query##", "fields": ["body"]}'):
    return services.create_try(
        world.case,
        parent=world.try_,
        query_template=template,
        field_spec=world.try_.field_spec,
        endpoint=world.endpoint,
    )


def test_two_tries_runs_deltas_and_the_test_of_searchbench_compare(world):
    run1 = services.run_case(world.case)
    # Try 2 finds the socks whatever the query: both queries lose their relevant docs.
    try2 = _try2(world, '{"query": "socks", "fields": ["title"]}')
    run2 = services.run_case(world.case, try_=try2)
    page = _page(client_for(world.teammate), world, a="try-1", b="try-2")

    keys = sorted(f"q{q.pk}" for q in (world.q_boots, world.q_tent))
    a = [run1.history.per_query[k[1:]] for k in keys]
    b = [run2.history.per_query[k[1:]] for k in keys]
    assert a != b
    expected = compare({"a": a, "b": b}, test="ttest", correction="holm")[1]
    other = page.one("#compare-other")
    assert other.one("td.delta").text == f"{expected.delta:+.4f}"
    p_value = other.one("td.p-value").attrs["data-p"]
    assert float(p_value) == pytest.approx(expected.p_value)
    assert other.one("td.significant").text == ("yes" if expected.significant else "no")
    # Per query, biggest change first, with the query's text.
    rows = page.select("#compare-queries tr.compare-query")
    deltas = [float(r.attrs["data-delta"]) for r in rows]
    assert deltas == sorted(deltas, key=abs, reverse=True)
    by_key = {r.attrs["data-key"]: r for r in rows}
    boots = by_key[f"q{world.q_boots.pk}"]
    assert "red boots" in boots.text
    assert float(boots.attrs["data-delta"]) == pytest.approx(
        run2.history.per_query[str(world.q_boots.pk)]
        - run1.history.per_query[str(world.q_boots.pk)]
    )
    # Runs keep scores only: no docs side by side.
    assert not page.select("#compare-queries tr.compare-docs")


def test_the_test_and_correction_can_be_chosen(world):
    services.run_case(world.case)
    services.run_case(world.case, try_=_try2(world, '{"query": "socks", "fields": ["title"]}'))
    page = _page(client_for(world.owner), world, a="try-1", b="try-2", test="wilcoxon",
                 correction="bonferroni")  # fmt: skip
    assert page.one("#compare-test option[selected]").text == "wilcoxon"
    assert "bonferroni" in page.one("#compare-summary").text


def test_two_snapshots_docs_side_by_side_with_titles_and_movements(world):
    first = services.take_snapshot(world.case, "title boost")
    _try2(world)  # body only: the boots come back in another order
    second = services.take_snapshot(world.case, "body only")
    page = _page(client_for(world.owner), world, a=f"snapshot-{first.pk}",
                 b=f"snapshot-{second.pk}")  # fmt: skip
    docs = {r.attrs["data-key"]: r for r in page.select("#compare-queries tr.compare-query")}
    assert set(docs) == {f"q{world.q_boots.pk}", f"q{world.q_tent.pk}"}
    lists = page.select("#compare-queries tr.compare-docs")
    assert lists
    # Titles from the field spec (title:title), not ids.
    texts = " ".join(li.text for li in page.select("ol.docs-a li"))
    assert "red leather boots" in texts and "green tent" in texts
    # The movements are those of the two stored rankings.
    from searchbench.cases.models import SnapshotQuery
    from searchbench.domain.movements import movements

    def ranking(snapshot):
        row = SnapshotQuery.objects.get(snapshot=snapshot, query=world.q_boots)
        return [d.doc_id for d in row.docs.order_by("position")][:10]

    _left, right = movements(ranking(first), ranking(second))
    boots_lists = [
        tr for tr in lists if tr.select("li[data-doc-id=b1]") or tr.select("li[data-doc-id=b2]")
    ][0]
    shown = [
        (li.attrs["data-doc-id"], li.attrs.get("data-move"))
        for li in boots_lists.select("ol.docs-b li")
    ]
    assert shown == [(m.doc_id, m.kind) for m in right]


def test_a_try_against_a_snapshot(world):
    snapshot = services.take_snapshot(world.case, "base")
    services.run_case(world.case)
    page = _page(client_for(world.owner), world, a=f"snapshot-{snapshot.pk}", b="try-1")
    assert page.one("#compare-other td.delta").text == "0.0000"  # same try, same ratings
    assert page.select("ol.docs-a li[data-doc-id]")  # the snapshot's docs
    tries_side = page.select("ol.docs-b")
    assert tries_side and all("take a snapshot" in ol.text for ol in tries_side)


def test_a_try_never_run_is_an_error_on_the_page(world):
    page = _page(client_for(world.owner), world, a="try-1", b="try-1")
    assert "no recorded run" in page.one("#compare-error").text


def test_outsiders_and_other_cases_objects_are_404(world):
    snapshot = services.take_snapshot(world.case, "base")
    url = reverse("cases:compare", args=[world.case.pk])
    params = {"a": f"snapshot-{snapshot.pk}", "b": f"snapshot-{snapshot.pk}"}
    assert client_for(world.outsider).get(url, params).status_code == 404
    # Another case's snapshot, or a malformed side, is not found in this case.
    other = Case.objects.create(name="other", owner=world.owner, scorer=world.case.scorer)
    services.create_try(other, query_template="#$query##", endpoint=world.endpoint)
    services.add_query(other, "tent")
    theirs = services.take_snapshot(other, "theirs")
    owner = client_for(world.owner)
    assert owner.get(url, {"a": f"snapshot-{theirs.pk}", "b": params["b"]}).status_code == 404
    assert owner.get(url, {"a": "try-99", "b": params["b"]}).status_code == 404
    assert owner.get(url, {"a": "snapshot-x", "b": params["b"]}).status_code == 404
    assert owner.get(url, params).status_code == 200
