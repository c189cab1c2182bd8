"""How long what jobs leave behind is kept (docs/jobs.md, "Retention").

The nightly task (``tasks.nightly_runs``, on the worker's schedule) calls :func:`prune` each time
it runs, so nothing here needs a process of its own:

- the per-query results a cancelled or failed run had saved go after a day (a finished run's go
  when it is recorded: the score-history row has them);
- finished jobs (done, failed, cancelled) go ``SEARCHBENCH_JOBS_KEEP_DAYS`` days after they
  ended, with their chunks; the score history and snapshots they made stay;
- an index upload left waiting for its fields (the Indexes page's second step) for a day is
  cancelled and its file deleted;
- the stored file of a job ended a day ago goes (an import's or an index build's: their tasks
  delete it, but a job cancelled before its task ran — an index upload waiting for its fields
  has none — kept it until the job itself went);
- django-q2's records of failed tasks go after as many days (it keeps every failure; its
  successful ones are capped by ``save_limit`` in the settings).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_q.models import Failure

from searchbench.indexes.services import drop_staged, stale_uploads
from searchbench.jobs.models import ImportUpload, Job, JobResult

ENDED = (Job.Status.DONE, Job.Status.FAILED, Job.Status.CANCELLED)


def prune(now: datetime | None = None) -> dict[str, int]:
    """Delete what the retention rules let go; how many of each went."""
    now = now or timezone.now()
    gone = {
        "results": JobResult.objects.filter(
            job__status__in=[Job.Status.CANCELLED, Job.Status.FAILED],
            job__finished_at__lt=now - timedelta(days=1),
        ).delete()[0],
        "jobs": 0,
        "failed_tasks": 0,
        "index_uploads": drop_staged(stale_uploads(now - timedelta(days=1))),
    }
    gone["uploads"] = ImportUpload.objects.filter(
        job__status__in=ENDED, job__finished_at__lt=now - timedelta(days=1)
    ).delete()[0]
    keep_days: int = settings.SEARCHBENCH_JOBS_KEEP_DAYS
    if keep_days:
        cutoff = now - timedelta(days=keep_days)
        _total, by_model = Job.objects.filter(status__in=ENDED, finished_at__lt=cutoff).delete()
        gone["jobs"] = by_model.get(Job._meta.label, 0)
        gone["failed_tasks"] = Failure.objects.filter(stopped__lt=cutoff).delete()[0]
    return gone
