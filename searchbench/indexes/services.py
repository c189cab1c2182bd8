"""Built-in engine indexes from the web: upload a JSONL or CSV file, look at its first rows, pick
the id field and the text fields, build it as a job; list, delete.

The uploaded file is kept in the database in pieces (jobs.models.ImportUpload, as imports keep
theirs) under a job of kind INDEX that waits (``params["staged"]``) until its fields are picked;
then a worker builds it (tasks.run_build) through the engine's ``create_index``, which builds
into a new version folder and swaps it in only when it is complete. Who may use an index is the
rule of every stored data kind: cases.services.usable_data(user, "local").
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from searchbench.cases import services as case_services
from searchbench.cases.models import SearchEndpoint
from searchbench.engines.local import index as engine
from searchbench.indexes.models import LocalIndex
from searchbench.jobs import services as jobs
from searchbench.jobs.imports import PIECE
from searchbench.jobs.models import ImportUpload, Job

RUN_BUILD = "searchbench.indexes.tasks.run_build"
PREVIEW_ROWS = 5  # rows shown before the fields are picked
PREVIEW_PIECES = 4  # pieces of the upload read for the preview (rows of very big docs)
FIELD_PICK_ROWS = 50  # rows whose fields are offered as the id and text fields

User = AbstractBaseUser | AnonymousUser


class IndexProblem(Exception):
    """A request about an index that cannot be done; the message says why (never a path), and
    ``field`` which form field it is about."""

    def __init__(self, message: str, field: str = "file") -> None:
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------------------------------------
# Access


def usable_indexes(user: User) -> QuerySet[LocalIndex]:
    """Indexes the user may see and point endpoints at: own, or shared with their team."""
    return case_services.usable_data(user, "local").select_related("owner")


def index_for(user: User, index_id: int) -> LocalIndex | None:
    return usable_indexes(user).filter(pk=index_id).first()


def own_index(user: User, index_id: int) -> LocalIndex | None:
    """The index if the user owns it (only the owner builds, shares or deletes it)."""
    found = index_for(user, index_id)
    return found if found is not None and found.owner_id == user.pk else None


def name_clash(name: str) -> str | None:
    """Why index NAME cannot be recorded on this database: another index's name differing only
    in case or accents, which MariaDB's collation holds as the same (None: no such one)."""
    other = next(
        (n for n in LocalIndex.objects.filter(name=name).values_list("name", flat=True)
         if n != name),
        None,
    )  # fmt: skip
    if other is None:
        return None
    return f"local://{other} holds that name on this database (it compares names without case)"


def assign(name: str, owner: Any, teams: Iterable[Any] = ()) -> LocalIndex:
    """The operator's door (``searchbench index create --owner``): index NAME becomes
    ``owner``'s, shared with ``teams``, whoever had it. IndexProblem when another index's name
    is the same to the database (``name_clash``): that row is not NAME's to give."""
    with transaction.atomic():
        clash = name_clash(name)
        if clash:
            raise IndexProblem(clash, "name")
        row, _made = LocalIndex.objects.select_for_update().get_or_create(
            name=name, defaults={"owner": owner}
        )
        row.owner = owner
        row.save(update_fields=["owner", "updated_at"])
        row.teams.set(list(teams))
    return row


# ---------------------------------------------------------------------------------------------
# Upload (step 1) and fields (step 2)


def max_upload_bytes() -> int:
    return int(settings.SEARCHBENCH_INDEX_UPLOAD_MAX_MB) * 1024 * 1024


def start_upload(
    user: Any, name: str, source: IO[bytes], *, filename: str, teams: Iterable[Any] = ()
) -> Job:
    """Reserve index NAME for ``user`` (a new name, or one of theirs: rebuilt when built) and
    keep the file for the build; the job waits for the fields (``start_build``). The file's
    first rows must read (IndexProblem with the line otherwise); nothing is kept on a refusal."""
    try:
        name = engine.index_name(name)
    except engine.LocalIndexError as exc:
        raise IndexProblem(str(exc), "name") from None
    fmt = engine.source_format(filename)
    label = Path(filename).name or "upload"
    with transaction.atomic():
        taken = case_services.data_name_taken(user, "local", name)
        if taken:
            raise IndexProblem(taken, "name")
        row = LocalIndex.objects.select_for_update().filter(name=name).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = LocalIndex.objects.create(name=name, owner=user)
            except IntegrityError:  # someone else took the name a moment ago
                raise IndexProblem(
                    f"local://{name} is taken; choose another name", "name"
                ) from None
        row.teams.set(list(teams))
        row.save(update_fields=["updated_at"])
        # An earlier upload still waiting for its fields is replaced by this one.
        drop_staged(_staged(row))
        job = Job.objects.create(
            kind=Job.Kind.INDEX,
            params={
                "index_id": row.pk,
                "name": name,
                "file": label[:200],
                "format": fmt,
                "staged": True,
            },
            created_by=user,
        )
        job.total = _store(job, source)
        job.save(update_fields=["total"])
        docs = preview(job)  # a file whose first rows do not read is refused at once
        if not docs:
            raise IndexProblem(f"{label}: no documents in the file")
    return job


