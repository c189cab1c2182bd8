"""What the workers run. django-q2 calls these by name with plain ids.

Every task may run twice: django-q2 delivers a task again when its worker died before
acknowledging it, and a stopping worker hands unfinished work back. So:

- a chunk skips the queries it already has results for and upserts the ones it searches, one
  result per (job, query), so a redone chunk leaves no duplicate and no gap;
- a run is finished by one conditional update (``status`` still active → done) in the same
  transaction that writes its score-history row, so exactly one chunk records it;
- cancel and stop are looked at before each batch of queries: the batch in hand is finished and
  saved, the rest of the chunk is dropped (cancel) or queued again (stop, time budget). A batch is
  sized to take about BATCH_SECONDS, so that answer comes within a second or two whatever the
  engine's pace, while a fast engine is not held up by a save and a wait for the slowest query
  every few dozen queries.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from searchbench import loop
from searchbench.cases import services as case_services
from searchbench.cases.models import Case, Query, ScoreHistory, Snapshot, Try
from searchbench.domain.scoring import case_mean
from searchbench.jobs import retention, worker
from searchbench.jobs.models import CaseSchedule, Job, JobChunk, JobResult
from searchbench.web.logging import get_logger

log = get_logger("searchbench.jobs")

# A chunk hands its remaining queries back to the queue after this share of the task timeout,
# so django-q2 never has to kill it (a kill loses the batch in hand).
TIME_BUDGET_SHARE = 0.8


# Each batch of a chunk is sized to take about this long (search, score, save): the longest a
# cancel or a stopping worker waits, and the most a killed worker's chunk searches again. Longer
# batches would save little: at one a second the save (a few ms) and the wait for the batch's
# slowest query (one query's time) are around 1 % of the work.
BATCH_SECONDS = 1.0
BATCH_GROWTH = 4  # at most this many times the last batch: a fast first batch may be a fluke


def batch_size() -> int:
    """The first batch of a chunk (queries searched and saved together: the unit of progress,
    cancel and stop); later ones are sized by their pace (``next_batch_size``). A few rounds of
    the engine concurrency keep the engine busy."""
    return max(1, settings.SEARCHBENCH_ENGINE_CONCURRENCY * 4)


def next_batch_size(size: int, seconds: float) -> int:
    """The size of the batch after one of ``size`` queries that took ``seconds``: about
    BATCH_SECONDS of work at that pace, never more than BATCH_GROWTH times ``size`` nor fewer
    than one round of the engine concurrency (so a slow or rate-limited engine gets batches of
    one round, not a 4-round wait before each look at cancel)."""
    least = max(1, settings.SEARCHBENCH_ENGINE_CONCURRENCY)
    most = size * BATCH_GROWTH
    at_pace = int(size * BATCH_SECONDS / seconds) if seconds > 0 else most
    return max(least, min(most, at_pace))


def plan_batch(case: Case, try_: Try, queries: Sequence[Query]) -> loop.Plan:
    """A chunk's plan: the run keeps scores only, so the engine is asked for no explanations
    (on the built-in engine they are most of its time; on Solr, ``debugQuery``)."""
    return case_services.plan_case(case, try_, queries, explain=False)


def max_attempts() -> int:
    return int(settings.Q_CLUSTER.get("max_attempts") or 5)


class JobFailed(Exception):
    """The job cannot go on (its try was deleted, a chunk keeps failing): it ends as failed."""


# ---------------------------------------------------------------------------------------------
# A chunk of a case run


def run_chunk(chunk_id: int) -> str:
    """Search, score and save the chunk's queries that have no result yet; finish the run if this
    was the last chunk. Returns what happened, for django-q2's task record."""
    chunk = JobChunk.objects.select_related("job").filter(pk=chunk_id).first()
    if chunk is None:
        return "gone"  # the job (or its case) was deleted
    job = chunk.job
    if not job.active:
        return f"job {job.status}"
    if job.cancel_requested:
        _end(job, Job.Status.CANCELLED)
        return "cancelled"
    now = timezone.now()
    JobChunk.objects.filter(pk=chunk.pk).update(
        attempts=F("attempts") + 1, status=JobChunk.Status.RUNNING, started_at=now
    )
    chunk.refresh_from_db(fields=["attempts", "status", "error"])
    if chunk.attempts > max_attempts():
        _fail(job, f"chunk {chunk.number + 1} failed {chunk.attempts - 1} times: {chunk.error}")
        return "failed"
    Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=now
    )
    try:
        outcome = _work(job, chunk)
    except JobFailed as exc:
        _fail(job, str(exc))
        return "failed"
    except Exception as exc:
        JobChunk.objects.filter(pk=chunk.pk).update(error=f"{type(exc).__name__}: {exc}"[:2000])
        if chunk.attempts >= max_attempts():  # django-q2 will not deliver it again
            _fail(job, f"chunk {chunk.number + 1} failed {chunk.attempts} times: {exc}")
        raise
    if outcome == "cancelled":
        _end(job, Job.Status.CANCELLED)
        return outcome
    if outcome == "ended":
        return outcome
    if outcome == "requeued":
        from searchbench.jobs.services import enqueue_chunk

        enqueue_chunk(job.pk, chunk)
        return outcome
    JobChunk.objects.filter(pk=chunk.pk).update(
        status=JobChunk.Status.DONE, finished_at=timezone.now(), attempts=0
    )
    log.info("chunk_done", job_id=job.pk, case_id=job.case_id, chunk=chunk.number)
    # Every chunk looks once it is done; the one that sees none left finishes the run (two may
    # both see it: finish_run lets only one through).
    if not JobChunk.objects.filter(job=job).exclude(status=JobChunk.Status.DONE).exists():
        finish_run(job.pk)
    return outcome


