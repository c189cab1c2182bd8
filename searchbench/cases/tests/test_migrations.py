from __future__ import annotations

import pytest
from django.core.management import call_command

from searchbench.cases.models import SearchEndpoint, engine_kind_choices
from searchbench.engines import ENGINES


@pytest.mark.django_db
def test_models_and_migrations_agree():
    # Exits non-zero (SystemExit) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_engine_choices_come_from_the_registry():
    assert [kind for kind, _label in engine_kind_choices()] == list(ENGINES)
    field = SearchEndpoint._meta.get_field("kind")
    assert dict(field.choices) == {k: e.label for k, e in ENGINES.items()}


BEFORE = [("cases", "0004_endpoint_headers_encrypted")]
AFTER = [("cases", "0005_scorehistory_one_row_per_run")]


def _old_history(apps):
    """A case with the old shape's rows: a run, two rating rows after it (one per click), a run
    of another try with a failed query, and a stray rating row that follows no run of its try."""
    from datetime import UTC, datetime, timedelta

    User = apps.get_model("auth", "User")
    Scorer = apps.get_model("cases", "Scorer")
    Case = apps.get_model("cases", "Case")
    Try = apps.get_model("cases", "Try")
    Endpoint = apps.get_model("cases", "SearchEndpoint")
    History = apps.get_model("cases", "ScoreHistory")
    owner = User.objects.create(username="mig")
    scorer = Scorer.objects.create(name="mig:P@10", scale=[0, 1])
    endpoint = Endpoint.objects.create(name="e", kind="local", url="local://x", owner=owner)
    case = Case.objects.create(name="c", owner=owner, scorer=scorer)
    t1, t2 = (
        Try.objects.create(case=case, number=n, query_template="q", endpoint=endpoint)
        for n in (1, 2)
    )
    rows = [
        (t1, "run", 0.5, {"11": 0.5, "12": 0.5}, {}),
        (t1, "rating", 0.75, {"11": 1.0, "12": 0.5}, {}),
        (t1, "rating", 1.0, {"11": 1.0, "12": 1.0}, {}),
        (t2, "run", 0.2, {"11": 0.4}, {"12": "engine down"}),
        (t1, "rating", 0.3, {"11": 0.3, "12": 0.3}, {}),
    ]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = []
    for i, (try_, trigger, score, per_query, errors) in enumerate(rows):
        row = History.objects.create(
            case=case,
            try_ref=try_,
            scorer=scorer,
            scorer_name=scorer.name,
            score=score,
            per_query=per_query,
            errors=errors,
            trigger=trigger,
        )
        History.objects.filter(pk=row.pk).update(created_at=start + timedelta(minutes=i))
        made.append(row.pk)
    return case.pk, made, start


@pytest.mark.django_db(transaction=True)
def test_migration_0005_folds_rating_rows_into_their_run_and_packs_the_scores():
    from datetime import timedelta

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from searchbench.cases.models import ScoreHistory

    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        case_id, made, start = _old_history(executor.loader.project_state(BEFORE).apps)
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        rows = list(ScoreHistory.objects.filter(case_id=case_id).order_by("created_at"))
        assert [r.pk for r in rows] == [made[0], made[3], made[4]]  # two rating rows folded
        run, other, stray = rows
        assert (run.score, run.run_score) == (1.0, 0.5)
        assert run.per_query == {"11": 1.0, "12": 1.0} and run.errors == {}
        assert run.rated_at == start + timedelta(minutes=2) and run.trigger == "run"
        assert (other.per_query, other.errors) == ({"11": 0.4}, {"12": "engine down"})
        assert (other.num_queries, other.num_errors, other.rated_at) == (2, 1, None)
        assert stray.trigger == "run" and stray.rated_at == start + timedelta(minutes=4)

        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)  # and back: every row gets its JSON objects again
        History = executor.loader.project_state(BEFORE).apps.get_model("cases", "ScoreHistory")
        back = History.objects.get(pk=made[3])
        assert (back.per_query, back.errors) == ({"11": 0.4}, {"12": "engine down"})
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(leaves)
