from __future__ import annotations

import pytest

from searchbench.cases import services
from searchbench.cases.models import Rating, ScoreHistory, SearchEndpoint


@pytest.mark.django_db
def test_it_runs_scores_and_records_history(world):
    run = services.run_case(world.case, user=world.owner)

    by_query = {o.key: o for o in run.outcomes}
    boots = by_query[str(world.q_boots.pk)]
    tent = by_query[str(world.q_tent.pk)]
    assert boots.error is None and tent.error is None
    returned = [d.id for d in boots.docs]
    assert returned[:2] == ["b1", "b2"] or returned[:2] == ["b2", "b1"]  # title^2 on both words
    # P@10 over the returned docs: b1 and b2 are the only relevant ones.
    assert boots.score == pytest.approx(2 / len(returned))
    assert [d.id for d in tent.docs] == ["t1"]
    assert tent.score == pytest.approx(1.0)  # 1 relevant / 1 returned
    assert run.score == pytest.approx((2 / len(returned) + 1.0) / 2)

    history = ScoreHistory.objects.get(case=world.case)
    assert history.score == pytest.approx(run.score)
    assert history.per_query == {str(world.q_boots.pk): boots.score, str(world.q_tent.pk): 1.0}
    assert history.try_ref == world.try_ and history.scorer_name == "quepid:P@10"
    assert history.created_by == world.owner and history.trigger == "run"


@pytest.mark.django_db
def test_a_run_asks_the_engine_for_no_explanations(world):
    # A run keeps scores, not explanations (the demo's first run, a rating that re-runs the
    # case): explaining was most of the built-in engine's time and debugQuery on Solr.
    run = services.run_case(world.case, user=world.owner)
    docs = [d for o in run.outcomes for d in o.result.docs]
    assert docs and all(d.explain is None for d in docs)
    assert services.search_query(world.case, world.q_boots).result.docs[0].explain is not None


@pytest.mark.django_db
def test_it_records_engine_faults_per_query_and_goes_on(world):
    world.try_.escape = False  # let the query syntax through, so the engine rejects it
    world.try_.save()
    world.q_bad = services.add_query(world.case, 'title:"unclosed')
    run = services.run_case(world.case)
    errors = run.errors
    assert list(errors) == [str(world.q_bad.pk)]
    assert errors[str(world.q_bad.pk)]  # the engine's message, not an empty string
    # The other two queries keep their scores; the failed one is listed and counts 0 in the
    # case score, as in `searchbench run`, so a broken engine never raises the score.
    assert set(run.history.per_query) == {str(world.q_boots.pk), str(world.q_tent.pk)}
    assert run.history.errors == errors
    ok = run.history.per_query.values()
    assert run.score == pytest.approx((sum(ok) + 0.0) / 3)
    assert run.history.score == pytest.approx(run.score)


@pytest.mark.django_db
def test_an_unknown_builtin_scorer_fails_the_queries_not_the_page(world):
    from searchbench.cases.models import Scorer

    # e.g. a scorer row left by an older version whose measure no longer exists
    world.case.scorer = Scorer.objects.create(name="quepid:NOPE@10", kind="builtin", scale=[0, 1])
    world.case.save()
    run = services.run_case(world.case)
    assert set(run.errors) == {str(world.q_boots.pk), str(world.q_tent.pk)}
    assert all(e.startswith("scorer quepid:NOPE@10: ") for e in run.errors.values())
    assert run.score == 0.0


@pytest.mark.django_db
def test_it_records_a_missing_index_as_errors_on_every_query(world):
    SearchEndpoint.objects.filter(pk=world.endpoint.pk).update(url="local://no-such-index")
    world.case.refresh_from_db()
    run = services.run_case(world.case)
    assert set(run.errors) == {str(world.q_boots.pk), str(world.q_tent.pk)}
    assert run.score == 0.0
    assert "no-such-index" in next(iter(run.errors.values()))


@pytest.mark.django_db
def test_rating_upserts_one_row(world):
    services.rate_doc(world.q_boots, "b3", 1, user=world.owner)
    services.rate_doc(world.q_boots, "b3", 0, user=world.teammate)
    rows = Rating.objects.filter(query=world.q_boots, doc_id="b3")
    assert rows.count() == 1
    assert rows.get().rating == 0.0 and rows.get().rated_by == world.teammate


@pytest.mark.django_db
def test_rating_off_the_scale_is_refused_and_nothing_changes(world):
    with pytest.raises(services.ServiceError, match=r"not on scorer quepid:P@10's scale \(0, 1\)"):
        services.rate_doc(world.q_boots, "b1", 3)
    assert Rating.objects.get(query=world.q_boots, doc_id="b1").rating == 1.0