def _store(job: Job, source: IO[bytes]) -> int:
    number = size = 0
    limit = max_upload_bytes()
    while piece := source.read(PIECE):
        size += len(piece)
        if size > limit:
            raise IndexProblem(
                f"{job.params['file']}: bigger than the limit of "
                f"{settings.SEARCHBENCH_INDEX_UPLOAD_MAX_MB} MB"
            )
        ImportUpload.objects.create(job=job, number=number, data=piece)
        number += 1
    return size


def _staged(row: LocalIndex) -> QuerySet[Job]:
    return Job.objects.filter(
        kind=Job.Kind.INDEX,
        params__index_id=row.pk,
        params__staged=True,
        status=Job.Status.QUEUED,
    )


def drop_staged(jobs: QuerySet[Job]) -> int:
    """Cancel uploads still waiting for their fields and delete their pieces; how many."""
    ImportUpload.objects.filter(job__in=jobs).delete()
    return jobs.update(status=Job.Status.CANCELLED, finished_at=timezone.now())


def stale_uploads(before: Any) -> QuerySet[Job]:
    """Uploads left waiting for their fields since ``before`` (retention drops them)."""
    return Job.objects.filter(
        kind=Job.Kind.INDEX, params__staged=True, status=Job.Status.QUEUED, created_at__lt=before
    )


def staged_job(row: LocalIndex) -> Job | None:
    """The index's upload waiting for its fields, if any."""
    return _staged(row).order_by("-pk").first()


@contextmanager
def upload_file(job: Job, pieces: int | None = None) -> Iterator[Path]:
    """The job's stored upload (or its first ``pieces``) as a file, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="searchbench-index-") as folder:
        path = Path(folder) / "upload"
        with path.open("wb") as out:
            rows = ImportUpload.objects.filter(job=job).order_by("number")
            if pieces is not None:
                rows = rows[:pieces]
            for row in rows.iterator(chunk_size=1):
                out.write(bytes(row.data))
        yield path


def preview(job: Job, limit: int = FIELD_PICK_ROWS) -> list[dict[str, Any]]:
    """The first docs of the upload (IndexProblem naming the line of the first one that does
    not read). Only whole lines are read: the last, cut by the pieces' end, is left out."""
    with upload_file(job, PREVIEW_PIECES) as path:
        whole = ImportUpload.objects.filter(job=job).count() <= PREVIEW_PIECES
        if not whole:
            data = path.read_bytes()
            path.write_bytes(data[: data.rfind(b"\n") + 1])
        try:
            return engine.sample_docs(path, job.params["format"], limit, job.params["file"])
        except engine.LocalIndexError as exc:
            raise IndexProblem(str(exc)) from None


def field_names(docs: list[dict[str, Any]]) -> list[str]:
    """The fields of the docs, in the order they first appear."""
    names: dict[str, None] = {}
    for doc in docs:
        names.update(dict.fromkeys(doc))
    return list(names)


