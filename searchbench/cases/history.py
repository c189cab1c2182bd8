"""Score history: one row per run of a case, ratings folded into the newest row, retention.

A run writes one ``ScoreHistory`` row (:func:`record`): the case score and every query's score or
error, packed (``scorepack``: about 4 bytes a query). A rating re-scores one query and updates the
newest row in place (:func:`fold_rating`), so rating a hundred documents adds no row. Old rows go
by the retention settings (:func:`prune`): ``SEARCHBENCH_HISTORY_KEEP_RUNS`` and
``SEARCHBENCH_HISTORY_KEEP_DAYS``; the newest row of a case is always kept.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from searchbench.cases import scorepack
from searchbench.cases.models import Case, Query, Rating, ScoreHistory, Scorer, Try
from searchbench.domain.scoring import UNRATED_COUNT_ZERO, UNRATED_LEAVE_OUT, case_mean_from_total


class ScoredRun(Protocol):
    """What a run hands over to be recorded; ``searchbench.loop.RunResult`` is one."""

    @property
    def score(self) -> float: ...

    @property
    def errors(self) -> Mapping[str, str]: ...

    def per_query(self) -> Mapping[str, float]: ...


class ScoredQuery(Protocol):
    """One query's new outcome after a rating; ``searchbench.loop.QueryResult`` is one."""

    @property
    def key(self) -> str: ...

    @property
    def score(self) -> float | None: ...

    error: str | None


class Point(NamedTuple):
    """One run in a case's history series (what a chart draws); a tuple, cheap by the 10,000."""

    at: datetime
    score: float
    run_score: float
    try_number: int | None
    scorer_name: str
    rated_at: datetime | None
    trigger: str = ""  # read only when asked (``series(with_trigger=True)``)


