"""Score history at scale: database size after 65,000 runs of a 1,000-query case, and the time to
read the case's history from it — searchbench's row per run (per-query scores packed,
``cases/scorepack.py``) against the shape before it (a JSON object of per-query scores per row).

    .venv/bin/python benchmarks/history.py [--runs 65000] [--queries 1000] [--quick]
        [--database-url postgres://USER:PASS@HOST/DB] [--keep]

The rows are synthetic and inserted in bulk through the model's own storage method
(``ScoreHistory.set_queries``, what ``services.record_run`` calls) — the last run goes through
``record_run`` itself, and is checked to store the same bytes. Scores are uniform random doubles,
the worst case for compression (real scores repeat: 0.0 for unrated queries, 1.0, a few P@10
steps); one run in 50 has 1 % of its queries failed (three distinct messages).

**peer** is the shape before (migration 0004): the same columns and indexes, with ``per_query``
and ``errors`` as JSON objects keyed by query id. It is created next to the real table in the same
database and filled with the same runs. With ``--quick`` it gets a tenth of the runs and its size
is scaled up (its reads of every run are over that tenth; marked * in the table), so the script
ends in under two minutes.

Reads, best of five: the case's **series** (every run's time and case score, what a chart draws;
``history.series``), the **latest** row with its per-query scores decoded (what the case page
reads), and **one query's series** (that query's score in every run).

Size is the table with its indexes (SQLite: ``dbstat``; PostgreSQL: ``pg_total_relation_size``,
TOAST included), and the whole database file on SQLite. By default the database is SQLite in a
temporary directory, as ``make demo`` sets it up; ``--database-url`` names a PostgreSQL or MariaDB
server instead, where a scratch database ``searchbench_bench_PID`` is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.djangoenv import scratch_django  # noqa: E402

GOAL_MB = 500
BATCH = 200  # rows per INSERT: 200 peer rows are about 6 MB, under MariaDB's max_allowed_packet
MESSAGES = ["HTTP 503 from the engine", "timed out after 10 s", "connection refused"]


def make_case(queries: int) -> tuple[Any, Any, Any, list[str]]:
    from django.contrib.auth import get_user_model

    from searchbench.cases.models import Case, Query, Scorer, SearchEndpoint, Try

    user = get_user_model().objects.create_user("bench")
    scorer = Scorer.objects.create(name="bench:nDCG@10", kind="builtin", scale=[0, 1, 2, 3])
    endpoint = SearchEndpoint.objects.create(
        name="bench", kind="local", url="local://bench", owner=user
    )
    case = Case.objects.create(name="history bench", owner=user, scorer=scorer)
    try_ = Try.objects.create(case=case, number=1, query_template="q=#$query##", endpoint=endpoint)
    Query.objects.bulk_create(
        Query(case=case, text=f"query {i}", position=i) for i in range(queries)
    )
    keys = [str(pk) for pk in case.queries.values_list("pk", flat=True)]
    return case, try_, scorer, keys


def synthetic_run(rng: random.Random, keys: list[str], i: int) -> tuple[dict, dict, float]:
    errors: dict[str, str] = {}
    if i % 50 == 49:
        for key in rng.sample(keys, max(1, len(keys) // 100)):
            errors[key] = rng.choice(MESSAGES)
    per_query = {k: rng.random() for k in keys if k not in errors}
    return per_query, errors, sum(per_query.values()) / len(keys)


def peer_model() -> Any:
    """The score-history table as migration 0004 left it, under another name."""
    from django.conf import settings
    from django.db import models

    from searchbench.cases.models import Case, Scorer, Try

    class PeerScoreHistory(models.Model):
        case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
        try_ref = models.ForeignKey(
            Try, null=True, on_delete=models.SET_NULL, related_name="+", db_column="try_id"
        )
        scorer = models.ForeignKey(Scorer, null=True, on_delete=models.SET_NULL, related_name="+")
        scorer_name = models.CharField(max_length=100)
        score = models.FloatField()
        per_query = models.JSONField(default=dict)
        errors = models.JSONField(default=dict, blank=True)
        trigger = models.CharField(max_length=16, default="run")
        created_by = models.ForeignKey(
            settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
        )
        created_at = models.DateTimeField(auto_now_add=True)

        class Meta:
            app_label = "bench"
            db_table = "bench_peer_scorehistory"
            indexes = [models.Index(fields=["case", "created_at"], name="peer_case_created")]

        def __str__(self) -> str:
            return f"{self.case_id} {self.score}"

    from django.db import connection

    with connection.schema_editor() as editor:
        editor.create_model(PeerScoreHistory)
    return PeerScoreHistory


def fill(model: Any, make_row: Callable[[int], Any], runs: int, label: str) -> float:
    """Insert ``runs`` rows in batches; seconds taken."""
    started = time.perf_counter()
    batch = []
    for i in range(runs):
        batch.append(make_row(i))
        if len(batch) == BATCH:
            model.objects.bulk_create(batch)
            batch = []
            done = i + 1
            if done % 10_000 == 0:
                rate = done / (time.perf_counter() - started)
                print(f"  {label}: {done:,} runs ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    if batch:
        model.objects.bulk_create(batch)
    return time.perf_counter() - started


def table_bytes(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT SUM(pgsize) FROM dbstat WHERE name = %s OR name IN "
                "(SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s)",
                [table, table],
            )
        elif connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE " + connection.ops.quote_name(table))
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
        else:
            cursor.execute("ANALYZE TABLE " + connection.ops.quote_name(table))
            cursor.fetchall()
            cursor.execute(
                "SELECT data_length + index_length FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_name = %s",
                [table],
            )
        return int(cursor.fetchone()[0] or 0)


def database_bytes() -> int:
    """The whole database: the SQLite file (WAL folded in), or the server's figure for it."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return Path(connection.settings_dict["NAME"]).stat().st_size
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("SELECT pg_database_size(current_database())")
        else:
            query = "FROM information_schema.tables WHERE table_schema = DATABASE()"
            cursor.execute(f"SELECT table_name {query}")
            for (table,) in cursor.fetchall():  # the sizes are estimates until analysed
                cursor.execute("ANALYZE TABLE " + connection.ops.quote_name(table))
                cursor.fetchall()
            cursor.execute(f"SELECT SUM(data_length + index_length) {query}")
        return int(cursor.fetchone()[0] or 0)