@pytest.mark.django_db
def test_clearing_a_rating_deletes_it(world):
    services.rate_doc(world.q_boots, "b1", None)
    assert not Rating.objects.filter(query=world.q_boots, doc_id="b1").exists()


@pytest.mark.django_db
def test_rescore_changes_only_the_rated_query(world):
    first = services.run_case(world.case)
    tent_before = first.history.per_query[str(world.q_tent.pk)]
    services.rate_doc(world.q_boots, "b1", 0)
    outcome, history = services.rescore_query(world.case, world.q_boots)
    returned = [d.id for d in outcome.docs]
    assert outcome.score == pytest.approx(1 / len(returned))  # only b2 left relevant
    assert history.pk == first.history.pk  # the run's row, updated in place
    assert history.per_query[str(world.q_tent.pk)] == tent_before
    assert history.score == pytest.approx((1 / len(returned) + tent_before) / 2)
    assert history.run_score == pytest.approx(first.score)  # what the run itself measured
    assert history.rated_at is not None and history.trigger == "run"
    assert ScoreHistory.objects.filter(case=world.case).count() == 1


@pytest.mark.django_db
def test_rating_five_times_adds_no_history_rows(world):
    run = services.run_case(world.case)
    for grade in (0, 1, 0, 1, 0):
        services.rate_doc(world.q_boots, "b1", grade)
        services.rescore_query(world.case, world.q_boots)
    assert list(ScoreHistory.objects.filter(case=world.case).values_list("pk", flat=True)) == [
        run.history.pk
    ]
    current = services.latest_history(world.case)
    assert current.score < run.score  # b1 ends unrated-relevant (0): the boots query scores less


@pytest.mark.django_db
def test_a_run_adds_exactly_one_row_with_every_query(world):
    services.run_case(world.case)
    services.run_case(world.case)
    rows = list(ScoreHistory.objects.filter(case=world.case))
    assert len(rows) == 2
    assert {r.num_queries for r in rows} == {2} and {r.num_errors for r in rows} == {0}
    assert all(r.rated_at is None and r.score == r.run_score for r in rows)


@pytest.mark.django_db
def test_rescore_after_a_new_try_runs_the_whole_case(world):
    services.run_case(world.case)
    services.create_try(
        world.case,
        parent=world.try_,
        query_template='{"query": "#$query##"}',
        endpoint=world.endpoint,
    )
    _outcome, history = services.rescore_query(world.case, world.q_boots)
    assert history.trigger == "run"
    assert history.try_ref.number == 2


@pytest.mark.django_db
def test_tries_are_numbered_per_case(world):
    second = services.create_try(
        world.case, parent=world.try_, query_template="x", endpoint=world.endpoint
    )
    assert (second.number, second.parent) == (2, world.try_)
    assert world.case.current_try() == second


@pytest.mark.django_db
def test_a_case_without_a_try_says_so(world):
    world.case.tries.all().delete()
    with pytest.raises(services.ServiceError, match="has no try yet"):
        services.run_case(world.case)


@pytest.mark.django_db
def test_access_owner_teammate_outsider_public(world):
    readable = lambda user: set(services.readable_cases(user))  # noqa: E731
    assert world.case in readable(world.owner)
    assert world.case in readable(world.teammate)
    assert world.case not in readable(world.outsider)
    assert services.can_write(world.teammate, world.case)
    assert not services.can_write(world.outsider, world.case)
    world.case.public = True
    world.case.save()
    assert world.case in readable(world.outsider)
    assert not services.can_write(world.outsider, world.case)


@pytest.mark.django_db
def test_a_snapshot_freezes_results_scores_and_explains(world):
    from searchbench.cases.models import SnapshotDoc

    snapshot = services.take_snapshot(
        world.case, "  before tuning ", user=world.owner, explain=True
    )
    assert snapshot.name == "before tuning" and snapshot.try_ref == world.try_
    queries = {q.query_text: q for q in snapshot.queries.all()}
    assert set(queries) == {"red boots", "tent"}
    tent = queries["tent"]
    assert (tent.score, tent.num_results, tent.error) == (1.0, 1, "")
    doc = SnapshotDoc.objects.get(snapshot_query=tent)
    assert (doc.doc_id, doc.position, doc.fields["title"]) == ("t1", 0, "green tent")
    assert doc.explain["value"] > 0 and doc.explain["children"]
    assert snapshot.score == pytest.approx((queries["red boots"].score + 1.0) / 2)
    # Ratings change later; the snapshot does not.
    services.rate_doc(world.q_tent, "t1", 0)
    tent.refresh_from_db()
    assert tent.score == 1.0


