"""Helper the worker tests run as a separate process, against the database its environment names
(``SEARCHBENCH_DATA_DIR`` for SQLite, else ``DATABASE_URL``), as another machine would.

    python -m searchbench.jobs.tests.scenario setup URL QUERIES   -> {"case_id": …}
    python -m searchbench.jobs.tests.scenario run CASE_ID         -> {"job_id": …}
    python -m searchbench.jobs.tests.scenario cancel JOB_ID       -> {"status": …}
    python -m searchbench.jobs.tests.scenario report JOB_ID       -> the finished run, checked
    python -m searchbench.jobs.tests.scenario hammer URL RPM N    -> N requests under a shared budget
    python -m searchbench.jobs.tests.scenario queue               -> the tasks on the queue

Each prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def setup(url: str, queries: int) -> dict[str, Any]:
    """A case of ``queries`` queries against the searchapi endpoint at ``url``, each with one
    relevant doc, and its first try."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from searchbench.cases import services
    from searchbench.cases.builtins import sync_builtin_scorers
    from searchbench.cases.models import Case, Query, Rating, Scorer, SearchEndpoint

    call_command("migrate", verbosity=0)
    sync_builtin_scorers()
    user, _ = get_user_model().objects.get_or_create(username="worker-test")
    endpoint = SearchEndpoint.objects.create(
        name="slow api",
        kind="searchapi",
        url=url,
        options={"docs_path": "results"},
        owner=user,
        timeout=10,
    )
    case = Case.objects.create(
        name="Big case", owner=user, scorer=Scorer.objects.get(name="quepid:P@10")
    )
    services.create_try(
        case, query_template="q=#$query##", field_spec="id title", endpoint=endpoint
    )
    made = Query.objects.bulk_create(
        Query(case=case, text=f"query {n}", position=n) for n in range(1, queries + 1)
    )
    Rating.objects.bulk_create(Rating(query=q, doc_id="d1", rating=1) for q in made)
    return {"case_id": case.pk, "query_ids": [q.pk for q in made]}


def run(case_id: int) -> dict[str, Any]:
    from searchbench.cases.models import Case
    from searchbench.jobs.services import start_run

    job = start_run(Case.objects.get(pk=case_id))
    return {"job_id": job.pk, "chunks": job.chunks.count()}


def cancel(job_id: int) -> dict[str, Any]:
    from searchbench.jobs import services
    from searchbench.jobs.models import Job

    job = services.cancel(Job.objects.get(pk=job_id))
    return {"status": job.status, "cancel_requested": job.cancel_requested}


def report(job_id: int) -> dict[str, Any]:
    """How the job ended and what it recorded: every query of the case once, in one row."""
    from searchbench.cases.models import ScoreHistory
    from searchbench.jobs.models import Job, JobResult

    job = Job.objects.get(pk=job_id)
    rows = list(ScoreHistory.objects.filter(case=job.case_id))
    recorded: list[str] = []
    for row in rows:
        recorded += list(row.per_query) + list(row.errors or {})
    expected = sorted(str(pk) for pk in job.case.queries.values_list("pk", flat=True))
    return {
        "status": job.status,
        "done": job.done,
        "failed": job.failed,
        "total": job.total,
        "history_rows": len(rows),
        "score": job.result.get("score"),
        "recorded": len(recorded),
        "distinct": len(set(recorded)),
        "complete": sorted(recorded) == expected,
        "leftover_results": JobResult.objects.filter(job=job).count(),
    }


def hammer(url: str, rpm: int, count: int) -> dict[str, Any]:
    """``count`` requests to ``url`` under a ``rpm`` budget kept in the database, waiting for it."""
    import time

    from searchbench.engines import http
    from searchbench.jobs.ratelimit import share_in_database

    share_in_database()
    started = time.monotonic()
    for _ in range(count):
        http.send("GET", url, requests_per_minute=rpm, limiter_key="hammer")
    return {"seconds": time.monotonic() - started}


def queue() -> dict[str, Any]:
    """The tasks on the queue: which chunk each one runs and until when a worker holds it."""
    from django_q.models import OrmQ

    return {
        "tasks": [
            {
                "id": t.pk,
                "name": t.name(),
                "args": list(t.task.get("args", ())),
                "lock": str(t.lock),
            }
            for t in OrmQ.objects.order_by("pk")
        ]
    }


COMMANDS = {
    "setup": setup,
    "run": run,
    "cancel": cancel,
    "report": report,
    "hammer": hammer,
    "queue": queue,
}


def main(argv: list[str], commands: dict[str, Any] | None = None) -> int:
    """Run ``argv[0]`` of ``commands`` (these by default) with the rest as its arguments (digits
    as numbers) in a set-up Django, and print its JSON."""
    from searchbench.web.bootstrap import setup_django

    setup_django()
    command, *args = argv
    typed = [int(a) if a.isdigit() else a for a in args]
    print(json.dumps((commands or COMMANDS)[command](*typed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
