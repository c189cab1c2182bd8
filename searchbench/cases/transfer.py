"""Import and export of cases in the formats of domain/formats/registry.py, for every door (the
CLI, the API, the web app).

``import_into(format, source, user=…, case=…)`` reads the whole file first (the format's reader
collects every problem, with its line or JSON path) and then applies it in ONE transaction: a bad
file, or a value the database refuses (a rating off the scorer's scale, an unknown scorer), leaves
the database as it was. ``export(format, case, out)`` writes a case in a format.

Raters are kept by e-mail: a rating whose rater's e-mail belongs to exactly one user is that
user's; otherwise the e-mail is kept on the rating (``Rating.rater_email``) and written back on
export. No account is created for anyone.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from searchbench.cases import services
from searchbench.cases.models import (
    Case,
    Query,
    Rating,
    Scorer,
    SearchEndpoint,
    Snapshot,
    SnapshotDoc,
    SnapshotQuery,
    Try,
)
from searchbench.domain.formats.interchange import (
    CaseData,
    EndpointData,
    FormatError,
    QueryData,
    RatingData,
    SnapshotData,
    SnapshotDocData,
    SnapshotQueryData,
    TryData,
)
from searchbench.domain.formats.registry import FORMATS, Format
from searchbench.domain.formats.snapshot_csv import format_time, parse_time
from searchbench.domain.scoring import UNRATED_COUNT_ZERO

QUEPID_PREFIX = "quepid:"
MEASURE_PREFIX = "measure:"  # a measure whose name Quepid also uses for its own scorer
DEFAULT_SCORER = "quepid:AP@10"  # Quepid's default for a new case
BATCH = 1000
RATING_COLUMNS = ["query", "doc_id", "rating", "rated_by", "rater_email", "rated_at"]

__all__ = [
    "FORMATS",
    "FormatError",
    "ImportReport",
    "TransferError",
    "export",
    "import_into",
]


class TransferError(services.ServiceError):
    """An import or export that cannot be done; ``problems`` lists (where, reason) pairs."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__(str(FormatError(source, problems)))


@dataclass
class ImportReport:
    format: str
    case: Case
    created_case: bool = False
    queries_added: int = 0
    queries_updated: int = 0
    ratings_added: int = 0
    ratings_changed: int = 0
    snapshots_added: int = 0
    try_number: int | None = None
    raters_kept_by_email: list[str] = field(default_factory=list)  # no user has these e-mails
    off_scale: int = 0  # ratings kept although the case's scorer does not offer their value
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"case {self.case.name!r} (id {self.case.pk}{', new' if self.created_case else ''})",
            f"{self.queries_added} queries added, {self.queries_updated} updated",
            f"{self.ratings_added} ratings added, {self.ratings_changed} changed",
        ]
        if self.snapshots_added:
            parts.append(f"{self.snapshots_added} snapshots")
        if self.try_number is not None:
            parts.append(f"try {self.try_number}")
        return "; ".join(parts)


def get_format(name: str, *, reading: bool = False) -> Format:
    fmt = FORMATS.get(name)
    if fmt is None:
        raise TransferError(name, [("format", f"unknown; one of {', '.join(FORMATS)}")])
    if reading and fmt.read is None:
        raise TransferError(name, [("format", f"{name} is export only")])
    return fmt


