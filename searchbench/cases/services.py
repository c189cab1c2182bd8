"""The relevance loop on stored cases: search, score, record, rate. Views and the demo call these;
they know nothing about HTTP."""

from __future__ import annotations

import functools
import gc
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from searchbench import loop
from searchbench.accounts.services import own_or_shared, owns_or_shares
from searchbench.cases import history as history_store
from searchbench.cases import scorepack
from searchbench.cases.models import (
    Case,
    Query,
    Rating,
    ScoreHistory,
    Scorer,
    SearchEndpoint,
    Snapshot,
    SnapshotDoc,
    SnapshotQuery,
    StaticResultSet,
    Try,
)
from searchbench.domain.scoring import UNRATED_LEAVE_OUT, ScorerRef
from searchbench.domain.search import ExplainNode
from searchbench.loop import Plan, PlannedQuery, QueryResult, RunResult
from searchbench.web.ids import parse_id
from searchbench.web.logging import get_logger

log = get_logger("searchbench.cases")


class ServiceError(Exception):
    """The request makes sense but cannot be done (no try, no endpoint, bad rating...)."""


# ---------------------------------------------------------------------------------------------
# Access


def readable_cases(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Case]:
    """Cases the user may see: own, shared with one of their teams, or public."""
    if not user.is_authenticated:
        return Case.objects.none()
    return Case.objects.filter(
        Q(owner=user) | Q(teams__memberships__user=user) | Q(public=True)
    ).distinct()


def readable_case(user: AbstractBaseUser | AnonymousUser, case_id: int) -> Case | None:
    """The case if the user may see it, with its scorer and owner; None otherwise (every door
    answers "not found" then: a case's existence is not disclosed)."""
    return readable_cases(user).select_related("scorer", "owner").filter(pk=case_id).first()


def can_write(user: AbstractBaseUser | AnonymousUser, case: Case) -> bool:
    """The owner and the members of the case's teams (not a public case's other readers)."""
    return owns_or_shares(user, case)


def may_search(user: AbstractBaseUser | AnonymousUser, case: Case) -> bool:
    """Whether the user may send searches through the case's endpoints (the query page, explain,
    run, rate, snapshot): those who may change it. A reader of a public case sees its stored
    results only (``stored_query_result``): the owner's endpoint, its credentials and its
    request budget are not theirs to spend."""
    return can_write(user, case)


def usable_endpoints(user: AbstractBaseUser | AnonymousUser) -> QuerySet[SearchEndpoint]:
    """Endpoints the user may list, test and pick for a try: own, or shared with their team.
    (Only the owner edits one: its credentials are theirs.)"""
    return own_or_shared(SearchEndpoint.objects.all(), user)


def usable_scorers(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Scorer]:
    """Scorers the user may see and pick for a case: every built-in, and custom scorers they own
    or that are shared with one of their teams. (Only the owner edits one.)"""
    if not user.is_authenticated:
        return Scorer.objects.none()
    return Scorer.objects.filter(
        Q(kind=Scorer.Kind.BUILTIN) | Q(owner=user) | Q(teams__memberships__user=user)
    ).distinct()


# Data kept on the server that an endpoint's URL names (``static://NAME``, ``local://NAME``), by
# engine kind: (the model saying who may use it, the engine's "is NAME stored?"). Each model has a
# unique name, an owner (None: the operator's) and teams; the rule below is the same for all.
STORED_DATA: dict[str, tuple[str, str]] = {
    "static": ("cases.StaticResultSet", "searchbench.engines.static:exists"),
    "local": ("indexes.LocalIndex", "searchbench.engines.local.index:index_exists"),
}


def _stored_model(kind: str) -> Any:
    from django.apps import apps

    return apps.get_model(STORED_DATA[kind][0])


def usable_data(user: AbstractBaseUser | AnonymousUser, kind: str) -> QuerySet[Any]:
    """Stored data of an engine ``kind`` (static result sets, built-in indexes) the user may
    point an endpoint at: own, or shared with their team.

    Data without an owner is the operator's (made with the CLI without ``--owner``): usable by
    nobody on the web, staff included, until the operator assigns it — the one rule that cannot
    leak an operator's data to whoever guesses its name first.
    """
    return own_or_shared(_stored_model(kind).objects.all(), user)


def may_use_data(user: AbstractBaseUser | AnonymousUser, kind: str, name: str) -> bool:
    # Compared here too: MariaDB's collation matches names case-insensitively, files do not.
    return name in usable_data(user, kind).filter(name=name).values_list("name", flat=True)


def data_name_taken(user: AbstractBaseUser | AnonymousUser, kind: str, name: str) -> str | None:
    """Why ``user`` may not store data of ``kind`` as NAME (None: theirs, or free). Another
    user's and the operator's (a row without owner, or files without a row) are refused alike,
    without saying whose it is."""
    import importlib

    module, _, func = STORED_DATA[kind][1].partition(":")
    stored = getattr(importlib.import_module(module), func)
    row = _stored_model(kind).objects.filter(name=name).first()
    mine = (
        row is not None
        and row.name == name  # MariaDB's collation matches names case-insensitively
        and row.owner_id is not None
        and row.owner_id == user.pk
    )
    if mine or (row is None and not stored(name)):
        return None
    return f"{kind}://{name} is taken; choose another name"


def check_endpoint_data(endpoint: SearchEndpoint) -> None:
    """EngineError when the endpoint names stored results its owner may not use. Checked on
    every read (a search, a test), so a set whose owner stops sharing it is not read again."""
    from searchbench.engines import ENGINES, EngineError
    from searchbench.engines.static import StaticResultsError, static_name

    engine = ENGINES.get(endpoint.kind)
    if engine is None or not engine.stored_results or "results" in (endpoint.options or {}):
        return  # not a stored set (a snapshot served from the options before sets had owners)
    try:
        name = static_name(endpoint.url)
    except StaticResultsError as exc:
        raise EngineError(str(exc)) from None
    if not may_use_data(endpoint.owner, "static", name):
        raise EngineError(f"static://{name} is not a result set the endpoint's owner may use")


