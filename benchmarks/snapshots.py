"""A 10,000-query snapshot: the time to write it and to open its page.

    .venv/bin/python benchmarks/snapshots.py [--queries 10000] [--quick] [--database-url URL]

Set up as ``make demo`` does (the built-in engine's ``demo`` index of 3,000 generated products and
the demo case), then the case gets 10,000 queries (colour, material or feature words with a
category, from the catalogue's own vocabulary). The current try is run through the loop twice (10
rows): as a snapshot does by default (no explanations) and as one taken "with score
explanations" (an explain tree a doc); each run's results are then written as a snapshot:

- **searchbench**: ``services.take_snapshot``'s writer (query rows in multi-row INSERTs; doc rows
  as ready values, their JSON encoded once, in multi-row INSERTs of 2,000);
- **peer**: the writer before the bulk one — one INSERT per query row, the docs through the ORM in
  multi-row INSERTs, every stored field and explain tree walked in Python to clean it for JSON.

Then the snapshot page is opened through Django's test client (the whole server side: routing,
session, access check, queries, template), first page and a middle one, best and median of 7.
``--quick`` writes 2,000 queries with the peer (its time scaled ×5) and all of them with ours.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.djangoenv import scratch_django  # noqa: E402
from benchmarks.support import load_average  # noqa: E402

GOAL_PAGE_MS = 200.0


def add_queries(case: Any, count: int) -> None:
    from searchbench.cases.models import Query
    from searchbench.demo import corpus

    rng = random.Random(10_000)
    words = corpus.COLORS + corpus.MATERIALS + corpus.FEATURES
    Query.objects.bulk_create(
        (
            Query(
                case=case,
                text=f"{' '.join(rng.sample(words, rng.choice((1, 2))))} "
                f"{rng.choice(corpus.CATEGORIES)}",
                position=1000 + i,
            )
            for i in range(count)
        ),
        batch_size=1000,
    )


def peer_write(snapshot: Any, outcomes: list[Any]) -> None:
    """The snapshot writer before the bulk one (a row per query, then the docs in bulk)."""
    from searchbench.cases.models import SnapshotDoc, SnapshotQuery
    from searchbench.cases.services import _jsonable_copy as old_jsonable  # the walk it used

    docs = []
    for outcome in outcomes:
        squery = SnapshotQuery.objects.create(
            snapshot=snapshot,
            query_id=int(outcome.key),
            query_text=outcome.query.text,
            score=outcome.score,
            num_results=outcome.result.total if not outcome.error else 0,
            error=outcome.error or "",
        )
        if outcome.error:
            continue
        docs.extend(
            SnapshotDoc(
                snapshot_query=squery,
                doc_id=doc.id,
                position=doc.position,
                fields=old_jsonable(doc.fields or {}),
                explain=old_jsonable(doc.explain.to_dict()) if doc.explain is not None else None,
            )
            for doc in outcome.result.docs
        )
    SnapshotDoc.objects.bulk_create(docs, batch_size=500)


@dataclass
class Took:
    """Wall-clock seconds, and this process's CPU seconds (what the writer itself costs, which
    stays meaningful when other processes load the machine)."""

    wall: float
    cpu: float

    def scaled(self, factor: float) -> str:
        return f"{self.wall * factor:.1f} s (cpu {self.cpu * factor:.1f})"


def timed_write(
    case: Any, try_: Any, name: str, outcomes: list[Any], writer: Callable[..., None]
) -> tuple[Took, Any]:
    from django.db import transaction

    from searchbench.cases.models import Snapshot

    started, cpu = time.perf_counter(), time.process_time()
    with transaction.atomic():
        snapshot = Snapshot.objects.create(
            case=case, try_ref=try_, name=name, scorer_name=case.scorer.name, score=0.0
        )
        writer(snapshot, outcomes)
    return Took(time.perf_counter() - started, time.process_time() - cpu), snapshot


def page_times(client: Any, url: str, times: int = 7) -> tuple[float, float]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return min(samples) * 1e3, statistics.median(samples) * 1e3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="the peer writes a fifth")
    parser.add_argument("--database-url", help="a PostgreSQL/MariaDB server (scratch database)")
    args = parser.parse_args(argv)
    with scratch_django(args.database_url) as data_dir:
        return run(args, data_dir)


def run(args: argparse.Namespace, data_dir: Path) -> int:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from searchbench import loop
    from searchbench.cases import services
    from searchbench.cases.models import Case, SnapshotDoc
    from searchbench.cases.services import _write_snapshot_rows
    from searchbench.demo.setup import setup_demo

    info = setup_demo(data_dir, echo=lambda _line: None)
    case = Case.objects.select_related("scorer").get(pk=info.case_id)
    add_queries(case, args.queries - case.queries.count())
    try_ = case.current_try()
    queries = list(case.queries.all())
    print(
        f"{len(queries):,} queries on the demo index ({connection.vendor}, "
        f"{os.cpu_count()} cores, load average {load_average()})\n",
        flush=True,
    )

    searched: dict[bool, tuple[float, Any]] = {}
    for explain in (False, True):
        started = time.perf_counter()
        run = loop.execute(services.plan_case(case, try_, queries, explain=explain))
        searched[explain] = (time.perf_counter() - started, run)
        failed = len(run.errors)
        assert failed == 0, f"{failed} queries failed, e.g. {next(iter(run.errors.values()))}"

    ours: dict[bool, Took] = {}
    for explain in (False, True):
        outcomes = searched[explain][1].queries
        ours[explain], snapshot = timed_write(
            case, try_, f"bench {explain}", outcomes, _write_snapshot_rows
        )
    docs = SnapshotDoc.objects.filter(snapshot_query__snapshot=snapshot).count()
    explained = searched[True][1].queries
    peer_outcomes = explained[: len(explained) // 5] if args.quick else explained
    peer, _ = timed_write(case, try_, "peer", peer_outcomes, peer_write)
    peer_scale = len(explained) / len(peer_outcomes)

    client = Client()
    client.force_login(case.owner)
    url = reverse("cases:snapshot", args=[case.pk, snapshot.pk])
    client.get(url)  # templates compiled, connection warm
    first_best, first_median = page_times(client, url)
    middle = len(queries) // 2 // 50 + 1
    mid_best, mid_median = page_times(client, f"{url}?page={middle}")

    mark = "*" if peer_scale != 1 else ""
    print(f"{'':<40}{'searchbench':>22}{'peer':>22}")
    for explain in (False, True):
        label = "with explanations" if explain else "no explanations (the default)"
        print(f"{label}")
        print(f"{'  search + score (the loop)':<40}{searched[explain][0]:>20.1f} s")
        rows = f"  write rows ({len(queries):,} q, {docs:,} docs)"
        peer_cell = peer.scaled(peer_scale) + mark if explain else ""
        print(f"{rows:<40}{ours[explain].scaled(1):>22}{peer_cell:>22}")
    print(f"{'open page 1: best / median':<40}{f'{first_best:.0f} / {first_median:.0f} ms':>22}")
    print(
        f"{f'open page {middle}: best / median':<40}{f'{mid_best:.0f} / {mid_median:.0f} ms':>22}"
    )
    print(f"load average at the end: {load_average()}")
    verdict = "within" if first_median < GOAL_PAGE_MS else "OVER"
    print(f"\npage 1 median {first_median:.0f} ms ({verdict} the {GOAL_PAGE_MS:.0f} ms goal)")
    if mark:
        print(
            f"* the peer wrote {len(peer_outcomes):,} queries; its time is scaled ×{peer_scale:g}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
