"""The relevance loop, once: plan → search → score → one result the caller records.

The web app (a case run, one query's page, re-scoring after a rating), the command line
(`searchbench run`) and the worker (a chunk of a case) all come through here, so a case scores the
same from every door. A caller builds a :class:`Plan` (the engine, the try, the scorers, the
queries with their ratings), calls :func:`execute` (or :func:`search` then :func:`score`, to
record what was searched before scoring), and records the :class:`RunResult` its own way.

- **Search** with bounded concurrency through ``engines.runner``; the endpoint's rate limit is the
  engine's (``engines.http``). A failure that may pass (a timeout, a refused connection, an HTTP
  5xx) is retried with exponential backoff, unless the caller may not wait (a web request: the
  rate-limit policy is fail-fast there, and so is this).
- **Score** with every scorer of the plan (measures share one evaluation pass); a scorer that
  fails on a query records the error for that query and the run goes on.
- **One case-score rule** (:func:`searchbench.domain.scoring.case_mean`): the mean over every
  query of the plan, where a query that failed (engine or scorer) counts 0, and one with no
  ratings counts 0 too or is left out, by the plan's ``unrated_rule`` (the case's setting).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from searchbench.domain.scorers import RankedDoc, ScorerError
from searchbench.domain.scoring import (
    UNRATED_COUNT_ZERO,
    InvalidScorerError,
    ScorerRef,
    case_mean,
    score_case_many,
)
from searchbench.domain.search import QueryContext, SearchResult, TryConfig
from searchbench.engines.base import Engine
from searchbench.engines.http import RateLimitPolicy, current_rate_limit_policy
from searchbench.engines.runner import Progress, run_queries

DEFAULT_RETRIES = 2
BACKOFF_SECONDS = 0.5  # first retry after 0.5 s, then 1 s, 2 s …


@dataclass(frozen=True)
class PlannedQuery:
    key: str  # the caller's id: a database pk as text, a case file's query id
    text: str
    options: Mapping[str, Any] = field(default_factory=dict)  # the case's, then the query's own
    ratings: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    engine: Engine
    try_config: TryConfig
    scorers: Sequence[ScorerRef]  # the first is the case's scorer; names are unique
    queries: Sequence[PlannedQuery]
    options: Mapping[str, Any] = field(default_factory=dict)  # the case options scorers read
    concurrency: int = 8
    retries: int = DEFAULT_RETRIES
    unrated_rule: str = (
        UNRATED_COUNT_ZERO  # how queries with no rating count (scoring.UNRATED_RULES)
    )


@dataclass
class QueryResult:
    query: PlannedQuery
    result: SearchResult
    docs: list[RankedDoc] = field(default_factory=list)  # rank order, with the query's ratings
    scores: dict[str, float] = field(default_factory=dict)  # by scorer name; absent: failed
    error: str | None = None  # the engine's, else the case scorer's

    @property
    def key(self) -> str:
        return self.query.key

    @property
    def score(self) -> float | None:
        """The case scorer's score; None when the query failed."""
        return next(iter(self.scores.values()), None) if self.error is None else None


@dataclass
class RunResult:
    plan: Plan
    queries: list[QueryResult]
    case_scores: dict[str, float]  # by scorer name, the one case-score rule
    scorer_errors: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> key -> text

    @property
    def score(self) -> float:
        return self.case_scores[self.plan.scorers[0].name]

    @property
    def errors(self) -> dict[str, str]:
        return {q.key: q.error for q in self.queries if q.error}

    def per_query(self, name: str | None = None) -> dict[str, float]:
        """Scores of the queries that did not fail, for one scorer (default: the case's)."""
        name = name or self.plan.scorers[0].name
        return {q.key: q.scores[name] for q in self.queries if name in q.scores}