# ---------------------------------------------------------------------------------------------
# Searching and scoring


# The loop's result for one query (``.key`` is the query's pk as text); see searchbench.loop.
QueryOutcome = QueryResult


@dataclass
class CaseRun:
    case: Case
    try_: Try
    result: RunResult
    history: ScoreHistory

    @property
    def score(self) -> float:
        return self.result.score

    @property
    def outcomes(self) -> list[QueryResult]:
        return self.result.queries

    @property
    def errors(self) -> dict[str, str]:
        return self.result.errors


def _require_try(case: Case, try_: Try | None) -> Try:
    chosen = try_ or case.current_try()
    if chosen is None:
        raise ServiceError(f"case {case.name!r} has no try yet: create one first")
    return chosen


def _ratings_of(queries: Iterable[Query]) -> dict[int, dict[str, float]]:
    ratings: dict[int, dict[str, float]] = {q.pk: {} for q in queries}
    for qid, doc_id, value in Rating.objects.filter(query__in=list(ratings)).values_list(
        "query_id", "doc_id", "rating"
    ):
        ratings[qid][doc_id] = value
    return ratings


class _BrokenEndpoint:
    """Stands in for an engine the endpoint cannot make: every query fails with the reason."""

    kind = "unusable"

    def __init__(self, message: str) -> None:
        self.message = message

    def search(self, query: Any, try_config: Any) -> Any:
        from searchbench.engines import SearchResult

        return SearchResult(error=self.message)


def plan_case(case: Case, try_: Try, queries: Sequence[Query], *, explain: bool = True) -> Plan:
    """The loop's plan for some queries of a stored case: engine, try, scorer, ratings.

    ``explain``: ask the engine for each result's score breakdown, for callers that show or keep
    it (the query page, a snapshot). Callers that keep only scores pass False: explaining costs
    the engine more than the search itself (tantivy's trees, Solr's ``debugQuery``)."""
    from searchbench.engines import EngineError
    from searchbench.web.crypto import CredentialError

    engine: Any
    try:
        engine = endpoint_engine(try_.endpoint)
    except (EngineError, CredentialError) as exc:
        # The endpoint itself is unusable: every query fails with the same, visible reason.
        engine = _BrokenEndpoint(f"endpoint {try_.endpoint.name!r}: {exc}")
    ratings = _ratings_of(queries)
    return Plan(
        engine=engine,
        try_config=replace(try_.to_config(), explain=explain),
        scorers=[case.scorer.ref],
        queries=[
            PlannedQuery(
                key=str(q.pk),
                text=q.text,
                options={**(case.options or {}), **(q.options or {})},
                ratings=ratings[q.pk],
            )
            for q in queries
        ],
        options=dict(case.options or {}),
        concurrency=settings.SEARCHBENCH_ENGINE_CONCURRENCY,
        unrated_rule=case.unrated_queries,
    )


def run_case(
    case: Case,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    try_: Try | None = None,
) -> CaseRun:
    """Run every query of the case's current try, score it and record a ScoreHistory row.

    An engine fault on one query is recorded in the run's errors; the other queries still count.
    The case score is the loop's one rule: the mean over all queries, a failed one counting 0.
    """
    chosen = _require_try(case, try_)
    queries = list(case.queries.all())
    # A run keeps scores: no explanations asked of the engine (its most costly part).
    result = loop.execute(plan_case(case, chosen, queries, explain=False))
    history = record_run(case, chosen, case.scorer, result, user, ScoreHistory.Trigger.RUN)
    log.info(
        "case_run",
        case_id=case.pk,
        try_number=chosen.number,
        scorer=case.scorer.name,
        score=round(result.score, 6),
        queries=len(queries),
        failed=history.num_errors,
    )
    return CaseRun(case=case, try_=chosen, result=result, history=history)


def record_run(
    case: Case,
    try_: Try,
    scorer: Scorer,
    run_result: history_store.ScoredRun,
    user: AbstractBaseUser | AnonymousUser | None,
    trigger: str,
) -> ScoreHistory:
    """Record a finished run of ``case`` as its one score-history row and apply the retention
    settings. ``run_result`` is the loop's RunResult (or anything with ``score``, ``errors`` and
    ``per_query()`` keyed by query pk as text) over every query of the run; ``scorer`` is the
    one it was scored with; ``trigger`` a ``ScoreHistory.Trigger`` value."""
    return history_store.record(case, try_, scorer, run_result, user, trigger)


def search_query(
    case: Case,
    query: Query,
    try_: Try | None = None,
    *,
    explain: bool = True,
    scorer: ScorerRef | None = None,
) -> QueryOutcome:
    """One query's results with their ratings and score, for the results page (nothing recorded;
    ``explain``: with each result's score breakdown; ``scorer``: scored with it instead of the
    case's, as the scorer editor's "test on this query" does)."""
    chosen = _require_try(case, try_)
    plan = plan_case(case, chosen, [query], explain=explain)
    if scorer is not None:
        plan = replace(plan, scorers=[scorer])
    return loop.execute(plan).queries[0]


def query_neighbours(query: Query) -> tuple[int | None, int | None]:
    """The ids of the queries before and after ``query`` in its case's order (position, then
    id): two lookups on the (case, position) index, whatever the size of the case."""
    same = Query.objects.filter(case_id=query.case_id).values_list("pk", flat=True)
    at, pk = query.position, query.pk
    # position__lte/gte alone is what the index can seek to; the OR breaks ties by id.
    before = same.filter(Q(position__lt=at) | Q(position=at, pk__lt=pk), position__lte=at)
    after = same.filter(Q(position__gt=at) | Q(position=at, pk__gt=pk), position__gte=at)
    return (
        before.order_by("-position", "-pk").first(),
        after.order_by("position", "pk").first(),
    )


