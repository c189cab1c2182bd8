"""Helper the judging worker test runs as a separate process, against the database its
environment names (as another machine would); each command prints one JSON object.

    python -m searchbench.books.tests.judge_scenario setup BASE_URL PAIRS FAULTS TAG -> ids
    python -m searchbench.books.tests.judge_scenario start BOOK_ID JUDGE_ID      -> {"job_id"}
    python -m searchbench.books.tests.judge_scenario cancel JOB_ID               -> {"status"}
    python -m searchbench.books.tests.judge_scenario report JOB_ID               -> what it wrote
"""

from __future__ import annotations

import sys
from typing import Any

from searchbench.books.tests.llmserver import API_KEY

# One pair in 25 of each fault shape (FAULTS=1); the rest answer normally.
FAULTS = {0: "fenced", 1: "refusal", 2: "prose", 3: "offscale", 4: "429", 5: "500", 6: "timeout"}


def shape_of(n: int, faults: bool) -> str:
    return FAULTS.get(n % 25, "normal") if faults else "normal"


def setup(base_url: str, pairs: int, faults: int, tag: str) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from searchbench.books.models import Book, Judge, Pair
    from searchbench.domain.judging import DEFAULT_PROMPT_TEMPLATE

    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="judge-test")
    book = Book.objects.create(name=f"book of {pairs}", owner=user, scale=[0, 1, 2, 3])
    Pair.objects.bulk_create(
        Pair(
            book=book,
            query_text=f"{tag} query {n // 5}",
            doc_id=f"d{n}",
            doc_fields={"title": f"doc {n} shape:{shape_of(n, bool(faults))} grade:{n % 4}"},
        )
        for n in range(pairs)
    )
    judge = Judge(
        name="stand-in",
        owner=user,
        base_url=base_url,
        model="tiny-1",
        prompt_template=DEFAULT_PROMPT_TEMPLATE,
        timeout=1.0,
        concurrency=4,
    )
    judge.set_api_key(API_KEY)
    judge.save()
    return {"book_id": book.pk, "judge_id": judge.pk}


def start(book_id: int, judge_id: int) -> dict[str, Any]:
    from searchbench.books import judges
    from searchbench.books.models import Book, Judge

    book, judge = Book.objects.get(pk=book_id), Judge.objects.get(pk=judge_id)
    job = judges.start_judging(book, judge, user=book.owner)
    return {"job_id": job.pk}


def cancel(job_id: int) -> dict[str, Any]:
    from searchbench.jobs import services
    from searchbench.jobs.models import Job

    job = services.cancel(Job.objects.get(pk=job_id))
    return {"status": job.status}


def report(job_id: int) -> dict[str, Any]:
    from searchbench.books.models import Judgement
    from searchbench.jobs.models import Job

    job = Job.objects.get(pk=job_id)
    rows = Judgement.objects.filter(pair__book=job.params["book"], judge=job.params["judge"])
    return {
        "status": job.status,
        "done": job.done,
        "failed": job.failed,
        "total": job.total,
        "result": job.result,
        "error": job.error,
        "judgements": [
            {
                "doc": j.pair.doc_id,
                "state": j.state,
                "rating": j.rating,
                "prompt_tokens": j.prompt_tokens,
                "completion_tokens": j.completion_tokens,
                "latency_ms": j.latency_ms,
                "hash": j.prompt_hash,
            }
            for j in rows.select_related("pair")
        ],
    }


COMMANDS = {"setup": setup, "start": start, "cancel": cancel, "report": report}


if __name__ == "__main__":
    from searchbench.jobs.tests.scenario import main

    raise SystemExit(main(sys.argv[1:], COMMANDS))
