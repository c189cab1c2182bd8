"""Import and export of books in the formats of ``BOOK_FORMATS`` (domain/formats/registry.py),
for every door (the CLI, the API, the web app), as ``cases/transfer.py`` does it for cases.

``import_book(format, source, user=…, book=…)`` reads the whole file first (the format's reader
names every problem by line or JSON path), then applies it in ONE transaction: a bad file, or a
value the book refuses (a rating off its scale, a text longer than its column), leaves the
database as it was. Pairs are matched by (query, doc): new ones are added, the file's doc fields,
position, information need, notes and options replace a stored pair's where the file gives them.
A judgement replaces the same rater's on the same pair.

Raters are kept by e-mail, as the cases' imports keep them: a rater whose e-mail exactly one user
has (without case; a judgements CSV may also name a user by user name) is that user
(``rater_key`` ``u<id>``); anyone else is kept as the e-mail (``e:<email>``). No account is made.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from searchbench.books import services
from searchbench.books.models import Book, Judge, Judgement, Pair
from searchbench.cases.services import insert_rows
from searchbench.cases.transfer import (
    TransferError,
    column_problem,
    opened_source,
    users_by_email,
)
from searchbench.domain.formats.bookdata import (
    RATED,
    BookData,
    JudgementData,
    PairData,
    scale_of,
)
from searchbench.domain.formats.interchange import FormatError, number_text
from searchbench.domain.formats.registry import BOOK_FORMATS, BookFormat

BATCH = 1000
PAIR_FIELDS = ["position", "doc_fields", "information_need", "notes", "options"]
JUDGEMENT_FIELDS = ["rater", "rater_email", "state", "rating", "explanation", "judged_at"]

__all__ = [
    "BOOK_FORMATS",
    "BookImportReport",
    "TransferError",
    "book_data",
    "export_book",
    "export_book_text",
    "import_book",
]


@dataclass
class BookImportReport:
    format: str
    book: Book
    created_book: bool = False
    pairs_added: int = 0
    pairs_updated: int = 0
    judgements_added: int = 0
    judgements_changed: int = 0
    raters_kept_by_email: list[str] = field(default_factory=list)  # no user has these
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return "; ".join(
            [
                f"book {self.book.name!r} (id {self.book.pk}{', new' if self.created_book else ''})",
                f"{self.pairs_added} pairs added, {self.pairs_updated} updated",
                f"{self.judgements_added} judgements added, {self.judgements_changed} changed",
            ]
        )

    def as_dict(self) -> dict[str, Any]:
        """The report as the API and a job's result give it."""
        return {
            "format": self.format,
            "book_id": self.book.pk,
            "book_name": self.book.name,
            "created_book": self.created_book,
            "pairs_added": self.pairs_added,
            "pairs_updated": self.pairs_updated,
            "judgements_added": self.judgements_added,
            "judgements_changed": self.judgements_changed,
            "raters_kept_by_email": list(self.raters_kept_by_email),
            "warnings": list(self.warnings),
            "summary": self.summary(),
        }


def get_book_format(name: str) -> BookFormat:
    fmt = BOOK_FORMATS.get(name)
    if fmt is None:
        raise TransferError(name, [("format", f"unknown; one of {', '.join(BOOK_FORMATS)}")])
    return fmt


def read_book_file(fmt_name: str, source: IO[bytes] | Path | str) -> tuple[BookData, str]:
    """Parse a file (nothing touches the database) and name it; TransferError lists every
    problem."""
    fmt = get_book_format(fmt_name)
    with opened_source(source) as (stream, label):
        try:
            return fmt.read(stream, label), label
        except FormatError as exc:
            raise TransferError(exc.source, exc.problems) from None


def import_book(
    fmt_name: str,
    source: IO[bytes] | Path | str,
    *,
    user: AbstractBaseUser,
    book: Book | str | None = None,
) -> BookImportReport:
    """Import a file into ``book`` (an existing Book the user may change), or into a new book
    named ``book`` (a str) or, when None, named as the file says (quepid-book). All or nothing:
    TransferError lists every problem and nothing is stored."""
    fmt = get_book_format(fmt_name)
    data, label = read_book_file(fmt_name, source)
    if isinstance(book, Book) and not services.can_write(user, book):
        raise TransferError(label, [("book", f"you may not change book {book.name!r}")])
    with transaction.atomic():
        applier = _Applier(fmt, data, user)
        report = applier.apply(book)
        if applier.problems:
            transaction.set_rollback(True)
            raise TransferError(label, applier.problems)
    return report