def best_of(fn: Callable[[], Any], times: int = 5) -> tuple[float, Any]:
    best, value = float("inf"), None
    for _ in range(times):
        started = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - started)
    return best, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=65_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument(
        "--quick", action="store_true", help="the peer gets a tenth of the runs (scaled up)"
    )
    parser.add_argument("--database-url", help="a PostgreSQL/MariaDB server (scratch database)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory (prints it)")
    args = parser.parse_args(argv)

    with scratch_django(args.database_url, keep=args.keep):
        return run(args)


def run(args: argparse.Namespace) -> int:
    from django.db import connection

    from searchbench.cases import history, scorepack, services
    from searchbench.cases.models import ScoreHistory

    case, try_, scorer, keys = make_case(args.queries)
    peer_runs = args.runs // 10 if args.quick else args.runs
    print(
        f"{args.runs:,} runs of a {args.queries:,}-query case on {connection.vendor} "
        f"({os.cpu_count()} cores); peer: {peer_runs:,} runs" + "\n",
        flush=True,
    )

    rng = random.Random(9)

    def ours(i: int) -> ScoreHistory:
        per_query, errors, score = synthetic_run(rng, keys, i)
        row = ScoreHistory(
            case=case,
            try_ref=try_,
            scorer=scorer,
            scorer_name=scorer.name,
            score=score,
            run_score=score,
            trigger="schedule",
        )
        row.set_queries(per_query, errors)
        return row

    write_ours = fill(ScoreHistory, ours, args.runs - 1, "searchbench")
    last_query, last_errors, last_score = synthetic_run(rng, keys, args.runs - 1)

    class Finished:
        score = last_score
        errors = last_errors

        def per_query(self) -> dict[str, float]:
            return last_query

    recorded = services.record_run(case, try_, scorer, Finished(), None, "schedule")
    probe = ScoreHistory(case=case)
    probe.set_queries(last_query, last_errors)
    assert bytes(recorded.packed) == bytes(probe.packed), "record_run stores what set_queries does"
    ours_db = database_bytes()  # before the peer's table exists

    Peer = peer_model()
    rng = random.Random(9)

    def theirs(i: int) -> Any:
        per_query, errors, score = synthetic_run(rng, keys, i)
        return Peer(
            case=case,
            try_ref=try_,
            scorer=scorer,
            scorer_name=scorer.name,
            score=score,
            per_query=per_query,
            errors=errors,
            trigger="run",
        )

    write_peer = fill(Peer, theirs, peer_runs, "peer")
    scale = args.runs / peer_runs

    ours_bytes = table_bytes(ScoreHistory._meta.db_table)
    peer_bytes = table_bytes(Peer._meta.db_table) * scale

    # Reads
    t_series, points = best_of(lambda: history.series(case))
    assert len(points) == args.runs

    def peer_series() -> list[tuple[Any, ...]]:
        # What the old shape has of a run's point: time, score, try, scorer.
        rows = Peer.objects.filter(case=case).order_by("-created_at", "-id")
        fields = ("created_at", "score", "try_ref__number", "scorer_name")
        return list(reversed(rows.values_list(*fields)))

    t_peer_series, _ = best_of(peer_series)
    t_latest, _ = best_of(lambda: len(history.latest(case).per_query))
    t_peer_latest, _ = best_of(
        lambda: len(Peer.objects.filter(case=case).order_by("-created_at", "-id")[0].per_query)
    )
    probe_id = int(keys[len(keys) // 2])

    def one_query() -> list[float | None]:
        blobs = case.score_history.order_by("created_at", "id").values_list("packed", flat=True)
        return [scorepack.score_of(blob, probe_id) for blob in blobs.iterator(2000)]

    def peer_one_query() -> list[float | None]:
        key = str(probe_id)
        rows = Peer.objects.filter(case=case).order_by("created_at", "id")
        return [d.get(key) for d in rows.values_list("per_query", flat=True).iterator(2000)]

    t_one, _ = best_of(one_query, 3)
    t_peer_one, _ = best_of(peer_one_query, 3)

    mark = "*" if scale != 1 else ""
    rows = [
        ("table + indexes", f"{ours_bytes / 1e6:,.0f} MB", f"{peer_bytes / 1e6:,.0f} MB{mark}"),
        ("per run", f"{ours_bytes / args.runs:,.0f} B", f"{peer_bytes / args.runs:,.0f} B"),
        (
            "write, runs/s",
            f"{(args.runs - 1) / write_ours:,.0f}",
            f"{peer_runs / write_peer:,.0f}",
        ),
        ("series (chart)", f"{t_series * 1e3:,.0f} ms", f"{t_peer_series * 1e3:,.0f} ms{mark}"),
        ("latest row, decoded", f"{t_latest * 1e3:,.1f} ms", f"{t_peer_latest * 1e3:,.1f} ms"),
        ("one query's series", f"{t_one * 1e3:,.0f} ms", f"{t_peer_one * 1e3:,.0f} ms{mark}"),
    ]
    rows.insert(1, ("whole database", f"{ours_db / 1e6:,.0f} MB", "-"))
    print(f"{'':<24}{'searchbench':>14}{'peer (JSON)':>14}")
    for label, a, b in rows:
        print(f"{label:<24}{a:>14}{b:>14}")
    verdict = "within" if ours_db / 1e6 < GOAL_MB else "OVER"
    print(f"\nsearchbench: database {ours_db / 1e6:,.0f} MB ({verdict} the {GOAL_MB} MB goal)")
    if scale != 1:
        print(
            f"* peer: its size is scaled ×{scale:g} from the {peer_runs:,} runs it got; its "
            "series reads are over those runs alone"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