def execute(
    plan: Plan,
    *,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RunResult:
    """Search every query of the plan, then score them."""
    return score(plan, search(plan, progress=progress, sleep=sleep))


def search(
    plan: Plan,
    *,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[SearchResult]:
    """One result per planned query, in order; transient failures retried with backoff."""
    contexts = [QueryContext(q.text, dict(q.options)) for q in plan.queries]
    results = run_queries(
        plan.engine, contexts, plan.try_config, concurrency=plan.concurrency, progress=progress
    )
    may_wait = current_rate_limit_policy() is RateLimitPolicy.WAIT
    for attempt in range(plan.retries if may_wait else 0):
        again = [i for i, r in enumerate(results) if r.error and r.transient]
        if not again:
            break
        sleep(BACKOFF_SECONDS * 2**attempt)
        retried = run_queries(
            plan.engine, [contexts[i] for i in again], plan.try_config, plan.concurrency
        )
        for i, result in zip(again, retried, strict=True):
            results[i] = result
    return results


def score(plan: Plan, results: Sequence[SearchResult]) -> RunResult:
    """Score searched queries with every scorer of the plan (``results`` in plan order)."""
    queries: list[QueryResult] = []
    ranked: dict[str, list[RankedDoc]] = {}
    for planned, result in zip(plan.queries, results, strict=True):
        qr = QueryResult(planned, result, error=result.error)
        queries.append(qr)
        if result.error:
            continue
        qr.docs = [
            RankedDoc(id=d.id, fields=d.fields, rating=planned.ratings.get(d.id))
            for d in result.docs
        ]
        ranked[planned.key] = qr.docs
    scorer_errors: dict[str, dict[str, str]] = {}
    if ranked:
        ratings = {q.key: dict(q.ratings) for q in plan.queries if q.key in ranked}
        num_found = {q.key: q.result.total for q in queries if q.key in ranked}
        for ref, per_query, errors in _score_all(plan, ranked, ratings, num_found):
            scorer_errors[ref.name] = {k: f"scorer {ref.name}: {v}" for k, v in errors.items()}
            for qr in queries:
                if qr.key in per_query and qr.key not in errors:
                    qr.scores[ref.name] = per_query[qr.key]
    main = plan.scorers[0].name
    for qr in queries:
        if qr.error is None and qr.key in scorer_errors.get(main, {}):
            qr.error = scorer_errors[main][qr.key]
            qr.scores.clear()  # a query the case scorer failed on counts 0 everywhere
    keys = [q.key for q in plan.queries]
    unrated = {q.key for q in plan.queries if not q.ratings}
    case_scores = {
        ref.name: case_mean(
            {q.key: q.scores[ref.name] for q in queries if ref.name in q.scores},
            keys,
            unrated=unrated,
            rule=plan.unrated_rule,
        )
        for ref in plan.scorers
    }
    return RunResult(plan, queries, case_scores, scorer_errors)


def _score_all(
    plan: Plan,
    ranked: Mapping[str, list[RankedDoc]],
    ratings: Mapping[str, Mapping[str, float]],
    num_found: Mapping[str, int],
) -> list[tuple[ScorerRef, dict[str, float], dict[str, str]]]:
    """(scorer, per-query scores, per-query errors) for every scorer; a scorer that cannot score
    at all (broken code, unknown after an upgrade) fails every query with its reason."""
    try:
        scored = score_case_many(plan.scorers, ranked, ratings, num_found, plan.options)
    except (ScorerError, InvalidScorerError):
        scored = None
    out = []
    for ref in plan.scorers:
        if scored is not None:
            out.append((ref, scored[ref].per_query, dict(scored[ref].errors)))
            continue
        try:  # one at a time, to say which one failed and keep the others
            cs = score_case_many([ref], ranked, ratings, num_found, plan.options)[ref]
            out.append((ref, cs.per_query, dict(cs.errors)))
        except (ScorerError, InvalidScorerError) as exc:
            out.append((ref, {}, {key: str(exc) for key in ranked}))
    return out
