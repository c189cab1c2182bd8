"""The relevance loop on its own: search with retries, score with several scorers, one case rule."""

from __future__ import annotations

from typing import Any

import pytest

from searchbench import loop
from searchbench.domain.scoring import ScorerRef
from searchbench.domain.search import PingResult, QueryContext, ResultDoc, SearchResult, TryConfig
from searchbench.engines.base import Engine
from searchbench.engines.http import RateLimitPolicy, rate_limit_policy
from searchbench.loop import Plan, PlannedQuery


class ScriptedEngine(Engine):
    """Answers from a table: query text -> a list of answers, one per attempt (the last repeats).
    An answer is a list of doc ids, or an error text (``"!transient"`` marks a transient one)."""

    kind = "scripted"

    def __init__(self, answers: dict[str, list[Any]]) -> None:
        self.answers = answers
        self.calls: dict[str, int] = {}

    def execute(self, query: QueryContext, try_config: TryConfig) -> SearchResult:
        n = self.calls[query.text] = self.calls.get(query.text, 0) + 1
        script = self.answers[query.text]
        answer = script[min(n, len(script)) - 1]
        if isinstance(answer, str):
            return SearchResult(error=answer.lstrip("!"), transient=answer.startswith("!"))
        docs = [ResultDoc(id=d, position=i + 1) for i, d in enumerate(answer)]
        return SearchResult(total=len(docs), docs=docs)

    def ping(self) -> PingResult:
        return PingResult(True, "ok")


def _ref(text: str) -> ScorerRef:
    code = text.removeprefix("js:")
    return ScorerRef.javascript(code, "mine") if code != text else ScorerRef.parse(text)


def plan(engine: Engine, *scorers: str, **ratings: dict[str, float]) -> Plan:
    return Plan(
        engine=engine,
        try_config=TryConfig(template=""),
        scorers=[_ref(s) for s in scorers or ("quepid:P@10",)],
        queries=[PlannedQuery(key=k, text=k, ratings=r) for k, r in ratings.items()],
        concurrency=2,
    )


def test_a_case_is_searched_scored_and_averaged_over_every_query() -> None:
    engine = ScriptedEngine({"a": [["d1", "d2"]], "b": [["d3"]], "c": ["engine down"]})
    run = loop.execute(plan(engine, a={"d1": 1}, b={}, c={"d9": 3}))
    assert run.per_query() == {"a": 0.5, "b": 0.0}  # b has no ratings: 0, as in Quepid
    assert run.errors == {"c": "engine down"}
    assert run.score == pytest.approx((0.5 + 0.0 + 0.0) / 3)  # c failed: counts 0


def test_several_scorers_share_one_search() -> None:
    engine = ScriptedEngine({"a": [["d1", "d2"]]})
    run = loop.execute(plan(engine, "quepid:P@10", "P@1", "quepid:RR@10", a={"d2": 1}))
    assert run.case_scores == {"quepid:P@10": 0.5, "P@1": 0.0, "quepid:RR@10": 0.5}
    assert engine.calls == {"a": 1}


def test_transient_failures_are_retried_with_backoff() -> None:
    engine = ScriptedEngine({"a": ["!timed out", "!timed out", ["d1"]], "b": ["bad query"]})
    slept: list[float] = []
    run = loop.execute(plan(engine, a={"d1": 1}, b={}), sleep=slept.append)
    assert run.per_query() == {"a": 1.0}
    assert engine.calls == {"a": 3, "b": 1}  # a permanent error is not retried
    assert slept == [loop.BACKOFF_SECONDS, loop.BACKOFF_SECONDS * 2]


def test_retries_stop_after_the_plans_count() -> None:
    engine = ScriptedEngine({"a": ["!HTTP 503"]})
    run = loop.execute(plan(engine, a={}), sleep=lambda s: None)
    assert engine.calls == {"a": 1 + loop.DEFAULT_RETRIES}
    assert run.errors == {"a": "HTTP 503"}


def test_a_web_request_never_sleeps_for_a_retry() -> None:
    engine = ScriptedEngine({"a": ["!timed out", ["d1"]]})
    slept: list[float] = []
    with rate_limit_policy(RateLimitPolicy.FAIL_FAST):
        run = loop.execute(plan(engine, a={"d1": 1}), sleep=slept.append)
    assert slept == [] and engine.calls == {"a": 1}
    assert run.errors == {"a": "timed out"}


def test_a_scorer_that_cannot_score_fails_every_query_with_its_reason() -> None:
    engine = ScriptedEngine({"a": [["d1"]], "b": [["d2"]]})
    run = loop.execute(plan(engine, "js:setScore(1 +);", "quepid:P@10", a={"d1": 1}, b={}))
    assert set(run.errors) == {"a", "b"}
    assert "does not compile" in run.errors["a"]
    assert run.score == 0.0
    # the other scorers still score; the case scorer's failure makes the query count 0 there too
    assert run.case_scores["quepid:P@10"] == 0.0
    assert run.scorer_errors["mine"].keys() == {"a", "b"}
