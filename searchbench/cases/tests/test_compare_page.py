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


def test_three_sides_each_against_the_baseline_with_the_correction_over_the_family(world):
    """A baseline and two others: every other side's delta, CI and p-value as
    ``domain.stats.compare`` gives them for the three samples at once (Holm over two p-values),
    the per-query table with a score and delta column per side sorted by the biggest change of
    any, and each snapshot's docs with their movements and drops against the baseline's."""
    base = services.take_snapshot(world.case, "title boost")
    _try2(world)  # body only
    body = services.take_snapshot(world.case, "body only")
    _try2(world, '{"query": "socks", "fields": ["title"]}')  # finds the socks whatever the query
    socks = services.take_snapshot(world.case, "socks")
    sides = [f"snapshot-{s.pk}" for s in (base, body, socks)]
    url = reverse("cases:compare", args=[world.case.pk])
    response = client_for(world.owner).get(url, [("a", sides[0]), ("b", sides[1]), ("b", sides[2])])
    assert response.status_code == 200
    page = parse(response.content.decode())

    keys = sorted(f"q{q.pk}" for q in (world.q_boots, world.q_tent))
    scores = [services.snapshot_side(s).scores for s in (base, body, socks)]
    samples = {str(i): [s.get(k, 0.0) for k in keys] for i, s in enumerate(scores)}
    expected = compare(samples, test="ttest", correction="holm")
    rows = page.select("#compare-summary tr.compare-other")
    assert [r.attrs["data-side"] for r in rows] == sides[1:]
    assert [r.attrs["id"] for r in rows] == ["compare-other", "compare-other-2"]
    for row, want in zip(rows, expected[1:], strict=True):
        assert row.one("td.delta").text == f"{want.delta:+.4f}".replace("+0.0000", "0.0000")
        if row.one("td.p-adjusted").attrs["data-p"]:
            assert float(row.one("td.p-adjusted").attrs["data-p"]) == pytest.approx(want.p_adjusted)
    # Per query: baseline, then (score, delta) per other side; sorted by the biggest change.
    queries = page.select("#compare-queries tr.compare-query")
    assert len(page.select("#compare-queries thead th")) == 1 + 1 + 2 * 2
    biggest = []
    for tr in queries:
        i = keys.index(tr.attrs["data-key"])
        deltas = [samples["1"][i] - samples["0"][i], samples["2"][i] - samples["0"][i]]
        shown = [float(td.text.strip()) for td in tr.select("td.delta")]
        assert shown == pytest.approx(deltas, abs=5e-4)
        biggest.append(max(deltas, key=abs))
        assert float(tr.attrs["data-delta"]) == pytest.approx(biggest[-1])
    assert [abs(b) for b in biggest] == sorted((abs(b) for b in biggest), reverse=True)
    # Docs: the baseline's, then each other side's with its movements against the baseline.
    from searchbench.cases.models import SnapshotQuery
    from searchbench.domain.movements import movements

    def ranking(snapshot):
        row = SnapshotQuery.objects.get(snapshot=snapshot, query=world.q_boots)
        return [d.doc_id for d in row.docs.order_by("position")][:10]

    trs = page.select("#compare-queries tbody tr")
    boots = page.one(f"tr.compare-query[data-key=q{world.q_boots.pk}]")
    docs_row = trs[trs.index(boots) + 1]
    assert [ol.attrs["data-side"] for ol in docs_row.select("ol")] == sides
    for snapshot, side in ((body, sides[1]), (socks, sides[2])):
        left, right = movements(ranking(base), ranking(snapshot))
        ol = docs_row.one(f"ol.docs-b[data-side={side}]")
        assert [(li.attrs["data-doc-id"], li.attrs["data-move"]) for li in ol.select("li")] == [
            (m.doc_id, m.kind) for m in right
        ]
        dropped = [m.doc_id for m in left if m.kind == "dropped"]
        assert ol.parent is not None
        shown = [s.attrs["data-doc-id"] for s in ol.parent.select("p.dropped span")]
        assert shown == dropped
    # The socks lose the boots: something is dropped there; each doc links to "why it moved".
    socks_side = docs_row.one(f"ol[data-side={sides[2]}]").parent
    assert socks_side is not None and socks_side.select("p.dropped span")
    link = docs_row.one(f"ol[data-side={sides[2]}] li a").attrs["href"]
    assert link.startswith(reverse("explain:moved", args=[world.case.pk, world.q_boots.pk]))
    assert f"a={sides[0]}" in link and f"b={sides[2]}" in link and "doc=" in link
    # The pager keeps every side.
    assert page.one("#compare-b2 option[selected]").attrs["value"] == sides[2]
    assert page.one("#compare-b3 option[selected]").attrs["value"] == ""  # add one more


