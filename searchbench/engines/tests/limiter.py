"""A stand-in clock for the requests-per-minute limiter, so tests see its sleeps without waiting."""

from __future__ import annotations

import time

import pytest

from searchbench.engines import http


class LimiterClock:
    """Replaces the ``time`` module inside engines/http.py: the clock stands still unless something
    sleeps, and every sleep is recorded instead of slept."""

    perf_counter = staticmethod(time.perf_counter)

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def freeze_limiter_clock(monkeypatch: pytest.MonkeyPatch) -> LimiterClock:
    clock = LimiterClock()
    monkeypatch.setattr(http, "time", clock)
    return clock
