"""Run many queries against one engine with bounded concurrency."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from searchbench.domain.search import QueryContext, SearchResult, TryConfig
from searchbench.engines.base import Engine

Progress = Callable[[int, int], None]  # (done, total)
log = logging.getLogger("searchbench.engines")


def run_queries(
    engine: Engine,
    queries: Sequence[QueryContext],
    try_config: TryConfig,
    concurrency: int = 8,
    progress: Progress | None = None,
) -> list[SearchResult]:
    """Results in input order. A query that fails (even with an unexpected exception) becomes a
    result with ``error``; the others go on.

    Every query runs in a copy of the caller's context, so what the caller set holds in the pool's
    threads too: a web request's fail-fast rate-limit policy, its request id in the log lines.
    """
    total = len(queries)
    results: list[SearchResult | None] = [None] * total
    done = 0
    caller = contextvars.copy_context()

    def search(i: int) -> SearchResult:
        try:
            return engine.search(queries[i], try_config)
        except Exception as exc:  # a bug in an adapter must not sink the whole run
            # Its words may name the server's files (an OSError's path, tantivy's messages) and
            # the query's error is shown to users: the words go to the server log only.
            log.exception("internal error in the %s adapter", engine.kind)
            return SearchResult(
                error=f"internal error in the {engine.kind} adapter ({type(exc).__name__}); "
                "the server log has the details"
            )

    def one(i: int) -> tuple[int, SearchResult]:
        # A context can be entered by one thread at a time: each query gets its own copy.
        return i, caller.copy().run(search, i)

    workers = max(1, min(concurrency, total or 1))
    if workers == 1:
        for i in range(total):
            _, results[i] = one(i)
            done += 1
            if progress:
                progress(done, total)
    else:
        with ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix=f"search-{engine.kind}"
        ) as pool:
            for i, res in pool.map(one, range(total)):
                results[i] = res
                done += 1
                if progress:
                    progress(done, total)
    return [r if r is not None else SearchResult(error="not run") for r in results]
