"""``searchbench worker``: a django-q2 cluster taking jobs from the queue in the database.

One ``searchbench worker`` is a django-q2 cluster: a guard process, ``SEARCHBENCH_WORKER_PROCESSES``
worker processes, a process that takes tasks from the queue and one that saves results. Start as
many as you like, on as many machines as share the database: they share the queue, the endpoints'
rate limits and the nightly schedule.

Stopping: SIGTERM or SIGINT (Ctrl+C) to this process. The cluster takes no new task; each worker
finishes the batch of queries in hand, saves it, hands the rest of its chunk back to the queue
(for another worker, or for this one when it starts again) and exits. SIGKILL loses only the batch
in hand: django-q2 delivers the task again after ``SEARCHBENCH_JOB_RETRY`` seconds and the chunk
carries on from its saved results.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from datetime import datetime
from types import FrameType
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from searchbench.web.logging import get_logger

log = get_logger("searchbench.jobs")

NIGHTLY_SCHEDULE = "searchbench nightly runs"
NIGHTLY_FUNC = "searchbench.jobs.tasks.nightly_runs"

# Set when the worker is told to stop. Made before the cluster forks its processes, so every
# worker process sees it; None outside a worker (the web app, tests running tasks in-process).
_stop: Any = None


def stopping() -> bool:
    """Whether this worker was told to stop: a chunk saves its batch and hands back the rest."""
    return _stop is not None and _stop.is_set()


def run_worker() -> int:
    """Run the cluster until SIGTERM/SIGINT; 0 after a clean stop."""
    global _stop
    from django_q import cluster as cluster_module
    from django_q.brokers import get_broker
    from django_q.cluster import Cluster

    from searchbench.jobs.ratelimit import share_in_database

    _stop = multiprocessing.get_context("fork").Event()
    # Cluster.start() makes its guard process from this module attribute.
    cluster_module.Sentinel = _sentinel_class()
    share_in_database()
    schedule = ensure_schedule()
    log.info(
        "worker_starting",
        processes=settings.Q_CLUSTER["workers"],
        chunk_size=settings.SEARCHBENCH_JOB_CHUNK_SIZE,
        timeout=settings.Q_CLUSTER["timeout"],
        retry=settings.Q_CLUSTER["retry"],
        nightly=schedule.cron,
        next_nightly=schedule.next_run.isoformat(),
    )
    cluster = Cluster(get_broker())
    asked = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        # Only flags here; the main loop below stops the cluster.
        _stop.set()
        asked.set()

    # Ours instead of the cluster's own handlers (which stop it from inside the handler).
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    cluster.start()
    log.info("worker_ready", cluster=cluster.name)
    while cluster.sentinel.is_alive():
        if asked.is_set():
            log.info("worker_stopping")
            cluster.stop()
            break
        cluster.sentinel.join(0.2)
    code = cluster.sentinel.exitcode
    log.info("worker_stopped", exitcode=code)
    return 0 if asked.is_set() or code == 0 else 1


def _sentinel_class() -> Any:
    from django_q.cluster import Sentinel

    class GracefulSentinel(Sentinel):  # type: ignore[misc]
        """django-q2's guard process, deaf to SIGTERM like the processes it starts, and stopping
        cleanly when the main process is gone.

        A SIGTERM sent to every process at once (``timeout``, systemd's default, ``kill`` of the
        process group) would otherwise kill the guard and the workers mid-batch; this way only
        the main process acts on it and the stop is the clean one. (SIGINT is already ignored
        below the main process.) Should the main process die alone (SIGKILL), the guard stops
        the cluster the same way rather than run on unsupervised."""

        def start(self) -> None:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # inherited by the processes it forks
            threading.Thread(target=self._watch_parent, daemon=True).start()
            super().start()

        def _watch_parent(self) -> None:
            while os.getppid() == self.parent_pid:
                time.sleep(1.0)
            log.warning("worker_orphaned", parent=self.parent_pid)
            _stop.set()
            self.stop_event.set()

    return GracefulSentinel


def next_cron_time(cron: str, after: datetime | None = None) -> datetime:
    from croniter import croniter

    nxt: datetime = croniter(cron, after or timezone.now()).get_next(datetime)
    return nxt


def ensure_schedule(cron: str | None = None) -> Any:
    """The django-q2 cron schedule that queues the nightly runs, made or brought in line with
    ``SEARCHBENCH_NIGHTLY_CRON`` (every worker does it at start; one row whoever comes first)."""
    from django_q.models import Schedule

    cron = cron or settings.SEARCHBENCH_NIGHTLY_CRON
    with transaction.atomic():
        rows = list(
            Schedule.objects.select_for_update().filter(name=NIGHTLY_SCHEDULE).order_by("pk")
        )
        if not rows:
            return Schedule.objects.create(
                name=NIGHTLY_SCHEDULE,
                func=NIGHTLY_FUNC,
                schedule_type=Schedule.CRON,
                cron=cron,
                repeats=-1,
                next_run=next_cron_time(cron),
            )
        keep, *extra = rows
        for row in extra:  # two workers started at once on a database without row locks
            row.delete()
        if (keep.cron, keep.func, keep.schedule_type) != (cron, NIGHTLY_FUNC, Schedule.CRON):
            keep.cron, keep.func, keep.schedule_type = cron, NIGHTLY_FUNC, Schedule.CRON
            keep.repeats = -1
            keep.next_run = next_cron_time(cron)
            keep.save()
        return keep