@contextmanager
def opened_source(source: IO[bytes] | Path | str) -> Iterator[tuple[IO[bytes], str]]:
    """A path opened (a file that cannot be read is a TransferError) or a stream as it is, and
    its name for messages; also books/transfer.py's."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            with path.open("rb") as stream:
                yield stream, str(path)
        except OSError as exc:
            raise TransferError(str(path), [("file", f"cannot read it ({exc.strerror})")]) from None
    else:
        yield source, getattr(source, "name", None) or "<upload>"


def column_problem(model: type[Any], name: str, value: str | None) -> str | None:
    """Why a text does not fit its column (PostgreSQL and MariaDB refuse a longer one; SQLite
    would store it), or None when it fits."""
    limit = model._meta.get_field(name).max_length or 0
    if value and limit and len(value) > limit:
        label = f"{model._meta.verbose_name} {model._meta.get_field(name).verbose_name}"
        return f"{label} is {len(value)} characters; at most {limit}"
    return None


def users_by_email(emails: Iterable[str | None]) -> dict[str, Any]:
    """E-mail -> the one user with it (case-insensitive), or None (kept as the e-mail)."""
    wanted = {e for e in emails if e}
    users: dict[str, list[Any]] = {}
    for user in (
        get_user_model()
        .objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in={e.lower() for e in wanted})
    ):
        users.setdefault(user.email.lower(), []).append(user)
    return {e: (found[0] if len(found := users.get(e.lower(), [])) == 1 else None) for e in wanted}


# --- import ------------------------------------------------------------------------------------


def read_file(fmt_name: str, source: IO[bytes] | Path | str) -> CaseData:
    """Parse a file (nothing touches the database); TransferError lists every problem."""
    fmt = get_format(fmt_name, reading=True)
    assert fmt.read is not None
    with opened_source(source) as (stream, label):
        try:
            return fmt.read(stream, label)
        except FormatError as exc:
            raise TransferError(exc.source, exc.problems) from None


def import_into(
    fmt_name: str,
    source: IO[bytes] | Path | str,
    *,
    user: AbstractBaseUser,
    case: Case | str | None = None,
) -> ImportReport:
    """Import a file into ``case`` (an existing Case the user may write), or into a new case
    named ``case`` (a str) or, when None, named as the file says (quepid-case). All or nothing:
    TransferError lists every problem and nothing is stored."""
    fmt = get_format(fmt_name, reading=True)
    data = read_file(fmt_name, source)
    label = source if isinstance(source, (str, Path)) else getattr(source, "name", "<upload>")
    label = str(label or "<upload>")
    if isinstance(case, Case):
        if not services.can_write(user, case):
            raise TransferError(label, [("case", f"you may not change case {case.name!r}")])
        if fmt.whole_case:
            raise TransferError(
                label, [("case", f"{fmt.name} makes a new case; give a new case name")]
            )
    with transaction.atomic():
        applier = _Applier(fmt, data, user, label)
        report = applier.apply(case)
        if applier.problems:
            transaction.set_rollback(True)
            raise TransferError(label, applier.problems)
    return report


class _Applier:
    def __init__(self, fmt: Format, data: CaseData, user: AbstractBaseUser, label: str) -> None:
        self.fmt, self.data, self.user, self.label = fmt, data, user, label
        self.problems: list[tuple[str, str]] = []

    def apply(self, target: Case | str | None) -> ImportReport:
        data = self.data
        if isinstance(target, Case):
            case, created = target, False
        else:
            case, created = self._new_case(target), True
        report = ImportReport(self.fmt.name, case, created, warnings=list(data.warnings))
        if created and data.headers:
            case.file_headers = data.headers
            case.save(update_fields=["file_headers"])
        elif data.headers:
            case.file_headers = {**(case.file_headers or {}), **data.headers}
            case.save(update_fields=["file_headers", "updated_at"])
        if data.try_ is not None:
            report.try_number = self._try(case, data.try_)
        queries = self._queries(case, data.queries, report)
        self._ratings(case, queries, data.queries, report)
        for snapshot in data.snapshots:
            self._snapshot(case, snapshot)
            report.snapshots_added += 1
        return report

    def _fits(self, model: type[Any], name: str, value: str | None, where: str) -> bool:
        """Whether a text fits its column, else a problem naming where the file has it."""
        problem = column_problem(model, name, value)
        if problem:
            self.problems.append((where, problem))
        return problem is None

    # the case, its scorer and try

    def _new_case(self, name: str | None) -> Case:
        data = self.data
        name = (name or data.name or "").strip()
        if not name:
            self.problems.append(("case", "a new case needs a name"))
            name = "?"
        if not self._fits(Case, "name", name, "case_name"):
            name = name[:200]
        scorer = self._scorer(data.scorer) or Scorer.objects.filter(name=DEFAULT_SCORER).first()
        if scorer is None:
            raise TransferError(self.label, [("scorer", f"built-in {DEFAULT_SCORER} is missing")])
        return Case.objects.create(
            name=name,
            owner=self.user,
            scorer=scorer,
            archived=bool(data.archived),
            public=bool(data.public),
            options=data.options or {},
            unrated_queries=data.unrated_queries or UNRATED_COUNT_ZERO,
        )

    def _scorer(self, name: str | None) -> Scorer | None:
        if not name:
            return None
        usable = services.usable_scorers(self.user)
        if name.startswith(MEASURE_PREFIX):
            candidates = [name[len(MEASURE_PREFIX) :]]
        else:  # Quepid's name for its own scorer first ("nDCG@10" is quepid:nDCG@10)
            candidates = [QUEPID_PREFIX + name, name]
        for candidate in candidates:
            found = usable.filter(name=candidate).first()
            if found is not None:
                return found
        self.problems.append(("scorer.name", f"no scorer named {name!r} that you may use"))
        return None

    def _try(self, case: Case, data: TryData) -> int | None:
        if data.endpoint is None:
            self.problems.append(("try.search_endpoint", "a try needs its endpoint"))
            return None
        at = "try.search_endpoint."
        fits = [
            self._fits(Try, "name", data.name, "try.name"),
            self._fits(SearchEndpoint, "name", data.endpoint.name, at + "name"),
            self._fits(SearchEndpoint, "url", data.endpoint.url, at + "endpoint_url"),
            self._fits(
                SearchEndpoint, "username", data.endpoint.username, at + "basic_auth_credential"
            ),
        ]
        if not all(fits):
            return None
        endpoint = self._endpoint(data.endpoint)
        created = services.create_try(
            case,
            name=data.name,
            query_template=data.template,
            field_spec=data.field_spec,
            rows=data.rows,
            escape=data.escape,
            curator_vars=data.curator_vars,
            endpoint=endpoint,
        )
        return created.number

    def _endpoint(self, data: EndpointData) -> SearchEndpoint:
        """The user's own endpoint of that name, engine and URL, else a new one."""
        found = SearchEndpoint.objects.filter(
            owner=self.user, name=data.name, kind=data.kind, url=data.url
        ).first()
        if found is not None:
            return found
        endpoint = SearchEndpoint(
            name=data.name,
            kind=data.kind,
            url=data.url,
            method=data.method,
            username=data.username,
            options=data.options,
            requests_per_minute=data.requests_per_minute,
            owner=self.user,
        )
        endpoint.set_headers(data.headers)
        endpoint.set_password(data.password)
        endpoint.save()
        return endpoint

    # queries and ratings

    def _queries(
        self, case: Case, items: list[QueryData], report: ImportReport
    ) -> dict[int, Query]:
        """The stored query of each item (by index): matched by the file's query id when the
        case has one, else by text; new ones appended in file order."""
        stored = list(case.queries.all())
        by_qid = {q.external_id: q for q in stored if q.external_id}
        by_text = {q.text: q for q in stored}
        position = max((q.position for q in stored), default=0)
        limit = Query._meta.get_field("text").max_length or 0
        out: dict[int, Query] = {}
        taken: dict[int, str] = {}  # each stored query takes the ratings of one item only
        new: list[Query] = []
        changed: list[Query] = []
        for index, item in enumerate(items):
            query = (by_qid.get(item.qid) if item.qid else None) or by_text.get(item.text)
            if len(item.text) > limit:
                self.problems.append((item.where, f"query text is longer than {limit} characters"))
                continue
            if not self._fits(Query, "external_id", item.qid, item.where):
                continue
            if query is None:
                position += 1
                query = Query(case=case, text=item.text, position=position)
                new.append(query)
                by_text[item.text] = query
            elif query.pk is not None and query not in changed:
                changed.append(query)
            if item.qid:
                query.external_id = item.qid
            for attr in ("notes", "information_need", "options"):
                value = getattr(item, attr)
                if value is not None:
                    setattr(query, attr, value)
            if id(query) in taken:  # a qid naming one query and a text another's
                self.problems.append((item.where, f"the query is also {taken[id(query)]}"))
                continue
            taken[id(query)] = item.where or repr(item.text)
            out[index] = query
        Query.objects.bulk_create(new, batch_size=BATCH)
        if new and new[0].pk is None:  # databases that do not return ids (MariaDB)
            ids = dict(
                case.queries.filter(text__in=[q.text for q in new]).values_list("text", "id")
            )
            for query in new:
                query.pk = query.id = ids[query.text]
        Query.objects.bulk_update(
            changed, ["external_id", "notes", "information_need", "options"], batch_size=BATCH
        )
        report.queries_added, report.queries_updated = len(new), len(changed)
        return out

    def _ratings(
        self,
        case: Case,
        queries: dict[int, Query],
        items: list[QueryData],
        report: ImportReport,
    ) -> None:
        """Insert new ratings and update changed ones, a batch at a time (a 100 MB file holds
        over a million: model instances for all of them at once took gigabytes)."""
        raters = users_by_email(r.rater for item in items for r in item.ratings if r.rater)
        report.raters_kept_by_email = sorted(e for e, u in raters.items() if u is None)
        scale = {float(v) for v in case.scorer.scale or []}
        # (query id, doc id) -> (row id, rating, rater id, rater e-mail) of the stored ratings
        existing = {
            (q, d): (pk, value, by, email)
            for pk, q, d, value, by, email in Rating.objects.filter(query__case=case)
            .values_list("id", "query_id", "doc_id", "rating", "rated_by_id", "rater_email")
            .iterator(chunk_size=BATCH)
        }
        limit = Rating._meta.get_field("doc_id").max_length or 0
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        new: list[tuple[Any, ...]] = []  # rows ready for the database (no model instances)
        changed: list[Rating] = []
        for index, item in enumerate(items):
            query = queries.get(index)
            if query is None:
                continue
            for rating in item.ratings:
                if not self._rating_ok(rating, scale, limit, report):
                    continue
                user = raters.get(rating.rater) if rating.rater else None
                email = rating.rater if rating.rater and user is None else ""
                if not self._fits(Rating, "rater_email", email, rating.where):
                    continue
                values = (rating.rating, user.pk if user else None, email)
                stored = existing.get((query.pk, rating.doc_id))
                if stored is None:
                    new.append((query.pk, rating.doc_id, *values, now))
                elif stored[1:] != values:
                    row = Rating(pk=stored[0], query=query, doc_id=rating.doc_id)
                    row.rating, row.rated_by, row.rater_email = rating.rating, user, email
                    changed.append(row)
                if len(new) >= BATCH or len(changed) >= BATCH:
                    self._flush(new, changed, report)
        self._flush(new, changed, report)
        if report.off_scale:
            allowed = ", ".join(f"{v:g}" for v in sorted(scale))
            report.warnings.append(
                f"{report.off_scale} rating(s) are not on scorer {case.scorer.name}'s scale "
                f"({allowed}); kept as the file has them"
            )

    @staticmethod
    def _flush(new: list[tuple[Any, ...]], changed: list[Rating], report: ImportReport) -> None:
        # Ready values, many a row an INSERT: a 100 MB file holds over a million ratings.
        services.insert_rows(Rating, RATING_COLUMNS, new)
        Rating.objects.bulk_update(changed, ["rating", "rated_by", "rater_email"])
        report.ratings_added += len(new)
        report.ratings_changed += len(changed)
        new.clear()
        changed.clear()

    def _rating_ok(
        self, rating: RatingData, scale: set[float], limit: int, report: ImportReport
    ) -> bool:
        if len(rating.doc_id) > limit:
            self.problems.append((rating.where, f"doc id is longer than {limit} characters"))
            return False
        if scale and rating.rating not in scale:
            # Kept as the file has it (Quepid does not check either); the person is told.
            report.off_scale += 1
        return True

    # snapshots

    def _snapshot(self, case: Case, data: SnapshotData) -> None:
        fits = [self._fits(Snapshot, "name", data.name, f"snapshot {data.name[:40]!r}")]
        for item in data.queries:
            where = f"snapshot {data.name[:40]!r}, query {item.text[:40]!r}"
            fits.append(self._fits(SnapshotQuery, "query_text", item.text, where))
            fits += [self._fits(SnapshotDoc, "doc_id", d.doc_id, where) for d in item.docs]
        if not all(fits):
            return
        by_text = {q.text: q for q in case.queries.all()}
        snapshot = Snapshot.objects.create(
            case=case, name=data.name, created_by=self.user, field_names=data.fields
        )
        when = parse_time(data.time)
        if when is not None:
            Snapshot.objects.filter(pk=snapshot.pk).update(created_at=when)
        rows = [
            SnapshotQuery(
                snapshot=snapshot,
                query=by_text.get(item.text),
                query_text=item.text,
                num_results=len(item.docs),
            )
            for item in data.queries
        ]
        SnapshotQuery.objects.bulk_create(rows, batch_size=BATCH)
        if any(row.pk is None for row in rows):  # databases that do not return ids (MySQL)
            ids = dict(snapshot.queries.values_list("query_text", "pk"))
            for row in rows:
                row.pk = ids[row.query_text]
        docs = [
            (row.pk, d.doc_id, d.position, json.dumps(d.fields))
            for row, item in zip(rows, data.queries, strict=True)
            for d in item.docs
        ]
        services.insert_rows(SnapshotDoc, ["snapshot_query", "doc_id", "position", "fields"], docs)


