"""`searchbench import` and `searchbench export`: a case or a book in one of the formats of
``domain/formats/registry.py`` (FORMATS for cases, BOOK_FORMATS for books), against the
configured database, through ``cases/transfer.py`` or ``books/transfer.py`` (the same services
the API and the web app call). An import is all-or-nothing."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from searchbench.domain.formats.registry import BOOK_FORMATS, FORMATS

READABLE = [n for n, f in FORMATS.items() if f.read] + list(BOOK_FORMATS)
IMPORT_HELP = (
    "Import a file into a case (new, or --case NAME) or a book (new, or --book NAME), all or "
    "nothing: " + ", ".join(READABLE) + "."
)
EXPORT_HELP = (
    "Export a case (--case NAME) or a book (BOOK) in a format: "
    + ", ".join([*FORMATS, *BOOK_FORMATS])
    + "."
)


class CommandError(Exception):
    """A usage problem (no such user or case): exit 2."""


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("format", choices=READABLE, metavar="FORMAT", help="one of: %(choices)s")
    parser.add_argument("file", type=Path, metavar="FILE", help="the file to import")
    parser.add_argument(
        "--case",
        metavar="NAME",
        help="the case to import into (its name or id); a name no case has makes a new case of "
        "that name (quepid-case: always a new case of that name). Default: a new case named as "
        "the file says (quepid-case) or after the file",
    )
    parser.add_argument(
        "--book",
        metavar="NAME",
        help=f"for {' and '.join(BOOK_FORMATS)}: the book to import into (its name or id); a name "
        "no book has makes a new book of that name. Default: a new book named as the file says "
        "(quepid-book) or after the file",
    )
    _owner_argument(
        parser,
        "who owns the case or book (a new one is theirs; an existing one must be theirs or their "
        "team's)",
    )


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "format",
        choices=[*FORMATS, *BOOK_FORMATS],
        metavar="FORMAT",
        help="one of: %(choices)s",
    )
    parser.add_argument(
        "book",
        nargs="?",
        metavar="BOOK",
        help=f"for {' and '.join(BOOK_FORMATS)}: the book (its name or id)",
    )
    parser.add_argument("--case", metavar="NAME", help="the case (its name or id)")
    parser.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here (default: standard output)"
    )
    _owner_argument(parser, "whose case or book, when several have that name")


def _owner_argument(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument(
        "--owner", metavar="USER", help=f"a user name: {text}; needed when there are several users"
    )


def _setup() -> None:
    from searchbench.web.bootstrap import SETTINGS_MODULE, setup_django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from searchbench.web.secretkey import use_generated_secret_key

    use_generated_secret_key(create=False)  # the demo's data directory: the demo's key
    setup_django()


def _user(name: str | None) -> Any:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    if name:
        user = users.filter(username=name).first()
        if user is None:
            raise CommandError(f"--owner: no user named {name!r}")
        return user
    only = list(users.order_by("id")[:2])
    if len(only) != 1:
        raise CommandError(
            "give --owner USER (the database has "
            + (
                "no users: create one with `searchbench manage createsuperuser`)"
                if not only
                else "several users)"
            )
        )
    return only[0]


def _find(kind: str, ref: str, owner: Any | None) -> Any | None:
    """The case or book (``kind``) of that id or name, among those ``owner`` may change when
    given; CommandError when several have the name."""
    if kind == "case":
        from searchbench.cases import services
        from searchbench.cases.models import Case as Model
    else:
        from searchbench.books import services  # type: ignore[no-redef]
        from searchbench.books.models import Book as Model

    rows = Model.objects.filter(pk=int(ref)) if ref.isdigit() else Model.objects.filter(name=ref)
    if owner is not None:
        rows = rows.filter(pk__in=[r.pk for r in rows if services.can_write(owner, r)])
    found = list(rows.order_by("id")[:10])
    if len(found) > 1:
        ids = ", ".join(f"{r.pk} ({r.owner})" for r in found)
        raise CommandError(f"--{kind}: several {kind}s are named {ref!r} (ids {ids}); give the id")
    return found[0] if found else None


def _fail(command: str, exc: Exception, code: int) -> int:
    print(f"searchbench {command}: {exc}", file=sys.stderr)
    return code


def _import_target(args: argparse.Namespace, user: Any) -> Any:
    """What the file goes into: an existing case or book, a new one's name, or None (the name
    the file gives)."""
    is_book = args.format in BOOK_FORMATS
    wrong = "--case" if is_book and args.case else "--book" if not is_book and args.book else ""
    if wrong:
        kind = "a case" if wrong == "--book" else "a book"
        raise CommandError(f"{wrong}: {args.format} goes into {kind}")
    kind, ref = ("book", args.book) if is_book else ("case", args.case)
    whole = BOOK_FORMATS[args.format].whole_book if is_book else FORMATS[args.format].whole_case
    if ref and whole and not is_book:
        return ref  # a whole case is always a new one: this is its name
    if ref:
        return _find(kind, ref, user) or ref
    return None if whole else args.file.stem


def run_import(args: argparse.Namespace) -> int:
    _setup()
    from searchbench.books import transfer as book_transfer
    from searchbench.cases import transfer

    try:
        user = _user(args.owner)
        target = _import_target(args, user)
        if args.format in BOOK_FORMATS:
            report: Any = book_transfer.import_book(args.format, args.file, user=user, book=target)
        else:
            report = transfer.import_into(args.format, args.file, user=user, case=target)
    except CommandError as exc:
        return _fail("import", exc, 2)
    except transfer.TransferError as exc:
        return _fail("import", exc, 1)
    print(report.summary())
    if report.raters_kept_by_email:
        print("raters kept by e-mail (no user has it): " + ", ".join(report.raters_kept_by_email))
    for warning in report.warnings:
        print(f"warning: {warning}")
    return 0


def _exporter(args: argparse.Namespace) -> Any:
    """A function writing the chosen case or book to a text stream."""
    from searchbench.books import transfer as book_transfer
    from searchbench.cases import transfer

    owner = _user(args.owner) if args.owner else None
    if args.format in BOOK_FORMATS:
        if args.case or not args.book:
            raise CommandError(f"{args.format} exports a book: give BOOK (its name or id)")
        book = _find("book", args.book, owner)
        if book is None:
            raise CommandError(f"no book {args.book!r}")
        return lambda out: book_transfer.export_book(args.format, book, out)
    if args.book or not args.case:
        raise CommandError(f"{args.format} exports a case: give --case NAME (not BOOK)")
    case = _find("case", args.case, owner)
    if case is None:
        raise CommandError(f"--case: no case {args.case!r}")
    return lambda out: transfer.export(args.format, case, out)


def run_export(args: argparse.Namespace) -> int:
    _setup()
    from searchbench.cases import transfer

    try:
        write = _exporter(args)
        if args.output is None:
            write(sys.stdout)
            return 0
        with args.output.open("w", encoding="utf-8", newline="") as out:
            write(out)
    except CommandError as exc:
        return _fail("export", exc, 2)
    except transfer.TransferError as exc:
        if args.output is not None:
            args.output.unlink(missing_ok=True)  # no half-written file left behind
        return _fail("export", exc, 1)
    return 0