@dataclass
class StoredQueryResult:
    """A query's results as last stored, for readers who may not search (``may_search``)."""

    outcome: QueryOutcome | None  # the newest snapshot's docs; None when no snapshot has them
    score: float | None  # the query's score in the case's current scores (the newest run's)
    source: str | None  # the snapshot the docs come from, in words


def newest_snapshot_query(case: Case, query: Query) -> SnapshotQuery | None:
    """The query's row in the newest snapshot of the case that has it."""
    return (
        SnapshotQuery.objects.select_related("snapshot__try_ref")
        .filter(snapshot__case=case, query=query)
        .order_by("-snapshot__created_at", "-snapshot_id")
        .first()
    )


def stored_query_result(case: Case, query: Query) -> StoredQueryResult:
    """The query's docs in the newest snapshot that has it, with its current ratings, and its
    score from the newest run. Sends nothing to any engine."""
    from searchbench.domain.fieldspec import parse_field_spec
    from searchbench.domain.scorers import RankedDoc
    from searchbench.domain.search import SearchResult
    from searchbench.engines.base import build_doc

    last = history_store.latest(case)
    # One query's score, read from the packed arrays without building the case's dicts.
    score = scorepack.score_of(last.packed, query.pk) if last is not None and last.packed else None
    stored = newest_snapshot_query(case, query)
    if stored is None:
        return StoredQueryResult(None, score, None)
    snapshot = stored.snapshot
    spec = parse_field_spec(snapshot.try_ref.field_spec if snapshot.try_ref else "")
    ratings = _ratings_of([query])[query.pk]
    docs = [
        build_doc(spec, row.position, row.fields or {}, doc_id=row.doc_id)
        for row in stored.docs.order_by("position")
    ]
    outcome = QueryResult(
        query=PlannedQuery(key=str(query.pk), text=query.text, ratings=ratings),
        result=SearchResult(total=stored.num_results, docs=docs),
        docs=[RankedDoc(id=d.id, fields=d.fields, rating=ratings.get(d.id)) for d in docs],
        error=stored.error or None,
    )
    when = f"{snapshot.created_at:%Y-%m-%d %H:%M} UTC"
    return StoredQueryResult(outcome, score, f"snapshot “{snapshot.name}” of {when}")


def latest_history(case: Case) -> ScoreHistory | None:
    """The case's newest score-history row: its current scores."""
    return history_store.latest(case)


def rescore_query(
    case: Case,
    query: Query,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    start_run: Callable[[Case, Try], Any] | None = None,
) -> tuple[QueryOutcome, ScoreHistory | None]:
    """Re-score one query after its ratings changed and update the case's current scores.

    The newest history row takes the query's new score and the new case score in place (no row
    per rating) when it is for the same try and scorer and has every other query of the case;
    otherwise the whole case is run and recorded, so a history row never mixes tries or scorers:
    here, or, given ``start_run`` (the web app queues a job for the workers), by whoever
    ``start_run(case, try)`` hands it to — then the query is searched alone and no history row
    comes back. No lock is held while the engine is called: it reads, searches (for the score:
    no explanations), then merges under a short lock on the case (two ratings at once must not
    drop each other's new score from the history). None of it reads every query of the case
    (``history.fold_rating``), so a rating costs the same in a case of 10 or 10,000 queries.
    """
    chosen = _require_try(case, None)
    outcome = None
    if not _needs_full_run(case, chosen, history_store.latest(case, packed=False)):
        outcome = search_query(case, query, chosen, explain=False)
        with transaction.atomic():
            Case.objects.select_for_update().only("pk").get(pk=case.pk)
            last = latest_history(case)
            # The last record may have changed while the engine answered (another try, scorer).
            if not _needs_full_run(case, chosen, last):
                folded = history_store.fold_rating(last, outcome, case.unrated_queries)
                if folded is not None:
                    return outcome, folded
        # A query added since the last record has no score there: leaving it out would make the
        # case score a mean over a subset (adding queries then rating one could show 1.0).
    if start_run is not None:
        start_run(case, chosen)
        return outcome or search_query(case, query, chosen, explain=False), None
    run = run_case(case, user=user, try_=chosen)
    outcome = next(o for o in run.outcomes if o.key == str(query.pk))
    return outcome, run.history


def _needs_full_run(case: Case, chosen: Try, last: ScoreHistory | None) -> bool:
    """Whether the last record cannot take a rating: none yet, another try or scorer, or the
    custom scorer's code or the case options (which scorers read) changed since."""
    return bool(
        last is None
        or last.try_ref_id != chosen.pk
        or last.scorer_name != case.scorer.name
        or case.scorer.updated_at > last.created_at
        or case.updated_at > last.created_at
    )


# ---------------------------------------------------------------------------------------------
# Ratings, queries, tries


def check_rating(scorer: Scorer, value: float) -> float:
    scale = [float(v) for v in scorer.scale or []]
    if scale and float(value) not in scale:
        allowed = ", ".join(f"{v:g}" for v in scale)
        raise ServiceError(f"rating {value:g} is not on scorer {scorer.name}'s scale ({allowed})")
    return float(value)


def rate_doc(
    query: Query,
    doc_id: str,
    value: float | None,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
) -> Rating | None:
    """Set (upsert) or, with value None, clear one rating. One row per (query, doc), always."""
    doc_id = doc_id.strip()
    if not doc_id:
        raise ServiceError("a rating needs a doc id")
    limit = Rating._meta.get_field("doc_id").max_length or 0
    if len(doc_id) > limit:
        # PostgreSQL and MariaDB refuse it with a database error (SQLite would store it).
        raise ServiceError(f"doc id {doc_id[:40]!r}… is {len(doc_id)} characters; at most {limit}")
    if value is None:
        Rating.objects.filter(query=query, doc_id=doc_id).delete()
        return None
    rating = check_rating(query.case.scorer, value)
    rated_by = user if user is not None and user.is_authenticated else None
    try:
        with transaction.atomic():
            obj, _ = Rating.objects.update_or_create(
                query=query,
                doc_id=doc_id,
                # The rater is now a user: an imported rater's e-mail no longer applies.
                defaults={"rating": rating, "rated_by": rated_by, "rater_email": ""},
            )
    except IntegrityError:
        # Two raters at once: the other insert won the unique constraint; update that row.
        obj = Rating.objects.get(query=query, doc_id=doc_id)
        obj.rating, obj.rated_by, obj.rater_email = rating, rated_by, ""
        obj.save(update_fields=["rating", "rated_by", "rater_email", "rated_at"])
    return obj