# --- export ------------------------------------------------------------------------------------


def export(fmt_name: str, case: Case, out: IO[str]) -> None:
    """Write ``case`` in a format to a text stream (open it with ``newline=""``: the format
    decides its line ends). TransferError when the case cannot be written in that format."""
    fmt = get_format(fmt_name)
    data = case_data(case)
    try:
        fmt.write(data, out)
    except ValueError as exc:
        raise TransferError(case.name, [(fmt.name, str(exc))]) from None


def export_text(fmt_name: str, case: Case) -> str:
    """``export`` into a string (for small cases and tests)."""
    buffer = io.StringIO(newline="")
    export(fmt_name, case, buffer)
    return buffer.getvalue()


def case_data(case: Case) -> CaseData:
    """A stored case as the formats write it."""
    queries = list(case.queries.order_by("position", "id"))
    ratings: dict[int, list[RatingData]] = {q.pk: [] for q in queries}
    for row in (
        Rating.objects.filter(query__case=case)
        .select_related("rated_by")
        .order_by("query_id", "id")
        .iterator(chunk_size=BATCH)
    ):
        rater = (row.rated_by.email if row.rated_by else "") or row.rater_email or None
        ratings[row.query_id].append(RatingData(row.doc_id, row.rating, rater))
    data = CaseData(
        name=case.name,
        scorer=_scorer_name(case.scorer),
        options=dict(case.options or {}),
        archived=case.archived,
        public=case.public,
        unrated_queries=case.unrated_queries,
        owner_email=case.owner.email or None,
        headers=dict(case.file_headers or {}),
        queries=[
            QueryData(
                q.text,
                ratings[q.pk],
                notes=q.notes,
                information_need=q.information_need,
                options=dict(q.options or {}),
                qid=q.external_id or str(q.pk),
            )
            for q in queries
        ],
    )
    tried = case.current_try()
    if tried is not None:
        endpoint = tried.endpoint
        data.try_ = TryData(
            name=tried.name or f"Try {tried.number}",
            template=tried.query_template,
            field_spec=tried.field_spec,
            rows=tried.rows,
            escape=tried.escape,
            curator_vars=dict(tried.curator_vars or {}),
            endpoint=EndpointData(
                name=endpoint.name,
                kind=endpoint.kind,
                url=endpoint.url,
                method=endpoint.method,
                headers=dict(endpoint.headers or {}),  # secret values stay masked
                options=dict(endpoint.options or {}),
                requests_per_minute=endpoint.requests_per_minute,
            ),
        )
    qids = {q.pk: q.external_id or str(q.pk) for q in queries}
    for snapshot in case.snapshots.order_by("created_at", "id"):
        data.snapshots.append(_snapshot_data(snapshot, case, qids))
    return data