def _work(job: Job, chunk: JobChunk) -> str:
    """Search and save the chunk's missing queries, a batch at a time: "done", "cancelled",
    "requeued" (the worker is stopping, or the chunk used its time) or "ended" (the job ended
    while the batch was searched)."""
    case = job.case
    if job.scorer is not None:
        case.scorer = job.scorer  # the scorer the job started with, for every chunk
    try_ = job.try_ref
    if try_ is None:
        raise JobFailed("the try was deleted while the run was going on")
    have = set(
        JobResult.objects.filter(job=job, query_id__in=chunk.query_ids).values_list(
            "query_id", flat=True
        )
    )
    todo = list(
        Query.objects.filter(pk__in=[pk for pk in chunk.query_ids if pk not in have]).order_by(
            "position", "id"
        )
    )
    started = time.monotonic()
    budget = settings.Q_CLUSTER["timeout"] * TIME_BUDGET_SHARE
    size = batch_size()
    at = 0
    while at < len(todo):
        if worker.stopping() or (at and time.monotonic() - started > budget):
            return "requeued"
        if Job.objects.filter(pk=job.pk, cancel_requested=True).exists():
            return "cancelled"
        began = time.monotonic()
        batch = todo[at : at + size]
        result = loop.execute(plan_batch(case, try_, batch))
        if not _save(job, chunk, result.queries):
            return "ended"
        at += len(batch)
        size = next_batch_size(len(batch), time.monotonic() - began)
    return "done"


def _save(job: Job, chunk: JobChunk, outcomes: Sequence[loop.QueryResult]) -> bool:
    """Store a batch's results and the job's counts; False (nothing stored) when the job ended
    meanwhile (cancelled, or finished by a copy of this chunk delivered twice)."""
    rows = [
        JobResult(job=job, query_id=int(o.key), score=o.score, error=o.error or "")
        for o in outcomes
    ]
    # MariaDB upserts on any unique key and takes no target; the others need it named.
    target = ["job", "query"] if connection.features.supports_update_conflicts_with_target else None
    with transaction.atomic():
        # The job's row lock orders this against finish_run: results never land after the run
        # was recorded (and its results deleted).
        if not Job.objects.select_for_update().filter(pk=job.pk, status__in=Job.ACTIVE).exists():
            return False
        JobResult.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=target, update_fields=["score", "error"]
        )
        # Counted, not added: a redone batch must not count twice.
        counts = JobResult.objects.filter(job=job).aggregate(
            done=Count("id"), failed=Count("id", filter=~Q(error=""))
        )
        Job.objects.filter(pk=job.pk).update(done=counts["done"], failed=counts["failed"])
        JobChunk.objects.filter(pk=chunk.pk).update(attempts=0)  # progress: not stuck
    return True


@dataclass
class _FinishedRun:
    """The stored results of a run, as ``case_services.record_run`` takes a run."""

    score: float
    errors: Mapping[str, str]
    _per_query: Mapping[str, float]

    def per_query(self) -> Mapping[str, float]:
        return self._per_query