def query_text(text: str) -> str:
    """A query's text as it is stored: runs of whitespace as one space. ServiceError when none
    is left."""
    text = " ".join(text.split())
    if not text:
        raise ServiceError("a query needs some text")
    return text


def _last_position(case: Case) -> int:
    """The position of the case's last query (0: none yet); new queries go after it."""
    return case.queries.order_by("-position").values_list("position", flat=True).first() or 0


def add_query(case: Case, text: str, **extra: Any) -> Query:
    text = query_text(text)
    return Query.objects.create(case=case, text=text, position=_last_position(case) + 1, **extra)


def create_try(case: Case, *, parent: Try | None = None, **fields: Any) -> Try:
    """A new try numbered after the case's last one (the unique constraint guards races)."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                return Try.objects.create(
                    case=case, number=case.next_try_number(), parent=parent, **fields
                )
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


# ---------------------------------------------------------------------------------------------
# Snapshots


SNAPSHOT_BATCH = 500  # rows per INSERT (Django lowers it where a database allows fewer)
QUERIES_AT_ONCE = 10_000  # queries one request may add (the API's bulk add, a paste or a file)
SNAPSHOT_DOC_BATCH = 2000  # doc rows per INSERT: a 10,000-query snapshot is about 50 of them


def _json_text(value: Any) -> str:
    """``value`` as JSON text, encoded once by the C encoder (explain trees straight from their
    nodes). PostgreSQL and MariaDB JSON columns refuse NaN and infinities: a value with one (or
    of a type JSON lacks) is copied first with NaN as null and odd types as text."""
    try:
        return json.dumps(value, allow_nan=False, default=_explain_fields)
    except (ValueError, TypeError, RecursionError):
        plain = value.to_dict() if isinstance(value, ExplainNode) else value
        return json.dumps(_jsonable_copy(plain))


def _explain_fields(node: Any) -> dict[str, Any]:
    """One explain node for the JSON encoder, as ``ExplainNode.to_dict`` has it (its children
    are encoded the same way, so no dict of the whole tree is built)."""
    if not isinstance(node, ExplainNode):
        raise TypeError(f"{type(node).__name__} is not JSON")
    return {
        "value": node.value,
        "description": node.description,
        "kind": node.kind,
        "field": node.field,
        "term": node.term,
        "children": node.children,
    }


def _jsonable_copy(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _jsonable_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable_copy(v) for v in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def take_snapshot(
    case: Case,
    name: str,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    explain: bool = False,
) -> Snapshot:
    """Run the current try and freeze every query's results and scores, and with ``explain``
    each result's score breakdown too (about 4 KB a doc: 40 times the rest of a snapshot, and
    most of the engine's time on the built-in engine)."""
    name = name.strip()
    if not name:
        raise ServiceError("a snapshot needs a name")
    chosen = _require_try(case, None)
    run = loop.execute(plan_case(case, chosen, list(case.queries.all()), explain=explain))
    with transaction.atomic():
        snapshot = Snapshot.objects.create(
            case=case,
            try_ref=chosen,
            name=name[:200],
            scorer_name=case.scorer.name,
            score=run.score,
            created_by=user if user is not None and user.is_authenticated else None,
        )
        _write_snapshot_rows(snapshot, run.queries)
    return snapshot


