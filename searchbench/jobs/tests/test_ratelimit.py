"""Requests-per-minute budgets kept in the database: one budget for every process.

The two-process test (real processes, real time) is in test_worker_processes.py; here the rule and
the store, with a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from searchbench.engines import http
from searchbench.jobs.models import RateBucket
from searchbench.jobs.ratelimit import DatabaseBucket, DatabaseBuckets


def test_the_bucket_rule_refills_with_time_up_to_its_capacity() -> None:
    # 2 tokens a second, at most 2: full, then empty, then half a second later one more.
    assert http.take_token(2.0, 0.0, 0.0, 2.0, 2.0) == (1.0, 0.0, 0.0)
    assert http.take_token(0.5, 0.0, 0.0, 2.0, 2.0) == (0.5, 0.0, 0.25)  # wait for half a token
    assert http.take_token(0.0, 0.0, 0.5, 2.0, 2.0) == (0.0, 0.5, 0.0)  # 0.5 s = 1 token, taken
    assert http.take_token(0.0, 0.0, 60.0, 2.0, 2.0) == (1.0, 60.0, 0.0)  # capped at 2
    # A clock behind the stored time (another machine's) refills nothing.
    assert http.take_token(0.0, 10.0, 9.0, 2.0, 2.0) == (0.0, 9.0, 0.5)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def stores() -> Iterator[tuple[Clock, DatabaseBuckets, DatabaseBuckets]]:
    """Two stores, as two processes have, on their own connections, with one clock."""
    clock = Clock()
    a, b = DatabaseBuckets(clock=clock), DatabaseBuckets(clock=clock)
    yield clock, a, b
    a.close()
    b.close()


@pytest.mark.django_db(transaction=True)
def test_two_stores_share_one_budget(stores) -> None:
    clock, a, b = stores
    first, second = a("solr:http://s/select", 120), b("solr:http://s/select", 120)  # 2 a second
    assert isinstance(first, DatabaseBucket) and first.key == second.key
    assert [first.try_take(), second.try_take()] == [0.0, 0.0]  # the burst: 2
    assert second.try_take() == pytest.approx(0.5)
    assert first.try_take() == pytest.approx(0.5)  # the same empty bucket
    clock.now += 0.5
    assert second.try_take() == 0.0
    assert first.try_take() == pytest.approx(0.5)
    assert RateBucket.objects.count() == 1
    # Another endpoint, or another limit, is another budget.
    assert a("solr:http://other/select", 120).try_take() == 0.0
    assert a("solr:http://s/select", 60).try_take() == 0.0
    assert RateBucket.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_spent_budget_fails_fast_in_a_web_request_and_waits_elsewhere(
    stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock, a, _b = stores
    bucket = a("k", 1)  # one a minute
    assert bucket.acquire(http.RateLimitPolicy.FAIL_FAST) == 0.0
    with pytest.raises(http.RateLimited, match="retry in 60 s"):
        bucket.acquire(http.RateLimitPolicy.FAIL_FAST)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(http.time, "sleep", sleep)
    assert bucket.acquire(http.RateLimitPolicy.WAIT) == pytest.approx(60.0)
    assert slept == [pytest.approx(60.0)]


def test_share_buckets_swaps_the_store_for_new_buckets() -> None:
    made: list[tuple[str, int]] = []

    def factory(key: str, rpm: int) -> http.TokenBucket:
        made.append((key, rpm))
        return http.TokenBucket(rpm)

    try:
        http.share_buckets(factory)
        bucket = http.bucket_for("k", 30)
        assert http.bucket_for("k", 30) is bucket and made == [("k", 30)]
    finally:
        http.share_buckets(None)
    assert type(http.bucket_for("k", 30)) is http.TokenBucket and made == [("k", 30)]