def finish_run(job_id: int) -> ScoreHistory | None:
    """Record the run in the score history, once: the job goes from active to done and its row
    is written in one transaction; whoever comes second changes nothing and gets None."""
    with transaction.atomic():
        claimed = Job.objects.filter(pk=job_id, status__in=Job.ACTIVE).update(
            status=Job.Status.DONE, finished_at=timezone.now()
        )
        if claimed != 1:
            return None
        job = Job.objects.select_related("case", "try_ref", "scorer", "created_by").get(pk=job_id)
        rows = list(JobResult.objects.filter(job=job).values_list("query_id", "score", "error"))
        per_query = {str(q): s for q, s, e in rows if not e and s is not None}
        errors = {str(q): e for q, _s, e in rows if e}
        keys = [str(q) for q, _s, _e in rows]
        rule = job.case.unrated_queries
        unrated = {str(pk) for pk in case_services.unrated_query_ids(job.case)}
        run = _FinishedRun(
            case_mean(per_query, keys, unrated=unrated, rule=rule), errors, per_query
        )
        scorer = job.scorer or job.case.scorer
        trigger = ScoreHistory.Trigger.SCHEDULE if job.scheduled else ScoreHistory.Trigger.RUN
        history = case_services.record_run(
            job.case, job.try_ref, scorer, run, job.created_by, trigger
        )
        Job.objects.filter(pk=job_id).update(
            done=len(rows),
            failed=len(errors),
            result={"history_id": history.pk, "score": run.score},
        )
        # The history row has every query's score now; the job's copies would only take room.
        JobResult.objects.filter(job=job).delete()
    log.info(
        "case_run",
        case_id=job.case_id,
        job_id=job_id,
        try_number=job.try_ref.number if job.try_ref else None,
        scorer=scorer.name,
        score=round(run.score, 6),
        queries=len(rows),
        failed=len(errors),
        trigger=job.params.get("trigger", "web"),
    )
    return history


# ---------------------------------------------------------------------------------------------
# A snapshot


def run_snapshot(job_id: int) -> str:
    """Take the snapshot the job asks for (one task: the snapshot is written in one go)."""
    job = Job.objects.select_related("case", "created_by").filter(pk=job_id).first()
    if job is None or not job.active:
        return "gone" if job is None else f"job {job.status}"
    if job.cancel_requested:
        _end(job, Job.Status.CANCELLED)
        return "cancelled"
    Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    name = job.params.get("name", "")
    # Delivered again (its worker died): the snapshot may have been written before the job was
    # marked done. Take that one rather than a second.
    snapshot = (
        Snapshot.objects.filter(
            case=job.case, name=name, created_by=job.created_by, created_at__gte=job.started_at
        )
        .order_by("pk")
        .first()
        if job.started_at
        else None
    )
    try:
        snapshot = snapshot or case_services.take_snapshot(
            job.case, name, user=job.created_by, explain=bool(job.params.get("explain"))
        )
    except case_services.ServiceError as exc:
        _fail(job, str(exc))
        return "failed"
    failed = snapshot.queries.exclude(error="").count()
    done = snapshot.queries.count()
    Job.objects.filter(pk=job.pk, status__in=Job.ACTIVE).update(
        status=Job.Status.DONE,
        finished_at=timezone.now(),
        done=done,
        total=done,
        failed=failed,
        result={"snapshot_id": snapshot.pk, "score": snapshot.score},
    )
    return "done"


# ---------------------------------------------------------------------------------------------
# Nightly runs (a django-q2 cron schedule calls this; worker.ensure_schedule makes it)


def nightly_runs() -> str:
    """Queue a run of every case marked for nightly runs that is not archived and has no run
    still going; then delete what the jobs' retention lets go (retention.prune)."""
    from searchbench.jobs.services import start_run

    started, skipped = [], []
    marked = CaseSchedule.objects.filter(nightly=True, case__archived=False).values_list(
        "case_id", flat=True
    )
    for case in Case.objects.filter(pk__in=list(marked)).select_related("scorer"):
        busy = Job.objects.filter(case=case, kind=Job.Kind.RUN, status__in=Job.ACTIVE).exists()
        if busy:
            skipped.append(case.pk)
            continue
        try:
            job = start_run(case, trigger=Job.NIGHTLY)
        except case_services.ServiceError as exc:
            log.warning("nightly_run_skipped", case_id=case.pk, reason=str(exc))
            skipped.append(case.pk)
            continue
        started.append(job.pk)
    log.info("nightly_runs", jobs=started, skipped=skipped, pruned=retention.prune())
    return f"started {len(started)} run(s), skipped {len(skipped)}"


# ---------------------------------------------------------------------------------------------


def _end(job: Job, status: str, error: str = "") -> bool:
    """Move an active job to ``status`` (once: False when it had ended already)."""
    changed = Job.objects.filter(pk=job.pk, status__in=Job.ACTIVE).update(
        status=status, finished_at=timezone.now(), error=error
    )
    return changed == 1


def _fail(job: Job, error: str) -> None:
    if _end(job, Job.Status.FAILED, error[:2000]):
        log.warning("job_failed", job_id=job.pk, case_id=job.case_id, error=error)
