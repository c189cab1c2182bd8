from __future__ import annotations

import contextvars
import threading
import time

from searchbench.domain.search import PingResult, QueryContext, SearchResult, TryConfig
from searchbench.engines.base import Engine, EngineError
from searchbench.engines.runner import run_queries


class Recording(Engine):
    kind = "test"

    def __init__(self) -> None:
        super().__init__(config=None)  # type: ignore[arg-type]
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()

    def execute(self, query: QueryContext, try_config: TryConfig) -> SearchResult:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            time.sleep(0.01 * (len(query.text) % 3))
            if query.text == "engine-fault":
                raise EngineError("the engine said no")
            if query.text == "bug":
                raise KeyError("oops")
            return SearchResult(total=len(query.text))
        finally:
            with self.lock:
                self.active -= 1

    def ping(self) -> PingResult:
        return PingResult(True, "ok")


def test_it_keeps_input_order_and_bounds_concurrency() -> None:
    engine = Recording()
    queries = [QueryContext("q" * (i % 7 + 1)) for i in range(40)]
    seen: list[tuple[int, int]] = []
    results = run_queries(
        engine,
        queries,
        TryConfig(template=""),
        concurrency=3,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert [r.total for r in results] == [len(q.text) for q in queries]
    assert 1 < engine.peak <= 3
    assert seen[-1] == (40, 40) and len(seen) == 40


def test_a_failing_query_is_recorded_and_the_rest_go_on() -> None:
    queries = [QueryContext(t) for t in ("a", "engine-fault", "bug", "abcd")]
    results = run_queries(Recording(), queries, TryConfig(template=""), concurrency=2)
    assert [r.error for r in results][:2] == [None, "the engine said no"]
    assert (
        results[2].error is not None
        and "internal error" in results[2].error
        and "KeyError" in results[2].error
    )
    assert results[3].total == 4 and results[3].error is None


def test_it_handles_no_queries_and_one_worker() -> None:
    assert run_queries(Recording(), [], TryConfig(template="")) == []
    results = run_queries(Recording(), [QueryContext("ab")], TryConfig(template=""), concurrency=1)
    assert results[0].total == 2 and results[0].elapsed_ms > 0


def test_queries_run_in_the_callers_context() -> None:
    # What the caller set (a web request's rate-limit policy, its request id) holds in the pool;
    # what one query sets stays in that query.
    who: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")

    class Reporting(Recording):
        def execute(self, query: QueryContext, try_config: TryConfig) -> SearchResult:
            seen = who.get()
            who.set("a query")
            return SearchResult(error=seen)

    token = who.set("the caller")
    try:
        results = run_queries(Reporting(), [QueryContext("x")] * 9, TryConfig(template=""), 3)
        assert who.get() == "the caller"
    finally:
        who.reset(token)
    assert [r.error for r in results] == ["the caller"] * 9


def test_a_result_keeps_the_engines_raw_answer_only_when_the_search_failed() -> None:
    # A run holds every result: the engine's whole parsed answer on each (tens of KB of JSON)
    # would be millions of live objects for Python's cycle collector to walk, and nothing reads
    # it once the docs are parsed. A failure's raw answer says what went wrong: it stays.
    class Answering(Recording):
        def execute(self, query: QueryContext, try_config: TryConfig) -> SearchResult:
            answer = {"hits": [{"_id": str(i), "_source": {"title": "x"}} for i in range(50)]}
            if query.text == "engine-fault":
                raise EngineError("the engine said no", response="HTTP 400: bad query")
            return SearchResult(total=50, request={"url": "http://engine/q"}, response=answer)

    ok, failed = run_queries(
        Answering(), [QueryContext("a"), QueryContext("engine-fault")], TryConfig(template=""), 2
    )
    assert (ok.error, ok.total, ok.response) == (None, 50, None)
    assert ok.request == {"url": "http://engine/q"}  # what was sent is small and still shown
    assert (failed.error, failed.response) == ("the engine said no", "HTTP 400: bad query")
