"""Retention: finished jobs and failed task records go SEARCHBENCH_JOBS_KEEP_DAYS after they
ended, by the nightly task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Failure, Success, Task

from searchbench.cases.models import ScoreHistory
from searchbench.cases.tests.conftest import World
from searchbench.jobs import retention, tasks
from searchbench.jobs import services as jobs
from searchbench.jobs.models import ImportUpload, Job, JobChunk

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _ended(world: World, status: str, days_ago: float) -> Job:
    job = Job.objects.create(
        kind=Job.Kind.RUN,
        case=world.case,
        status=status,
        finished_at=NOW - timedelta(days=days_ago),
    )
    JobChunk.objects.create(job=job, number=0, query_ids=[world.q_boots.pk])
    return job


def _task(name: str, success: bool, days_ago: float) -> None:
    stopped = NOW - timedelta(days=days_ago)
    Task.objects.create(
        id=name, name=name, func="f", started=stopped, stopped=stopped, success=success
    )


def test_finished_jobs_and_failed_task_records_go_after_the_kept_days(world: World, settings):
    settings.SEARCHBENCH_JOBS_KEEP_DAYS = 30
    old = [_ended(world, status, 31) for status in ("done", "failed", "cancelled")]
    recent = _ended(world, "done", 29)
    running = Job.objects.create(kind=Job.Kind.RUN, case=world.case, status="running")
    jobs.start_run(world.case)  # a run done now, with its history row
    _task("old-failure", False, 31)
    _task("new-failure", False, 1)
    _task("old-success", True, 31)  # successes are capped by django-q2's save_limit instead

    gone = retention.prune(NOW)

    assert gone == {"results": 0, "jobs": 3, "failed_tasks": 1, "index_uploads": 0, "uploads": 0}
    assert not Job.objects.filter(pk__in=[job.pk for job in old]).exists()
    assert not JobChunk.objects.filter(job_id__in=[job.pk for job in old]).exists()
    assert Job.objects.filter(pk__in=[recent.pk, running.pk]).count() == 2
    assert Job.objects.count() == 3  # and the run done now
    assert ScoreHistory.objects.filter(case=world.case).count() == 1  # what a job made stays
    assert list(Failure.objects.values_list("name", flat=True)) == ["new-failure"]
    assert Success.objects.filter(name="old-success").exists()


def test_the_nightly_task_applies_the_retention(world: World, settings) -> None:
    settings.SEARCHBENCH_JOBS_KEEP_DAYS = 7
    job = _ended(world, "done", 8)
    tasks.nightly_runs()
    assert not Job.objects.filter(pk=job.pk).exists()


def test_zero_days_keeps_jobs_for_ever(world: World, settings) -> None:
    settings.SEARCHBENCH_JOBS_KEEP_DAYS = 0
    job = _ended(world, "done", 3650)
    _task("old-failure", False, 3650)
    assert retention.prune(NOW) == {
        "results": 0, "jobs": 0, "failed_tasks": 0, "index_uploads": 0, "uploads": 0,
    }  # fmt: skip
    assert Job.objects.filter(pk=job.pk).exists() and Failure.objects.exists()


def test_an_ended_jobs_stored_file_goes_after_a_day(world: World, settings) -> None:
    """An index upload waiting for its fields, cancelled through the jobs' cancel (the API's or
    the page's), has no task to drop its file: it stayed until the job went (30 days)."""
    settings.SEARCHBENCH_JOBS_KEEP_DAYS = 30
    staged = Job.objects.create(
        kind=Job.Kind.INDEX, params={"index_id": 0, "staged": True}, created_by=world.owner
    )
    ImportUpload.objects.create(job=staged, number=0, data=b"{}")
    jobs.cancel(staged)
    # From when the cancel ended it (NOW is the module's import time, minutes earlier in a full
    # run: a day after NOW could still be within a day of the cancel).
    ended = Job.objects.get(pk=staged.pk).finished_at
    assert retention.prune(ended)["uploads"] == 0  # not a day ago yet
    assert retention.prune(ended + timedelta(days=1, minutes=1))["uploads"] == 1
    assert Job.objects.filter(pk=staged.pk).exists()  # the job stays its kept days