@pytest.mark.django_db
def test_a_snapshot_needs_a_name(world):
    with pytest.raises(services.ServiceError, match="needs a name"):
        services.take_snapshot(world.case, "   ")


@pytest.mark.django_db
def test_a_failing_custom_scorer_is_reported_per_query(world):
    from searchbench.cases.models import Scorer

    world.case.scorer = Scorer.objects.create(
        name="fussy",
        kind="custom",
        scale=[0, 1],
        code='if (docs.length > 1) { throw new Error("too many docs"); }\nsetScore(0.5);',
    )
    world.case.save()
    run = services.run_case(world.case)
    assert "too many docs" in run.errors[str(world.q_boots.pk)]
    assert str(world.q_tent.pk) not in run.errors  # one doc: the scorer works
    assert run.history.per_query == {str(world.q_tent.pk): 0.5}
    assert run.score == pytest.approx((0.5 + 0.0) / 2)  # the failed query counts 0


@pytest.mark.django_db
def test_a_custom_scorer_with_a_syntax_error_fails_every_query_clearly(world):
    from searchbench.cases.models import Scorer

    world.case.scorer = Scorer.objects.create(
        name="broken", kind="custom", scale=[0, 1], code="setScore(1;\n"
    )
    world.case.save()
    run = services.run_case(world.case)
    assert set(run.errors) == {str(world.q_boots.pk), str(world.q_tent.pk)}
    assert all(e.startswith("scorer broken: ") for e in run.errors.values())
    assert run.score == 0.0 and run.history.per_query == {}


@pytest.mark.django_db
def test_an_unreadable_stored_password_fails_the_queries_not_the_page(world):
    SearchEndpoint.objects.filter(pk=world.endpoint.pk).update(password_encrypted="garbage")
    world.case.refresh_from_db()
    run = services.run_case(world.case)
    assert len(run.errors) == 2
    assert all("enter the password again" in e for e in run.errors.values())


@pytest.mark.django_db
def test_rescore_after_adding_queries_counts_every_query_of_the_case(world):
    # A query added after the last run must count in the case score once a rating re-scores,
    # as in a full run, not vanish from the mean.
    services.run_case(world.case)
    added = services.add_query(world.case, "wool socks")
    services.rate_doc(world.q_boots, "b3", 0)
    _outcome, history = services.rescore_query(world.case, world.q_boots)
    full = services.run_case(world.case)
    assert str(added.pk) in history.per_query
    assert history.score == pytest.approx(full.score)


@pytest.mark.django_db
def test_rescore_after_the_custom_scorer_changed_rescores_every_query(world):
    from searchbench.cases.models import Scorer

    scorer = Scorer.objects.create(
        name="always one", kind=Scorer.Kind.CUSTOM, scale=[0, 1], code="setScore(1);"
    )
    world.case.scorer = scorer
    world.case.save()
    services.run_case(world.case)
    scorer.code = "setScore(0.5);"
    scorer.save()
    _outcome, history = services.rescore_query(world.case, world.q_boots)
    # Every query under the new code, not the tent query's score from the old code.
    assert history.per_query[str(world.q_tent.pk)] == pytest.approx(0.5)
    assert history.score == pytest.approx(0.5)


@pytest.mark.django_db
def test_a_doc_id_longer_than_the_column_is_refused_clearly(world):
    long_id = "https://example.org/" + "x" * 300
    with pytest.raises(services.ServiceError, match="at most 255"):
        services.rate_doc(world.q_boots, long_id, 1)
    assert not Rating.objects.filter(query=world.q_boots, doc_id__startswith="https").exists()


@pytest.mark.django_db
def test_add_queries_goes_after_the_last_query_all_or_none(world):
    before = world.case.queries.count()
    last = max(world.case.queries.values_list("position", flat=True))
    with pytest.raises(services.ServiceError, match=r"^queries\[1\]: a query needs some text$"):
        services.add_queries(world.case, [{"text": "fine"}, {"text": "  \t "}])
    assert world.case.queries.count() == before
    added = services.add_queries(world.case, [{"text": " two   words "}, {"text": "next"}])
    assert [(q.text, q.position) for q in added] == [("two words", last + 1), ("next", last + 2)]
    assert services.add_query(world.case, "third").position == last + 3
