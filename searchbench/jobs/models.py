"""Jobs and what they leave behind. Behaviour lives in services.py and tasks.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models

User = settings.AUTH_USER_MODEL


class Job(models.Model):
    """One piece of background work on a case, as people see it: what, how far, how it ended."""

    class Kind(models.TextChoices):
        RUN = "run", "Run"
        SNAPSHOT = "snapshot", "Snapshot"
        IMPORT = "import", "Import"  # a file into a case (jobs/imports.py)
        INDEX = "index", "Index build"  # a built-in engine index from an uploaded file
        JUDGE = "judge", "Judging"  # an LLM judge on a book's pairs (params: book, judge)

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    # Who asked for a run (``params["trigger"]``): "web", "api", or the nightly schedule.
    NIGHTLY = "nightly"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # None only for an import into a new case until it is done (the case is made by the import).
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    try_ref = models.ForeignKey(
        "cases.Try",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
        db_column="try_id",
        verbose_name="try",
    )
    # The case's scorer when the job was started: every chunk scores with it, whatever the case
    # says by the time the chunk runs.
    scorer = models.ForeignKey("cases.Scorer", null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)  # queries
    done = models.PositiveIntegerField(default=0)  # queries with a result (failed ones included)
    failed = models.PositiveIntegerField(default=0)  # queries whose result is an error
    cancel_requested = models.BooleanField(default=False)
    params = models.JSONField(default=dict, blank=True)  # {"name": …} of a snapshot, {"trigger": …}
    result = models.JSONField(default=dict, blank=True)  # {"history_id", "score"}, {"snapshot_id"}
    error = models.TextField(blank=True)  # why the job failed
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "status"], name="job_case_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of case {self.case_id} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def scheduled(self) -> bool:
        """Started by the nightly schedule, not by a person."""
        return bool(self.params.get("trigger") == self.NIGHTLY)


class JobChunk(models.Model):
    """Some queries of a run, one task on the queue. Redone whole or in part after a crash."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    query_ids = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # Starts since the chunk last saved results: a chunk that keeps dying without progress fails
    # its job instead of being delivered for ever.
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)  # the last exception, for the job's error
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="jobchunk_unique_number")
        ]

    def __str__(self) -> str:
        return f"job {self.job_id} chunk {self.number}"


class JobResult(models.Model):
    """One query's result in a run that is not finished yet. Unique per (job, query): a chunk
    redone after a crash overwrites, so a run has no duplicate and no gap. Deleted when the run
    is recorded in the score history."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="results")
    query = models.ForeignKey("cases.Query", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(null=True, blank=True)  # the case scorer's; None when failed
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "query"], name="jobresult_unique_query")
        ]

    def __str__(self) -> str:
        return f"job {self.job_id} query {self.query_id}"


class CaseSchedule(models.Model):
    """A case's part in scheduled runs (kept beside the case, not in it)."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="schedule"
    )
    nightly = models.BooleanField(default=False)
    updated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"case {self.case_id}: {'nightly' if self.nightly else 'not scheduled'}"


class RateBucket(models.Model):
    """An endpoint's requests-per-minute budget, shared by every process (ratelimit.py)."""

    key = models.CharField(max_length=64, unique=True)  # sha256 of the limiter key and limit
    tokens = models.FloatField()
    updated = models.FloatField()  # Unix time of the last take
    version = models.BigIntegerField(default=0)  # compare-and-set: a write wins only once

    def __str__(self) -> str:
        return f"{self.key[:12]}…: {self.tokens:.2f}"


class ImportUpload(models.Model):
    """A piece of a file an import job will read, kept in the database so that a worker on any
    machine can read it; deleted when the import ends."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="upload")
    number = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="importupload_unique_number")
        ]

    def __str__(self) -> str:
        return f"job {self.job_id} piece {self.number}"