def _snapshot_data(snapshot: Snapshot, case: Case, qids: dict[int, str]) -> SnapshotData:
    out = SnapshotData(
        snapshot.name,
        format_time(snapshot.created_at),
        case_id=str(case.pk),
        fields=list(snapshot.field_names or []),
    )
    rows: dict[int, SnapshotQueryData] = {}
    for row in snapshot.queries.order_by("id"):
        rows[row.pk] = SnapshotQueryData(row.query_text, qid=qids.get(row.query_id or 0))
        out.queries.append(rows[row.pk])
    for doc in SnapshotDoc.objects.filter(snapshot_query__snapshot=snapshot).order_by(
        "snapshot_query_id", "position"
    ):
        rows[doc.snapshot_query_id].docs.append(
            SnapshotDocData(doc.doc_id, doc.position, dict(doc.fields or {}))
        )
    for query in out.queries:
        if query.qid is None:
            query.qid = query.text.replace(" ", "_")
    return out


def _scorer_name(scorer: Scorer) -> str:
    """The name Quepid knows: ``quepid:nDCG@10`` is Quepid's ``nDCG@10``; a measure that shares
    a name with one of Quepid's scorers is written ``measure:NAME`` so it comes back as itself."""
    if scorer.name.startswith(QUEPID_PREFIX):
        return scorer.name[len(QUEPID_PREFIX) :]
    if Scorer.objects.filter(name=QUEPID_PREFIX + scorer.name).exists():
        return MEASURE_PREFIX + scorer.name
    return scorer.name