def test_too_many_sides_is_an_error_on_the_page(world):
    snapshot = services.take_snapshot(world.case, "base")
    key = f"snapshot-{snapshot.pk}"
    url = reverse("cases:compare", args=[world.case.pk])
    params = [("a", key)] + [("b", key)] * 8
    page = parse(client_for(world.owner).get(url, params).content.decode())
    assert "at most 8 sides" in page.one("#compare-error").text


def test_the_statistics_are_computed_once_per_set_of_sides_not_per_page(world, monkeypatch):
    """The bootstrap is the page's cost at 10,000 queries: the next page, a reload or another
    test/correction choice's second view reuse it; other scores are another computation."""
    from searchbench.domain import stats

    calls = []
    real = stats.compare

    def counting(*args, **kwargs):
        calls.append(kwargs.get("test"))
        return real(*args, **kwargs)

    monkeypatch.setattr(stats, "compare", counting)
    services._compared.cache_clear()
    first = services.take_snapshot(world.case, "title boost")
    _try2(world)
    second = services.take_snapshot(world.case, "body only")
    owner = client_for(world.owner)
    sides = {"a": f"snapshot-{first.pk}", "b": f"snapshot-{second.pk}"}
    summary = _page(owner, world, **sides).one("#compare-summary").text
    assert _page(owner, world, **sides, page="2").one("#compare-summary").text == summary
    assert len(calls) == 1
    _page(owner, world, **sides, test="wilcoxon")
    _page(owner, world, a=sides["b"], b=sides["a"])  # the other way round: other samples
    assert calls == ["ttest", "wilcoxon", "ttest"]


def test_the_doc_lists_escape_titles_and_ids_as_a_template_would():
    from searchbench.cases.templatetags.compare_tags import side_docs
    from searchbench.cases.try_views import SideDocs
    from searchbench.domain.movements import movements

    side = services.CompareSide("snapshot-1", "snapshot “<b>”", "P@10", {})
    docs = [services.ShownDoc('a&"b', 1, "<script>x</script>"), services.ShownDoc("c/d", 2, "C")]
    _left, right = movements(["c/d"], [d.id for d in docs])
    html = str(
        side_docs(SideDocs(side, list(zip(docs, right, strict=True)), [], "/m?a=x&b=y"), False)
    )
    page = parse(html)
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    items = page.select("ol.docs-b li")
    assert [li.attrs["data-doc-id"] for li in items] == ['a&"b', "c/d"]
    assert [li.attrs["data-move"] for li in items] == ["new", "down"]
    assert items[0].one("a").attrs["href"] == "/m?a=x&b=y&doc=a%26%22b"
    assert page.one("ol").attrs["aria-label"] == "snapshot “<b>”"
    assert "take a snapshot" in str(side_docs(SideDocs(side, None, []), True))


def test_the_tries_page_picks_a_baseline_and_others_for_the_compare_page(world):
    services.run_case(world.case)
    services.run_case(world.case, try_=_try2(world))
    _try2(world, '{"query": "socks", "fields": ["title"]}')  # try 3, never run
    page = parse(client_for(world.owner).get(reverse("cases:tries", args=[world.case.pk])).content)
    form = page.one("form#compare-tries")
    assert form.attrs["action"] == reverse("cases:compare", args=[world.case.pk])
    assert form.attrs["method"] == "get"
    picks = {i.attrs["id"]: i for i in page.select("td.compare-pick input")}
    assert set(picks) == {"compare-a-1", "compare-b-1", "compare-a-2", "compare-b-2"}  # run ones
    assert all(i.attrs["form"] == "compare-tries" for i in picks.values())
    assert [i.attrs["value"] for i in picks.values() if "checked" in i.attrs] == ["try-2", "try-1"]
    # What the form sends (the checked baseline, the checked others) is a comparison.
    compared = _page(client_for(world.owner), world, a="try-1", b="try-2")
    assert compared.one("#compare-other").attrs["data-side"] == "try-2"