def guess_fields(docs: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """A first choice to offer: the id field (``id``, ``_id``, ``doc_id`` …, else the first) and
    the text fields (those holding text in the sample, but the id)."""
    names = field_names(docs)
    id_field = next(
        (n for n in ("id", "_id", "doc_id", "docid", "sku", "key") if n in names),
        names[0] if names else "",
    )
    texts = [
        n
        for n in names
        if n != id_field and any(isinstance(d.get(n), str) and d.get(n) for d in docs)
    ]
    return id_field, texts


def start_build(
    job: Job, *, id_field: str, fields: list[str], analyzer: str = engine.DEFAULT_ANALYZER
) -> Job:
    """Hand the staged upload to a worker with the fields picked (checked here against the
    file's first rows and the engine's rules, so a bad pick is refused before any work)."""
    docs = preview(job)
    names = field_names(docs)
    if id_field not in names:
        raise IndexProblem(f"the id field {id_field!r} is not a field of the file")
    if not fields:
        raise IndexProblem("pick at least one field to search")
    unknown = [f for f in fields if f not in names]
    if unknown:
        raise IndexProblem(f"not fields of the file: {', '.join(unknown)}")
    for f in fields:
        if not engine.FIELD_NAME.fullmatch(f) or f.startswith("__"):
            raise IndexProblem(
                f"field {f!r} cannot be searched: its name must be letters, digits and '_', "
                "starting with a letter"
            )
    if analyzer not in engine.ANALYZERS:
        raise IndexProblem(f"unknown analyzer {analyzer!r}")
    with transaction.atomic():
        claimed = Job.objects.filter(
            pk=job.pk, status=Job.Status.QUEUED, params__staged=True
        ).update(
            params={
                **job.params,
                "staged": False,
                "id_field": id_field,
                "fields": fields,
                "analyzer": analyzer,
            }
        )
        if claimed != 1:
            raise IndexProblem("this upload was built or replaced already; upload the file again")
        # An earlier build of the index still queued or running is cancelled: two at once
        # would swap in whichever ended last, maybe the older file.
        earlier = Job.objects.filter(
            kind=Job.Kind.INDEX, params__index_id=job.params["index_id"], status__in=Job.ACTIVE
        ).exclude(pk=job.pk)
        for other in earlier:
            jobs.cancel(other)
        transaction.on_commit(
            lambda: async_task(RUN_BUILD, job.pk, task_name=f"job-{job.pk}-index")
        )
    job.refresh_from_db()
    return job


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass
class IndexState:
    """One index as its pages show it: the row, what the engine says of the built index (None:
    not built), the newest build job, and a word for people."""

    index: LocalIndex
    info: engine.IndexInfo | None
    job: Job | None
    status: str

    @property
    def source(self) -> str:
        """The file it was built from, by its name only: the CLI records the path it was given,
        which is the server's."""
        return PurePath(self.info.source).name if self.info is not None else ""


def state(row: LocalIndex, jobs: dict[int, Job] | None = None) -> IndexState:
    """The index's state; ``jobs``: the newest build job of each index, when read already."""
    info = engine.read_info(row.name)
    job = (
        jobs.get(row.pk)
        if jobs is not None
        else Job.objects.filter(kind=Job.Kind.INDEX, params__index_id=row.pk)
        .order_by("-pk")
        .first()
    )
    if job is not None and job.active:
        status = "waiting for its fields" if job.params.get("staged") else job.get_status_display()
    elif info is not None:
        status = "ready"
    elif job is not None and job.status == Job.Status.FAILED:
        status = "failed"
    else:
        status = "not built"
    return IndexState(row, info, job, status.lower())


def states(user: User) -> list[IndexState]:
    """The user's usable indexes with their state (one query for the newest job of each)."""
    rows = list(usable_indexes(user))
    newest: dict[int, Job] = {}
    ids = [r.pk for r in rows]
    for job in Job.objects.filter(kind=Job.Kind.INDEX, params__index_id__in=ids).order_by("pk"):
        newest[job.params["index_id"]] = job
    return [state(row, newest) for row in rows]


def endpoints_using(row: LocalIndex) -> QuerySet[SearchEndpoint]:
    return SearchEndpoint.objects.filter(kind="local", url=row.url)


# ---------------------------------------------------------------------------------------------
# Delete


def delete(row: LocalIndex) -> None:
    """Delete the index (its files, its row, its waiting upload); refused while endpoints use
    it — they would fail on every query."""
    using = endpoints_using(row).count()
    if using:
        raise IndexProblem(
            f"{using} endpoint{'s' if using != 1 else ''} use{'' if using != 1 else 's'} "
            f"local://{row.name}; delete them or point them elsewhere first"
        )
    with transaction.atomic():
        Job.objects.filter(
            kind=Job.Kind.INDEX, params__index_id=row.pk, status__in=Job.ACTIVE
        ).update(cancel_requested=True, status=Job.Status.CANCELLED)
        ImportUpload.objects.filter(job__kind=Job.Kind.INDEX, job__params__index_id=row.pk).delete()
        row.delete()
    if engine.index_exists(row.name):
        engine.delete_index(row.name)
