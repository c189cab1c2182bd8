"""`searchbench import` and `searchbench export`: a case in one of the formats of
``domain/formats/registry.py``, against the configured database, through ``cases/transfer.py``
(the same service the API and the web app call). An import is all-or-nothing."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from searchbench.domain.formats.registry import FORMATS

IMPORT_HELP = (
    "Import a file into a case (new, or --case NAME), all or nothing: "
    + ", ".join(n for n, f in FORMATS.items() if f.read)
    + "."
)
EXPORT_HELP = "Export a case in a format: " + ", ".join(FORMATS) + "."


class CommandError(Exception):
    """A usage problem (no such user or case): exit 2."""


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "format",
        choices=[n for n, f in FORMATS.items() if f.read],
        metavar="FORMAT",
        help="one of: %(choices)s",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the file to import")
    parser.add_argument(
        "--case",
        metavar="NAME",
        help="the case to import into (its name or id); a name no case has makes a new case of "
        "that name (quepid-case: always a new case of that name). Default: a new case named as "
        "the file says (quepid-case) or after the file",
    )
    _owner_argument(
        parser,
        "who owns the case (a new case is theirs; an existing one must be theirs or their team's)",
    )


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "format", choices=list(FORMATS), metavar="FORMAT", help="one of: %(choices)s"
    )
    parser.add_argument("--case", metavar="NAME", required=True, help="the case (its name or id)")
    parser.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here (default: standard output)"
    )
    _owner_argument(parser, "whose case, when several have that name")


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


def _find_case(ref: str, owner: Any | None) -> Any | None:
    from searchbench.cases.models import Case

    rows = Case.objects.filter(pk=int(ref)) if ref.isdigit() else Case.objects.filter(name=ref)
    if owner is not None:
        from searchbench.cases import services

        rows = rows.filter(pk__in=[c.pk for c in rows if services.can_write(owner, c)])
    found = list(rows.order_by("id")[:10])
    if len(found) > 1:
        ids = ", ".join(f"{c.pk} ({c.owner})" for c in found)
        raise CommandError(f"--case: several cases are named {ref!r} (ids {ids}); give the id")
    return found[0] if found else None


def _fail(command: str, exc: Exception, code: int) -> int:
    print(f"searchbench {command}: {exc}", file=sys.stderr)
    return code


def run_import(args: argparse.Namespace) -> int:
    _setup()
    from searchbench.cases import transfer

    try:
        user = _user(args.owner)
        target: Any = None
        if args.case and FORMATS[args.format].whole_case:
            target = args.case  # a whole case is always a new one: this is its name
        elif args.case:
            target = _find_case(args.case, user) or args.case
        elif not FORMATS[args.format].whole_case:
            target = args.file.stem
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


def run_export(args: argparse.Namespace) -> int:
    _setup()
    from searchbench.cases import transfer

    try:
        owner = _user(args.owner) if args.owner else None
        case = _find_case(args.case, owner)
        if case is None:
            raise CommandError(f"--case: no case {args.case!r}")
        if args.output is None:
            transfer.export(args.format, case, sys.stdout)
            return 0
        with args.output.open("w", encoding="utf-8", newline="") as out:
            transfer.export(args.format, case, out)
    except CommandError as exc:
        return _fail("export", exc, 2)
    except transfer.TransferError as exc:
        if args.output is not None:
            args.output.unlink(missing_ok=True)  # no half-written file left behind
        return _fail("export", exc, 1)
    return 0