class _Applier:
    def __init__(self, fmt: BookFormat, data: BookData, user: AbstractBaseUser) -> None:
        self.fmt, self.data, self.user = fmt, data, user
        self.problems: list[tuple[str, str]] = []

    def _fits(self, model: type[Any], name: str, value: str, where: str) -> bool:
        problem = column_problem(model, name, value)
        if problem:
            self.problems.append((where, problem))
        return problem is None

    def apply(self, target: Book | str | None) -> BookImportReport:
        if isinstance(target, Book):
            book, created = target, False
        else:
            book, created = self._new_book(target), True
        report = BookImportReport(self.fmt.name, book, created, warnings=list(self.data.warnings))
        if not created and not book.scale:  # an existing book without a scale takes the file's
            book.scale = [_grade(v) for v in self._file_scale()]
            book.save(update_fields=["scale", "updated_at"])
        pairs = self._pairs(book, report)
        self._judgements(book, pairs, report)
        services.recount_judged(book.pairs.all())
        return report

    def _file_scale(self) -> list[float]:
        if self.data.scale:
            return list(self.data.scale)
        try:
            return scale_of(
                [j.rating for p in self.data.pairs for j in p.judgements if j.rating is not None]
            )
        except ValueError as exc:
            self.problems.append(("scale", str(exc)))
            return []

    def _new_book(self, name: str | None) -> Book:
        name = (name or self.data.name or "").strip()
        if not name:
            self.problems.append(("book", "a new book needs a name"))
            name = "?"
        if not self._fits(Book, "name", name, "name"):
            name = name[:200]
        return Book.objects.create(
            name=name,
            owner=self.user,
            scale=[_grade(v) for v in self._file_scale()],
            labels=dict(self.data.labels),
        )

    def _pairs(self, book: Book, report: BookImportReport) -> dict[int, int]:
        """The stored pair's id of each of the file's pairs (by index), new ones added."""
        stored = {(p.query_text, p.doc_id): p for p in book.pairs.all()}
        keys: dict[int, tuple[str, str]] = {}
        rows = _Rows(Pair, ["book", "query_text", "doc_id", *PAIR_FIELDS])
        changed: list[Pair] = []
        new: list[PairData] = []
        try:
            with transaction.atomic():
                for index, item in enumerate(self.data.pairs):
                    fits = [
                        self._fits(Pair, "query_text", item.query_text, item.where),
                        self._fits(Pair, "doc_id", item.doc_id, item.where),
                    ]
                    if not all(fits):
                        continue
                    key = keys[index] = (item.query_text, item.doc_id)
                    pair = stored.get(key)
                    if pair is None:
                        values = [item.position, item.doc_fields, item.information_need,
                                  item.notes, item.options]  # fmt: skip
                        rows.add(book.pk, *key, *map(rows.prepared, PAIR_FIELDS, values))
                        new.append(item)
                    elif _update_pair(pair, item):
                        changed.append(pair)
                rows.flush()
        except IntegrityError:
            # Keys apart in Python but one to the database: its collation compares text without
            # case, accents or trailing spaces (MariaDB's default). Each such pair is named.
            if not self._same_to_the_database(book, new):
                raise  # not a clash of keys after all: the database's own error
            return {}
        Pair.objects.bulk_update(changed, PAIR_FIELDS, batch_size=BATCH)
        report.pairs_added, report.pairs_updated = rows.count, len(changed)
        ids = {(q, d): pk for pk, q, d in book.pairs.values_list("pk", "query_text", "doc_id")}
        return {index: ids[key] for index, key in keys.items()}

    def _same_to_the_database(self, book: Book, new: list[PairData]) -> int:
        """A problem for each new pair the database holds as the same as another (the file's
        or the book's); how many. Pair by pair, each in a savepoint: only after a bulk insert
        failed so."""
        found = 0
        for item in new:
            try:
                with transaction.atomic():
                    Pair.objects.create(book=book, query_text=item.query_text, doc_id=item.doc_id)
            except IntegrityError:
                other = book.pairs.filter(query_text=item.query_text, doc_id=item.doc_id).first()
                pair = f"query {item.query_text!r} doc {item.doc_id!r}"
                if other is not None and (other.query_text, other.doc_id) == (
                    item.query_text,
                    item.doc_id,
                ):  # not in the book when the import read it: another import added it since
                    why = f"{pair} was added to the book meanwhile; import the file again"
                else:
                    same = f" as query {other.query_text!r} doc {other.doc_id!r}" if other else ""
                    why = (
                        f"{pair} is the same pair{same} to the database, which compares text "
                        "without case, accents or trailing spaces; make them one"
                    )
                self.problems.append((item.where, why))
                found += 1
        return found

    def _judgements(self, book: Book, pairs: dict[int, int], report: BookImportReport) -> None:
        """New judgements as ready rows, a batch at a time (model instances for 200,000 of them
        took most of the import's time); changed ones updated."""
        raters = _raters(j.rater for p in self.data.pairs for j in p.judgements)
        report.raters_kept_by_email = sorted({e for e, u in raters.items() if u is None})
        scale = {float(v) for v in book.scale or []}
        stored = {
            (pair, key): (pk, values)
            for pk, pair, key, *values in Judgement.objects.filter(pair__book=book)
            .values_list("pk", "pair_id", "rater_key", *JUDGEMENT_FIELDS[:-1])
            .iterator(chunk_size=BATCH)
        }
        seen: dict[tuple[int, str], str] = {}
        now = timezone.now()
        rows = _Rows(Judgement, ["pair", "rater_key", *JUDGEMENT_FIELDS])
        when = rows.prepared("judged_at", now)
        changed: list[Judgement] = []
        for index, item in enumerate(self.data.pairs):
            pair = pairs.get(index)
            if pair is None:
                continue
            for judgement in item.judgements:
                user = raters.get(judgement.rater.strip())
                email = "" if user is not None else judgement.rater.strip()
                if not self._judgement_ok(judgement, email, scale):
                    continue
                key = services.rater_key(rater=user, rater_email=email)
                if (pair, key) in seen:
                    self.problems.append(
                        (
                            judgement.where,
                            f"the same rater also judged this pair ({seen[pair, key]})",
                        )
                    )
                    continue
                seen[pair, key] = judgement.where
                values = [
                    user.pk if user else None,
                    email,
                    judgement.state,
                    judgement.rating,
                    judgement.explanation,
                ]
                found = stored.get((pair, key))
                if found is None:
                    rows.add(pair, key, *values, when)
                elif list(found[1]) != values:
                    row = Judgement(pk=found[0], pair_id=pair, rater_key=key, judged_at=now)
                    for name, value in zip(JUDGEMENT_FIELDS, values, strict=False):
                        setattr(row, "rater_id" if name == "rater" else name, value)
                    changed.append(row)
        rows.flush()
        Judgement.objects.bulk_update(changed, JUDGEMENT_FIELDS, batch_size=BATCH)
        report.judgements_added, report.judgements_changed = rows.count, len(changed)

    def _judgement_ok(self, judgement: JudgementData, email: str, scale: set[float]) -> bool:
        if email and not self._fits(Judgement, "rater_email", email, judgement.where):
            return False
        rating = judgement.rating
        if judgement.state == RATED and scale and rating is not None and rating not in scale:
            allowed = ", ".join(number_text(v) for v in sorted(scale))
            self.problems.append(
                (
                    judgement.where,
                    f"rating {number_text(rating)} is not on the book's scale ({allowed})",
                )
            )
            return False
        return True


