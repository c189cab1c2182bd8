"""How a case counts its unrated queries (``Case.unrated_queries``): as 0, Quepid's rule, or left
out of the case score. One rule below every door: a run (web, through a job), a rating folded
into the newest history row, a snapshot, an export and import."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse

from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for


def settings_data(world, rule: str) -> dict:
    case = world.case
    return {
        "name": case.name,
        "scorer": case.scorer_id,
        "unrated_queries": rule,
        "options": "{}",
        "teams": [world.team.pk],
    }


def newest(case):
    return case.score_history.order_by("-created_at", "-id").first()


def scores_by_text(case, row) -> dict[str, float]:
    texts = dict(case.queries.values_list("pk", "text"))
    return {texts[int(k)]: v for k, v in row.per_query.items()}


@pytest.fixture
def socks(world):
    """An unrated third query: it finds a doc, but nobody has rated any for it."""
    from searchbench.cases import services

    return services.add_query(world.case, "wool socks")


@pytest.mark.django_db
def test_the_web_run_counts_unrated_as_zero_then_leaves_them_out(world, socks):
    client = client_for(world.owner)
    assert client.post(reverse("cases:run", args=[world.case.pk])).status_code == 302
    run = newest(world.case)
    by_text = scores_by_text(world.case, run)
    boots, tent = by_text["red boots"], by_text["tent"]
    assert by_text["wool socks"] == 0.0 and boots > 0 and tent > 0
    assert run.score == pytest.approx((boots + tent + 0) / 3)  # Quepid's rule, the default

    saved = client.post(
        reverse("cases:settings", args=[world.case.pk]), settings_data(world, "leave_out")
    )
    assert saved.status_code == 302
    world.case.refresh_from_db()
    assert world.case.unrated_queries == "leave_out"
    rescored = newest(world.case)  # the settings change ran the case again (a job)
    assert rescored.pk != run.pk
    assert rescored.score == pytest.approx((boots + tent) / 2)

    page = parse(client.get(reverse("cases:detail", args=[world.case.pk])).content)
    assert page.one("#unrated-rule").text == "unrated left out"
    assert float(page.one("#case-score").attrs["data-score"]) == pytest.approx((boots + tent) / 2)
    rows = {r.select("td a")[0].text: r for r in page.select("#queries tr.query-row")}
    assert rows["wool socks"].one("td.query-score").text == "unrated"  # not 0.000
    assert rows["tent"].one("td.query-score span.score").text == f"{tent:.3f}"


@pytest.mark.django_db
def test_a_rating_folds_into_the_history_by_the_case_rule(world, socks):
    """The rating path (history.fold_rating) takes the case score from counts, under both rules,
    and agrees with a whole run."""
    from searchbench.cases import services
    from searchbench.cases.models import Case

    client = client_for(world.owner)
    rate_url = reverse("cases:rate", args=[world.case.pk, socks.pk])
    for rule in ("count_zero", "leave_out"):
        Case.objects.filter(pk=world.case.pk).update(unrated_queries=rule)
        world.case.refresh_from_db()
        services.run_case(world.case)
        before = newest(world.case)
        by_text = scores_by_text(world.case, before)
        boots, tent = by_text["red boots"], by_text["tent"]
        expected = (boots + tent) / (3 if rule == "count_zero" else 2)
        assert before.score == pytest.approx(expected), rule

        # Rate socks' doc: no new row; socks now counts under both rules.
        client.post(rate_url, {"doc_id": "s1", "rating": "1"})
        folded = newest(world.case)
        assert folded.pk == before.pk and folded.rated_at is not None
        socks_score = scores_by_text(world.case, folded)["wool socks"]
        assert socks_score > 0
        assert folded.score == pytest.approx((boots + tent + socks_score) / 3), rule
        assert folded.score == pytest.approx(services.run_case(world.case).score), rule

        # Clear it: socks is unrated again and counts by the rule once more.
        client.post(rate_url, {"doc_id": "s1", "rating": "clear"})
        cleared = newest(world.case)
        assert cleared.score == pytest.approx(expected), rule
        assert services.run_case(world.case).score == pytest.approx(expected), rule


@pytest.mark.django_db
def test_the_rating_path_costs_the_same_statements_under_both_rules(world, socks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from searchbench.cases import services
    from searchbench.cases.models import Case

    client = client_for(world.owner)
    rate_url = reverse("cases:rate", args=[world.case.pk, socks.pk])
    counted = {}
    for rule in ("count_zero", "leave_out"):
        Case.objects.filter(pk=world.case.pk).update(unrated_queries=rule)
        world.case.refresh_from_db()
        services.run_case(world.case)
        with CaptureQueriesContext(connection) as captured:
            client.post(rate_url, {"doc_id": "s1", "rating": "1"})
        counted[rule] = len(captured)
        client.post(rate_url, {"doc_id": "s1", "rating": "clear"})
    assert counted["count_zero"] == counted["leave_out"], counted


@pytest.mark.django_db
def test_a_snapshot_scores_by_the_case_rule(world, socks):
    from searchbench.cases import services
    from searchbench.cases.models import Case

    Case.objects.filter(pk=world.case.pk).update(unrated_queries="leave_out")
    world.case.refresh_from_db()
    run = services.run_case(world.case)
    snapshot = services.take_snapshot(world.case, "left out")
    assert snapshot.score == pytest.approx(run.score)
    scored = [s for s in snapshot.queries.values_list("score", flat=True)]
    assert snapshot.score == pytest.approx(sum(scored) / 2)  # 3 queries, 1 unrated


@pytest.mark.django_db
def test_the_rule_travels_in_quepid_case_files(world):
    from searchbench.cases import transfer
    from searchbench.cases.models import Case

    text = transfer.export_text("quepid-case", world.case)
    assert "unrated_queries" not in text  # Quepid's own rule: the file stays as Quepid writes it
    Case.objects.filter(pk=world.case.pk).update(unrated_queries="leave_out")
    world.case.refresh_from_db()
    text = transfer.export_text("quepid-case", world.case)
    assert '"unrated_queries": "leave_out"' in text
    # (Quepid's format has no built-in engine: the try is left out of the file read back.)
    document = json.loads(text)
    del document["try"]
    upload = io.BytesIO(json.dumps(document).encode())
    transfer.import_into("quepid-case", upload, user=world.owner, case="Copy")
    assert Case.objects.get(owner=world.owner, name="Copy").unrated_queries == "leave_out"


@pytest.mark.django_db
def test_a_bad_rule_in_a_case_file_is_refused_by_name(world):
    from searchbench.domain.formats.interchange import FormatError
    from searchbench.domain.formats.quepid_case import read

    with pytest.raises(FormatError, match="unrated_queries.*'skip': one of count_zero, leave_out"):
        read(io.BytesIO(b'{"case_name": "x", "unrated_queries": "skip"}'), "case.json")


@pytest.mark.django_db
def test_a_clone_keeps_the_rule(world):
    from searchbench.cases import services
    from searchbench.cases.models import Case

    Case.objects.filter(pk=world.case.pk).update(unrated_queries="leave_out")
    world.case.refresh_from_db()
    assert services.clone_case(world.case, owner=world.owner).unrated_queries == "leave_out"


@pytest.mark.django_db
def test_a_settings_post_without_the_rule_keeps_it_and_does_not_rescore(world):
    from searchbench.cases.models import Case

    Case.objects.filter(pk=world.case.pk).update(unrated_queries="leave_out")
    data = settings_data(world, "leave_out")
    del data["unrated_queries"]
    data["name"] = "Renamed"
    response = client_for(world.owner).post(
        reverse("cases:settings", args=[world.case.pk]), data, follow=True
    )
    world.case.refresh_from_db()
    assert (world.case.name, world.case.unrated_queries) == ("Renamed", "leave_out")
    said = [m.text for m in parse(response.content).select("ul.messages li")]
    assert said == ["Case settings saved. Run the case to score it with them."]
    assert not world.case.score_history.exists()


@pytest.mark.django_db
def test_the_compare_page_and_api_pair_the_queries_the_case_score_counts(world, socks):
    # Two snapshots of a case that leaves its unrated query out: the compare page's and the API's
    # means are the case score (two rated queries), not a mean with the unrated one as 0.
    from searchbench.cases import services
    from searchbench.cases.models import Case

    Case.objects.filter(pk=world.case.pk).update(unrated_queries="leave_out")
    world.case.refresh_from_db()
    services.run_case(world.case)
    first = services.take_snapshot(world.case, "first")
    second = services.take_snapshot(world.case, "second")
    api = services.compare_snapshots(first, [second])
    assert api["queries"] == 2
    assert api["snapshots"][0]["mean"] == pytest.approx(first.score)
    page = client_for(world.owner).get(
        reverse("cases:compare", args=[world.case.pk]),
        {"a": f"snapshot-{first.pk}", "b": f"snapshot-{second.pk}"},
    )
    assert page.status_code == 200
    keys = [tr.attrs["data-key"] for tr in parse(page.content).select("tr.compare-query")]
    assert sorted(keys) == sorted(f"q{q.pk}" for q in (world.q_boots, world.q_tent))