@contextmanager
def _gc_frozen() -> Iterator[None]:
    """Python's cycle collector leaves alone what is alive now — a big run's results are millions
    of objects (explain trees), which every full collection would scan again while the rows are
    built: half the time of writing a snapshot."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _write_snapshot_rows(snapshot: Snapshot, outcomes: Sequence[QueryResult]) -> None:
    """Every query's row, then every doc's, each in a few multi-row INSERTs (a 10,000-query
    snapshot is about 200 statements, not 10,000)."""
    with _gc_frozen():
        _insert_snapshot_rows(snapshot, outcomes)


def _insert_snapshot_rows(snapshot: Snapshot, outcomes: Sequence[QueryResult]) -> None:
    squeries = [
        SnapshotQuery(
            snapshot=snapshot,
            query_id=int(outcome.key),
            query_text=outcome.query.text,
            score=outcome.score,
            num_results=outcome.result.total if not outcome.error else 0,
            error=outcome.error or "",
        )
        for outcome in outcomes
    ]
    SnapshotQuery.objects.bulk_create(squeries, batch_size=SNAPSHOT_BATCH)
    if any(sq.pk is None for sq in squeries):
        # PostgreSQL, SQLite ≥ 3.35 and MariaDB hand back the new ids; MySQL does not.
        ids = dict(SnapshotQuery.objects.filter(snapshot=snapshot).values_list("query_id", "pk"))
        for sq in squeries:
            sq.pk = ids[sq.query_id]
    # The docs (ten a query, with fields and explain trees) are most of the work: each row is a
    # tuple of values ready for the database, its JSON encoded once, written a batch at a time
    # (so the encoded trees are freed as they go) without a model instance or Django's
    # per-field preparation (which would encode every JSON value a second time).
    insert = _RowInserter(
        SnapshotDoc, ["snapshot_query", "doc_id", "position", "fields", "explain"]
    )
    rows: list[tuple[Any, ...]] = []
    for sq, outcome in zip(squeries, outcomes, strict=True):
        if outcome.error:
            continue
        rows.extend(
            (
                sq.pk,
                doc.id,
                doc.position,
                _json_text(doc.fields or {}),
                _json_text(doc.explain) if doc.explain is not None else None,
            )
            for doc in outcome.result.docs
        )
        if len(rows) >= SNAPSHOT_DOC_BATCH:
            insert(rows)
            rows = []
    insert(rows)


INSERT_BYTES = 4_000_000  # text a multi-row INSERT carries at most (MariaDB refuses 16 MB)


class _RowInserter:
    """Multi-row INSERTs of ready values into one model's table: as many rows a statement as the
    database takes parameters, and about INSERT_BYTES of text at most (rows with big stored
    fields and explain trees would pass MariaDB's default max_allowed_packet)."""

    def __init__(self, model: type[Any], fields: Sequence[str]) -> None:
        from django.db import connection

        self.connection = connection
        quote = connection.ops.quote_name
        columns = ", ".join(quote(model._meta.get_field(f).column) for f in fields)
        self.head = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "
        self.row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        limit = connection.features.max_query_params or 65535
        self.per_statement = max(1, limit // len(fields))

    def __call__(self, rows: Sequence[tuple[Any, ...]]) -> None:
        batch: list[tuple[Any, ...]] = []
        size = 0
        for row in rows:
            batch.append(row)
            size += sum(len(v) for v in row if isinstance(v, str))
            if len(batch) == self.per_statement or size >= INSERT_BYTES:
                self._insert(batch)
                batch, size = [], 0
        if batch:
            self._insert(batch)

    def _insert(self, batch: list[tuple[Any, ...]]) -> None:
        params = [value for row in batch for value in row]
        with self.connection.cursor() as cursor:
            cursor.execute(self.head + ", ".join([self.row] * len(batch)), params)


def insert_rows(model: type[Any], fields: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert rows of values ready for the database (foreign keys as ids, JSON as text, times
    adapted) into ``model``'s ``fields``, many a statement: for bulk writes where Django's
    per-field preparation of model instances is most of the time (snapshots, imports)."""
    if rows:
        _RowInserter(model, fields)(rows)


def store_static_set(
    results: Any,
    name: str,
    *,
    owner: AbstractBaseUser,
    teams: Iterable[Any] = (),
    operator: bool = False,
    data_dir: Path | None = None,
) -> StaticResultSet:
    """Store frozen results as static://NAME, owned by ``owner`` and shared with ``teams``.

    A new name becomes the owner's; the owner may always store again under their own name; a name
    that is someone else's, or the operator's, is a ServiceError and nothing is written — unless
    the ``operator`` (the CLI) stores it, who may give any name to anyone. The rows are written
    last: when writing them fails, the set (and the caller's transaction) is not saved.
    """
    from searchbench.engines.static import save

    with transaction.atomic():
        row = StaticResultSet.objects.select_for_update().filter(name=name).first()
        if row is not None and row.name != name:  # MariaDB's collation: another set's row
            raise ServiceError(
                f"static://{row.name} holds that name on this database (it compares names "
                "without case)"
            )
        problem = None if operator else data_name_taken(owner, "static", name)
        if problem:
            raise ServiceError(problem)
        if row is None:
            try:
                with transaction.atomic():
                    row = StaticResultSet.objects.create(name=name, owner=owner)
            except IntegrityError:  # someone else took the name a moment ago
                raise ServiceError(f"static://{name} is taken; choose another name") from None
        row.owner = owner
        row.save(update_fields=["owner", "updated_at"])
        row.teams.set(list(teams))
        save(results, name, data_dir)
    return row


def snapshot_endpoint(snapshot: Snapshot, *, owner: AbstractBaseUser) -> SearchEndpoint:
    """A ``static`` endpoint serving the snapshot's frozen docs (ids, positions, fields, explains)
    by query text, shared with the case's teams. The docs become a static result set owned by
    ``owner`` (``static://snapshot-ID``, or the first free variant of it). Queries the snapshot
    recorded as errors are left out, so against this endpoint they are errors again rather than
    empty result lists."""
    from searchbench.engines.static import StaticResultsError, from_snapshot

    results: dict[str, Any] = {}
    for squery in snapshot.queries.prefetch_related("docs").order_by("pk"):
        if squery.error:
            continue
        docs = sorted(squery.docs.all(), key=lambda d: d.position)
        results[squery.query_text] = {
            "total": squery.num_results,
            "docs": [
                {"id": d.doc_id, "fields": d.fields or {}, "explain": d.explain} for d in docs
            ],
        }
    try:
        frozen = from_snapshot(results, source=f"snapshot {snapshot.pk}")
    except StaticResultsError as exc:
        raise ServiceError(f"snapshot {snapshot.name!r} cannot be served: {exc}") from None
    case = snapshot.case
    teams = list(case.teams.all())
    with transaction.atomic():
        name = _snapshot_set_name(snapshot, owner)
        store_static_set(frozen, name, owner=owner, teams=teams)
        endpoint = SearchEndpoint.objects.create(
            name=f"{case.name} · snapshot {snapshot.name}"[:200],
            kind="static",
            url=f"static://{name}",
            owner=owner,
        )
        endpoint.teams.set(teams)
    return endpoint


def _snapshot_set_name(snapshot: Snapshot, owner: AbstractBaseUser) -> str:
    """``snapshot-ID`` if that name is the owner's or free, else ``snapshot-ID-2``, ``-3``, …"""
    base = f"snapshot-{snapshot.pk}"
    for n in range(1, 100):
        name = base if n == 1 else f"{base}-{n}"
        if data_name_taken(owner, "static", name) is None:
            return name
    raise ServiceError(f"no free static results name for snapshot {snapshot.name!r}")


# ---------------------------------------------------------------------------------------------
# Endpoints


def endpoint_engine(endpoint: SearchEndpoint) -> Any:
    """The engine for an endpoint whose owner may use the data it names (EngineError if not;
    CredentialError for a password that cannot be decrypted)."""
    from searchbench.engines import make_engine

    check_endpoint_data(endpoint)
    return make_engine(endpoint.to_config())


def ping_endpoint(endpoint: SearchEndpoint) -> tuple[bool, str]:
    """(ok, message) from the engine's own health check; a bad configuration is a failed ping."""
    from searchbench.engines import EngineError
    from searchbench.web.crypto import CredentialError

    try:
        result = endpoint_engine(endpoint).ping()
    except (EngineError, CredentialError) as exc:
        return False, str(exc)
    return result.ok, f"{result.message} ({result.elapsed_ms:.0f} ms)"


# ---------------------------------------------------------------------------------------------
# Cases, tries, queries and ratings in bulk (the web pages and the API share these)


def create_case(
    owner: AbstractBaseUser,
    *,
    name: str,
    scorer: Scorer,
    endpoint: SearchEndpoint,
    query_template: str,
    field_spec: str = "",
    teams: Iterable[Any] = (),
    public: bool = False,
) -> Case:
    """A new case with its first try, in one transaction."""
    name = name.strip()
    if not name:
        raise ServiceError("a case needs a name")
    with transaction.atomic():
        case = Case.objects.create(name=name[:200], owner=owner, scorer=scorer, public=public)
        case.teams.set(list(teams))
        create_try(case, query_template=query_template, field_spec=field_spec, endpoint=endpoint)
    return case


TRY_COPIED_FIELDS = ("name", "query_template", "field_spec", "rows", "escape", "curator_vars")


def duplicate_try(try_: Try) -> Try:
    """A new try of the same case with ``try_``'s settings, numbered after the last one."""
    return create_try(
        try_.case,
        parent=try_,
        endpoint=try_.endpoint,
        **{f: getattr(try_, f) for f in TRY_COPIED_FIELDS},
    )


def clone_case(
    case: Case, *, owner: AbstractBaseUser, name: str = "", with_ratings: bool = True
) -> Case:
    """A copy of ``case`` owned by ``owner``: its settings, every try (same numbers), every
    query with notes, information need and options, and (``with_ratings``) the ratings. Not
    copied: teams, history, snapshots."""
    with transaction.atomic():
        copy = Case.objects.create(
            name=(name.strip() or f"{case.name} (copy)")[:200],
            owner=owner,
            scorer=case.scorer,
            options=dict(case.options or {}),
            unrated_queries=case.unrated_queries,
        )
        old_tries = list(case.tries.order_by("number"))
        new_tries = {
            t.pk: Try.objects.create(
                case=copy,
                number=t.number,
                endpoint=t.endpoint,
                **{f: getattr(t, f) for f in TRY_COPIED_FIELDS},
            )
            for t in old_tries
        }
        for t in old_tries:
            if t.parent_id in new_tries:
                Try.objects.filter(pk=new_tries[t.pk].pk).update(parent=new_tries[t.parent_id])
        queries = list(case.queries.all())
        copies = Query.objects.bulk_create(
            Query(
                case=copy,
                text=q.text,
                position=q.position,
                notes=q.notes,
                information_need=q.information_need,
                options=dict(q.options or {}),
            )
            for q in queries
        )
        if with_ratings:
            if any(q.pk is None for q in copies):  # MySQL hands back no ids
                copies = list(copy.queries.order_by("position", "id"))
            new_id = {old.pk: new.pk for old, new in zip(queries, copies, strict=True)}
            Rating.objects.bulk_create(
                (
                    Rating(query_id=new_id[r.query_id], doc_id=r.doc_id, rating=r.rating,
                           rated_by_id=r.rated_by_id)
                    for r in Rating.objects.filter(query__case=case)
                ),
                batch_size=SNAPSHOT_BATCH,
            )  # fmt: skip
    return copy


def add_queries(case: Case, items: Sequence[dict[str, Any]]) -> list[Query]:
    """Add many queries at the end of the case, all or none: each item is ``{"text": …}`` and
    may carry ``notes``, ``information_need`` and ``options``. A blank text names its item."""
    problems = []
    rows = []
    last = _last_position(case)
    for n, item in enumerate(items):
        try:
            text = query_text(str(item.get("text", "")))
        except ServiceError as exc:
            problems.append(f"queries[{n}]: {exc}")
            continue
        extra = {k: item[k] for k in ("notes", "information_need", "options") if k in item}
        rows.append(Query(case=case, text=text, position=last + len(rows) + 1, **extra))
    if problems:
        raise ServiceError("; ".join(problems[:20]))
    with transaction.atomic():
        Query.objects.bulk_create(rows, batch_size=SNAPSHOT_BATCH)
    if any(q.pk is None for q in rows):
        return list(case.queries.filter(position__gt=last).order_by("position"))
    return rows


@dataclass(frozen=True)
class PastedQueries:
    """Lines read for :func:`add_queries`: the new texts, and what was left out."""

    texts: list[str]
    duplicates: list[str]  # already in the case, or an earlier line
    blank: int


def paste_queries(case: Case, lines: Iterable[str]) -> PastedQueries:
    """One query a line, ready for :func:`add_queries`: spaces folded, blank lines skipped, a
    line that repeats one of the case's queries (or an earlier line) set apart. A line over the
    text's limit is an error naming the line (1-based), so nothing is added."""
    limit = Query._meta.get_field("text").max_length or 500
    texts: list[str] = []
    problems = []
    blank = 0
    for n, line in enumerate(lines, start=1):
        text = " ".join(line.split())
        if not text:
            blank += 1
        elif len(text) > limit:
            problems.append(f"line {n}: a query is at most {limit} characters ({len(text)})")
        else:
            texts.append(text)
    if problems:
        raise ServiceError("; ".join(problems[:20]))
    unique = list(dict.fromkeys(texts))
    if len(unique) > QUERIES_AT_ONCE:
        raise ServiceError(f"{len(unique):,} queries: at most {QUERIES_AT_ONCE:,} at once")
    existing: set[str] = set()
    for start in range(0, len(unique), SNAPSHOT_BATCH):
        chunk = unique[start : start + SNAPSHOT_BATCH]
        existing.update(case.queries.filter(text__in=chunk).values_list("text", flat=True))
    seen: set[str] = set()
    new, duplicates = [], []
    for text in texts:
        if text in existing or text in seen:
            duplicates.append(text)
        else:
            seen.add(text)
            new.append(text)
    return PastedQueries(new, duplicates, blank)


def reorder_queries(case: Case, order: Sequence[int]) -> None:
    """Put the case's queries in ``order`` (every query id of the case, once each)."""
    ids = list(case.queries.values_list("pk", flat=True))
    if sorted(order) != sorted(ids) or len(set(order)) != len(order):
        raise ServiceError("the order must list every query id of the case exactly once")
    with transaction.atomic():
        queries = [Query(pk=pk, position=n) for n, pk in enumerate(order, start=1)]
        Query.objects.bulk_update(queries, ["position"], batch_size=SNAPSHOT_BATCH)


def move_query(query: Query, step: int) -> bool:
    """Move ``query`` one place up (``step`` -1) or down (+1) in its case's order: its position
    and its neighbour's are swapped, two rows whatever the size of the case. False when it is
    first or last already. Positions that tie (the order then falls back on ids) with either
    of the two are spread once, the case's queries numbered 1, 2, … in their order, so that a
    swap moves the two and no other query changes place."""
    if step not in (-1, 1):
        raise ServiceError("a query moves one place up (-1) or down (+1)")
    with transaction.atomic():
        # One mover at a time per case: two swaps at once must not both read the old order.
        Case.objects.select_for_update().only("pk").get(pk=query.case_id)
        query.refresh_from_db(fields=["position"])
        before, after = query_neighbours(query)
        other_id = before if step < 0 else after
        if other_id is None:
            return False
        other = Query.objects.only("pk", "position").get(pk=other_id)
        # Tied, a swap changes nothing; a third query on either position would change place
        # against the one swapped onto it.
        at = {query.position, other.position}
        if len(at) < 2 or Query.objects.filter(case_id=query.case_id, position__in=at).count() > 2:
            order = Query.objects.filter(case_id=query.case_id).order_by("position", "pk")
            reorder_queries(query.case, list(order.values_list("pk", flat=True)))
            query.refresh_from_db(fields=["position"])
            other.refresh_from_db(fields=["position"])
        query.position, other.position = other.position, query.position
        Query.objects.bulk_update([query, other], ["position"])
    return True


def set_ratings(
    query: Query,
    ratings: Sequence[tuple[str, float | None]],
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
) -> int:
    """Set (or, with None, clear) many ratings of one query, all or none: every value is checked
    against the scorer's scale first. Returns how many were given."""
    scorer = query.case.scorer
    problems = []
    for n, (doc_id, value) in enumerate(ratings):
        try:
            if not doc_id.strip():
                raise ServiceError("a rating needs a doc id")
            if value is not None:
                check_rating(scorer, value)
        except ServiceError as exc:
            problems.append(f"ratings[{n}]: {exc}")
    if problems:
        raise ServiceError("; ".join(problems[:20]))
    with transaction.atomic():
        for doc_id, value in ratings:
            rate_doc(query, doc_id, value, user=user)
    return len(ratings)


# ---------------------------------------------------------------------------------------------
# Comparing tries and snapshots


@dataclass(frozen=True)
class CompareSide:
    """One side of a comparison: a snapshot, or a try's newest recorded run (its score-history
    row). ``scores`` are per query, keyed ``q<ID>`` (``t:<text>`` for a query deleted since a
    snapshot); a failed query scores 0 there, as in the case score."""

    key: str  # "snapshot-ID" or "try-N": how the compare page names it
    label: str
    scorer_name: str
    scores: dict[str, float]
    snapshot: Snapshot | None = None
    run: ScoreHistory | None = None


_SIDE_KEY = re.compile(r"(try|snapshot)-([0-9]+)")


def side_of(case: Case, key: str) -> Try | Snapshot | None:
    """What a compare side's key names in this case: ``try-N`` (the try numbered N) or
    ``snapshot-ID``; None for anything else, or another case's."""
    match = _SIDE_KEY.fullmatch(key)
    number = parse_id(match.group(2)) if match else None
    if match is None or number is None:
        return None
    if match.group(1) == "try":
        return case.tries.select_related("endpoint").filter(number=number).first()
    return case.snapshots.select_related("try_ref").filter(pk=number).first()


def snapshot_side(snapshot: Snapshot) -> CompareSide:
    return CompareSide(
        key=f"snapshot-{snapshot.pk}",
        label=f"snapshot “{snapshot.name}”",
        scorer_name=snapshot.scorer_name,
        scores=_snapshot_scores(snapshot),
        snapshot=snapshot,
    )


def latest_run_of(try_: Try) -> ScoreHistory | None:
    """The newest score-history row recorded for the try (ratings since folded in)."""
    return try_.score_history.order_by("-created_at", "-id").first()


def try_side(try_: Try) -> CompareSide:
    """The try's newest recorded run (ServiceError when it was never run)."""
    run = latest_run_of(try_)
    if run is None:
        raise ServiceError(f"try {try_.number} has no recorded run: run it first")
    scores = {f"q{k}": v for k, v in run.per_query.items()}
    scores.update({f"q{k}": 0.0 for k in run.errors})
    name = f" “{try_.name}”" if try_.name else ""
    return CompareSide(
        key=f"try-{try_.number}",
        label=f"try {try_.number}{name}",
        scorer_name=run.scorer_name,
        scores=scores,
        run=run,
    )


@dataclass
class SideComparison:
    """The sides' per-query scores paired on ``keys`` (every query any side has; a side without
    one scores 0 there) and domain.stats.compare's row per side (the first is the baseline)."""

    sides: list[CompareSide]
    keys: list[str]
    rows: list[Any]
    test: str
    correction: str
    alpha: float
    scores: tuple[tuple[float, ...], ...]  # per side, per key


def unrated_query_ids(case: Case) -> set[int]:
    """The case's queries with no rating now — read only when the case's rule leaves them out
    of its score (else they count 0 like any other query, and this is empty)."""
    if case.unrated_queries != UNRATED_LEAVE_OUT:
        return set()
    rated = Rating.objects.filter(query=OuterRef("pk"))
    return set(case.queries.filter(~Exists(rated)).values_list("pk", flat=True))


def compare_sides(
    base: CompareSide,
    others: Sequence[CompareSide],
    *,
    case: Case | None = None,
    test: str = "ttest",
    correction: str = "holm",
    alpha: float = 0.05,
    seed: int = 0,
) -> SideComparison:
    """Each side's per-query scores against the first's, paired by query, through the statistics
    `searchbench compare` uses (domain.stats.compare): means, deltas, bootstrap CIs, corrected
    p-values. The queries paired are those ``case``'s score counts: its unrated ones are left
    out when its rule says so."""
    sides = [base, *others]
    left_out = {f"q{pk}" for pk in unrated_query_ids(case)} if case is not None else set()
    keys = sorted(set().union(*(s.scores for s in sides)) - left_out)
    if not keys:
        raise ServiceError("there are no queries to compare")
    # Positions keep the names apart when one side is compared with itself.
    samples = tuple(
        (f"{i}: {s.key}", tuple(s.scores.get(k, 0.0) for k in keys)) for i, s in enumerate(sides)
    )
    try:
        rows = _compared(samples, test, correction, alpha, seed)
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    scores = tuple(sample for _name, sample in samples)
    return SideComparison(sides, keys, list(rows), test, correction, alpha, scores)


@functools.lru_cache(maxsize=8)
def _compared(
    samples: tuple[tuple[str, tuple[float, ...]], ...],
    test: str,
    correction: str,
    alpha: float,
    seed: int,
) -> tuple[Any, ...]:
    """domain.stats.compare, once per set of paired samples: its bootstrap resamples every query
    10,000 times (about 0.4 s a side at 10,000 queries), and the compare page asks for the same
    sides again on each of its pages. Keyed by the scores themselves, so a rating folded into a
    try's run, or a rescore, is a new key; per process, the last 8 sets of sides."""
    from searchbench.domain.stats import compare

    return tuple(compare(dict(samples), test=test, correction=correction, alpha=alpha, seed=seed))


def compare_snapshots(
    base: Snapshot,
    others: Sequence[Snapshot],
    *,
    test: str = "ttest",
    correction: str = "holm",
    alpha: float = 0.05,
    seed: int = 0,
) -> dict[str, Any]:
    """Each snapshot's per-query scores against the first's (``compare_sides``), as the API's
    compare answers them."""
    snapshots = [base, *others]
    sides = [snapshot_side(s) for s in snapshots]
    if not any(side.scores for side in sides):
        raise ServiceError("the snapshots have no queries to compare")
    result = compare_sides(
        sides[0],
        sides[1:],
        case=base.case,
        test=test,
        correction=correction,
        alpha=alpha,
        seed=seed,
    )

    def num(value: float) -> float | None:
        return None if math.isnan(value) else value

    return {
        "queries": len(result.keys),
        "test": test,
        "correction": correction,
        "alpha": alpha,
        "scorers": sorted({s.scorer_name for s in snapshots}),
        "snapshots": [
            {
                "snapshot_id": s.pk,
                "name": s.name,
                "mean": num(row.mean),
                "delta": None if i == 0 else row.delta,
                "ci95": None if i == 0 else [num(row.ci_low), num(row.ci_high)],
                "p_value": None if i == 0 else num(row.p_value),
                "p_adjusted": None if i == 0 else num(row.p_adjusted),
                "significant": None if i == 0 else row.significant,
            }
            for i, (s, row) in enumerate(zip(snapshots, result.rows, strict=True))
        ],
    }


@dataclass(frozen=True)
class ShownDoc:
    """A snapshot doc as pages list it: its id, 1-based rank and title per the field spec."""

    id: str
    rank: int
    title: str


def snapshot_docs(
    snapshot: Snapshot, squery_ids: Iterable[int], limit: int
) -> dict[int, list[ShownDoc]]:
    """The top ``limit`` docs of some of the snapshot's query rows (by SnapshotQuery id), with
    titles from the field spec of the try the snapshot was taken with (the doc id when it has
    no title field or the try was deleted). Reads stored fields, never explain trees."""
    from django.db.models import Prefetch

    from searchbench.domain.fieldspec import parse_field_spec
    from searchbench.engines.base import build_doc

    spec = parse_field_spec(snapshot.try_ref.field_spec if snapshot.try_ref else "")
    docs = SnapshotDoc.objects.only("snapshot_query_id", "doc_id", "position", "fields")
    rows = SnapshotQuery.objects.filter(
        snapshot=snapshot, pk__in=list(squery_ids)
    ).prefetch_related(
        Prefetch("docs", queryset=docs.order_by("position")[:limit], to_attr="top_docs")
    )
    out: dict[int, list[ShownDoc]] = {}
    for row in rows.only("pk"):
        out[row.pk] = [
            ShownDoc(
                d.doc_id,
                rank,
                build_doc(spec, d.position, d.fields or {}, doc_id=d.doc_id).title or d.doc_id,
            )
            for rank, d in enumerate(row.top_docs, start=1)
        ]
    return out


def _snapshot_scores(snapshot: Snapshot) -> dict[str, float]:
    """Per-query scores by query (its id, or its text when the query was deleted since)."""
    out = {}
    for query_id, text, score in snapshot.queries.values_list("query_id", "query_text", "score"):
        key = f"q{query_id}" if query_id is not None else f"t:{text}"
        out[key] = float(score) if score is not None else 0.0
    return out