class _Rows:
    """New rows of one model as ready values for ``services.insert_rows``, written a batch at a
    time: the ``given`` fields' values as ``add`` takes them (ids for foreign keys, values made
    ready with ``prepared``), every other column at its field's default (times at now), so a
    column added to the model later gets its default here too."""

    def __init__(self, model: type[Any], given: list[str]) -> None:
        now = timezone.now()
        self.model, self.count = model, 0
        rest = [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in given]
        self.fields = [*given, *(f.name for f in rest)]
        self.tail = tuple(
            f.get_db_prep_save(
                now
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                else f.get_default(),
                connection,
            )
            for f in rest
        )
        self.rows: list[tuple[Any, ...]] = []

    def prepared(self, name: str, value: Any) -> Any:
        return self.model._meta.get_field(name).get_db_prep_save(value, connection)

    def add(self, *values: Any) -> None:
        self.rows.append((*values, *self.tail))
        self.count += 1
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        insert_rows(self.model, self.fields, self.rows)
        self.rows.clear()


def _update_pair(pair: Pair, item: PairData) -> bool:
    """Take what the file gives (an empty value leaves the stored one); whether anything
    changed."""
    given = {
        "position": item.position,
        "doc_fields": item.doc_fields or None,
        "information_need": item.information_need or None,
        "notes": item.notes or None,
        "options": item.options or None,
    }
    changed = False
    for name, value in given.items():
        if value is not None and getattr(pair, name) != value:
            setattr(pair, name, value)
            changed = True
    return changed