def record(
    case: Case,
    try_: Try,
    scorer: Scorer,
    result: ScoredRun,
    user: AbstractBaseUser | AnonymousUser | None,
    trigger: str,
) -> ScoreHistory:
    """Write the run's one row, then apply the retention settings to the case."""
    if trigger not in ScoreHistory.Trigger.values:
        raise ValueError(f"unknown trigger {trigger!r}: one of {ScoreHistory.Trigger.values}")
    row = ScoreHistory(
        case=case,
        try_ref=try_,
        scorer=scorer,
        scorer_name=scorer.name,
        score=result.score,
        run_score=result.score,
        trigger=trigger,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    row.set_queries(result.per_query(), result.errors)
    row.save()
    prune(case)
    return row


def latest(case: Case, *, packed: bool = True) -> ScoreHistory | None:
    """The newest row: the case's current scores (``packed=False``: without the per-query
    scores, for a look at which try and scorer it is for)."""
    rows = case.score_history.select_related("try_ref", "scorer")
    return (rows if packed else rows.defer("packed")).first()


def current_score_for(case: Case, scorer_name: str) -> tuple[float | None, str | None]:
    """The case score now if the newest row was scored with ``scorer_name``: ``(score, None)``;
    else ``(None, that row's scorer name)`` (None: never run) — so no page shows one scorer's
    number under another's name after the case's scorer changed."""
    row = case.score_history.values_list("score", "scorer_name").first()
    if row is None:
        return None, None
    score, name = row
    return (score, None) if name == scorer_name else (None, name)


def fold_rating(
    row: ScoreHistory, outcome: ScoredQuery, unrated_rule: str = UNRATED_COUNT_ZERO
) -> ScoreHistory | None:
    """Put one query's new outcome into ``row`` (the case's newest) and re-take the case score
    over the case's queries now, their unrated ones counted by ``unrated_rule`` (the case's); None, with nothing changed, when a query of the case other
    than this one has no entry in the row (added since the run: the case needs a whole run).
    The caller holds the case's lock.

    What it costs does not grow with the case: the packed entries are changed as arrays, and the
    database counts the case's queries instead of handing over their ids. Query ids only grow,
    so a query added since the run has an id above every recorded one; when the count of the
    others below that id is not the row's, a recorded query was deleted since (or a run missed
    one), and then, once, the case's ids are read and the row keeps theirs alone.
    """
    entries = scorepack.Entries.read(row.packed)
    key = int(outcome.key)
    # The unrated are counted in the same statement, and only when the rule leaves them out.
    unrated = (
        {"unrated": Count("pk", filter=~Exists(Rating.objects.filter(query=OuterRef("pk"))))}
        if unrated_rule == UNRATED_LEAVE_OUT
        else {}
    )
    counts = Query.objects.filter(case_id=row.case_id).aggregate(
        this=Count("pk", filter=Q(pk=key)),
        below=Count("pk", filter=Q(pk__lte=entries.top) & ~Q(pk=key)),
        above=Count("pk", filter=Q(pk__gt=entries.top) & ~Q(pk=key)),
        **unrated,
    )
    if counts["above"]:
        return None
    live = counts["this"] + counts["below"]
    if not counts["this"] or counts["below"] != len(entries) - entries.has(key):
        ids = set(Query.objects.filter(case_id=row.case_id).values_list("pk", flat=True))
        if ids - set(entries.ids.tolist()) - {key}:
            return None
        entries.keep(ids)
        live = len(ids)
    if counts["this"]:
        if outcome.error:
            entries.put(key, math.nan, outcome.error)
        else:
            entries.put(key, outcome.score if outcome.score is not None else 0.0)
    row.packed = entries.to_bytes()
    row.num_queries, row.num_errors = len(entries), entries.num_errors
    row.__dict__.pop("_unpacked", None)  # the per-query dicts read before
    # The one rule over the case's queries (a failed query counts 0), from the arrays' sum.
    row.score = case_mean_from_total(
        entries.total(), live, unrated=counts.get("unrated", 0), rule=unrated_rule
    )
    row.rated_at = timezone.now()
    row.save(update_fields=["packed", "num_queries", "num_errors", "score", "rated_at"])
    return row


def series(case: Case, limit: int | None = None, *, with_trigger: bool = False) -> list[Point]:
    """The case's runs, oldest first (the newest ``limit`` when given): one query on the
    (case, created_at) index that reads no per-query data. ``with_trigger`` adds each run's
    trigger (run or schedule), a column the index does not carry, so the rows are visited."""
    columns = ["created_at", "score", "run_score", "try_ref__number", "scorer_name", "rated_at"]
    rows = case.score_history.order_by("-created_at", "-id").values_list(
        *columns, *(["trigger"] if with_trigger else [])
    )
    picked = list(rows[:limit] if limit is not None else rows)
    return [Point(*values) for values in reversed(picked)]


def prune(case: Case | None = None, *, now: datetime | None = None) -> int:
    """Delete the rows the retention settings let go (of one case, or of every case); returns
    how many. A row stays when it is among its case's newest ``SEARCHBENCH_HISTORY_KEEP_RUNS``
    or younger than ``SEARCHBENCH_HISTORY_KEEP_DAYS`` days (0: that rule is off; both off:
    nothing goes); the newest row of a case always stays."""
    keep_runs: int = settings.SEARCHBENCH_HISTORY_KEEP_RUNS
    keep_days: int = settings.SEARCHBENCH_HISTORY_KEEP_DAYS
    if not keep_runs and not keep_days:
        return 0
    if case is not None:
        case_ids = [case.pk]
    else:
        case_ids = list(
            ScoreHistory.objects.order_by().values_list("case_id", flat=True).distinct()
        )
    cutoff = (now or timezone.now()) - timedelta(days=keep_days) if keep_days else None
    kept = max(keep_runs, 1)
    deleted = 0
    for case_id in case_ids:
        rows = ScoreHistory.objects.filter(case_id=case_id)
        newest = rows.order_by("-created_at", "-id").values_list("created_at", "id")
        # The oldest row kept by count; MariaDB refuses LIMIT inside IN (…), so compare with it.
        edge = list(newest[kept - 1 : kept])
        if not edge:
            continue
        (at, pk) = edge[0]
        doomed = rows.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
        if cutoff is not None:
            doomed = doomed.filter(created_at__lt=cutoff)
        deleted += doomed.delete()[0]
    return deleted