def _raters(names: Iterable[str]) -> dict[str, Any]:
    """Each rater's name (stripped) -> the one user with that e-mail (without case) or, failing
    that, that user name; None: kept as the e-mail."""
    wanted = {n.strip() for n in names if n.strip()}
    by_email = users_by_email(wanted)
    by_name = {u.get_username(): u for u in get_user_model().objects.filter(username__in=wanted)}
    return {n: by_email.get(n) or by_name.get(n) for n in wanted}


def _grade(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


# --- export ------------------------------------------------------------------------------------


def export_book(fmt_name: str, book: Book, out: IO[str]) -> None:
    """Write ``book`` in a format to a text stream (open it with ``newline=""``)."""
    fmt = get_book_format(fmt_name)
    try:
        fmt.write(book_data(book), out)
    except ValueError as exc:
        raise TransferError(book.name, [(fmt.name, str(exc))]) from None


def export_book_text(fmt_name: str, book: Book) -> str:
    buffer = io.StringIO(newline="")
    export_book(fmt_name, book, buffer)
    return buffer.getvalue()


def rater_name(judgement: Judgement) -> str:
    """How a file names a judgement's rater: the user's e-mail (their user name when they have
    none), the kept e-mail, or ``judge:NAME`` for an LLM judge."""
    if judgement.rater is not None:
        return _user_name(judgement.rater)
    if judgement.judge is not None:
        return f"judge:{judgement.judge.name}"
    return judgement.rater_email or judgement.rater_key


def _user_name(user: Any) -> str:
    return str(user.email or user.get_username())


def book_data(book: Book) -> BookData:
    """A stored book as the formats write it: pairs and judgements in the order they were made
    (an imported file's own order). Read as plain values, a batch at a time."""
    pairs = {
        pk: PairData(query, doc, position, dict(fields or {}), need, notes, dict(options or {}))
        for pk, query, doc, position, fields, need, notes, options in book.pairs.order_by(
            "id"
        ).values_list(
            "pk", "query_text", "doc_id", "position", "doc_fields", "information_need",
            "notes", "options",
        )
    }  # fmt: skip
    rows = Judgement.objects.filter(pair__book=book).order_by("pair_id", "id")
    users = {
        u.pk: _user_name(u) for u in get_user_model().objects.filter(pk__in=rows.values("rater_id"))
    }
    judges = {
        pk: f"judge:{name}" for pk, name in Judge.objects.filter(
            pk__in=rows.values("judge_id")
        ).values_list("pk", "name")
    }  # fmt: skip
    for pair, user, judge, email, key, state, rating, explanation in rows.values_list(
        "pair_id", "rater_id", "judge_id", "rater_email", "rater_key", "state", "rating",
        "explanation",
    ).iterator(chunk_size=BATCH):  # fmt: skip
        name = users.get(user) or judges.get(judge) or email or key
        pairs[pair].judgements.append(JudgementData(name, state, rating, explanation))
    return BookData(
        name=book.name,
        scale=[float(v) for v in book.scale or []],
        labels={str(k): str(v) for k, v in (book.labels or {}).items()},
        pairs=list(pairs.values()),
    )
