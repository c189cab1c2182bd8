"""`searchbench index`: build, list, delete and try out local (tantivy) indexes; import frozen
results (Quepid's static CSV) for the static engine."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

if TYPE_CHECKING:
    from searchbench.domain.explain_analysis import Clause
    from searchbench.engines.static import StaticResults

HELP = (
    "Build, list, delete and query local search indexes (the built-in tantivy engine); "
    "import static results (CSV)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", type=Path, help="data directory (default: SEARCHBENCH_DATA_DIR)"
    )
    sub = parser.add_subparsers(dest="index_command", metavar="ACTION", required=True)

    create = sub.add_parser("create", help="build (or rebuild) an index from a JSONL or CSV file")
    create.add_argument("name", help="index name; endpoints refer to it as local://NAME")
    create.add_argument(
        "--from",
        dest="source",
        type=Path,
        required=True,
        help="JSON Lines file (one doc a line), or CSV with a header row (a .csv name)",
    )
    create.add_argument(
        "--id-field", default="id", help="the field holding each doc's unique id (default: id)"
    )
    create.add_argument(
        "--fields",
        default="title,body",
        help="comma-separated text fields to search (default: title,body)",
    )
    create.add_argument(
        "--analyzer",
        default="en_stem",
        choices=["en_stem", "english", "default"],
        help="text analysis of the search fields: en_stem (default; lower-case + English "
        "stemming), english (also Lucene's English stop words, like Solr's and Elasticsearch's "
        "english analyzer) or default (lower-case only)",
    )
    create.add_argument(
        "--quiet", action="store_true", help="no progress bar, and nothing printed on success"
    )
    _owner_arguments(create, "index")

    sub.add_parser("list", help="list the local indexes")

    delete = sub.add_parser("delete", help="delete an index")
    delete.add_argument("name")

    search = sub.add_parser("search", help="run one query against an index (for debugging)")
    search.add_argument("name")
    search.add_argument("query")
    search.add_argument(
        "--fields", default="", help='default fields with boosts, e.g. "title^2,body"'
    )
    search.add_argument("--rows", type=int, default=10)
    search.add_argument("--field-spec", default="", help="Quepid field spec for what to show")
    search.add_argument("--explain", action="store_true", help="print each hit's score breakdown")
    search.add_argument("--json", action="store_true", help="print JSON instead of a table")
    search.add_argument("--raw", action="store_true", help="do not escape query syntax characters")

    static = sub.add_parser(
        "import-static",
        help="import frozen results (Quepid's static CSV: Query Text,Doc ID,Doc Position,"
        "fields…) as static://NAME; all-or-nothing",
    )
    static.add_argument("name", help="results name; endpoints refer to it as static://NAME")
    static.add_argument("file", type=Path, help="the CSV file (UTF-8, with or without BOM)")
    _owner_arguments(static, "set")


def _owner_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--owner",
        metavar="USERNAME",
        help=f"the web app user who owns the {what} (recorded in the web app's database); "
        f"without it the {what} is the operator's: usable by the command line, by nobody on the "
        "web (a rebuild without it keeps the owner it has)",
    )
    parser.add_argument(
        "--team",
        action="append",
        default=[],
        metavar="TEAM",
        help=f"share the {what} with this team (repeat for more; needs --owner)",
    )


def run(args: argparse.Namespace) -> int:
    from searchbench.engines.local import LocalIndexError
    from searchbench.engines.static import StaticResultsError

    console = Console(stderr=True)
    try:
        return _ACTIONS[args.index_command](args)
    except LocalIndexError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return 2
    except StaticResultsError as exc:
        # Every problem on its own line (file:line: …), so none is lost in a wrapped paragraph.
        console.print(
            f"[red]error:[/red] {args.file} not imported ({len(exc.problems)} problem"
            f"{'s' if len(exc.problems) != 1 else ''}; nothing stored):",
            highlight=False,
            soft_wrap=True,
        )
        print(str(exc), file=sys.stderr)
        return 2


def _data_dir(args: argparse.Namespace) -> Path | None:
    return args.data_dir.resolve() if args.data_dir else None


def _create(args: argparse.Namespace) -> int:
    from searchbench.engines.local.index import LocalIndexError, create_index, index_name

    fields = [f.strip() for f in args.fields.split(",") if f.strip()]
    owner: Any = None
    teams: list[Any] = []
    if args.team and args.owner is None:
        raise LocalIndexError("--team shares an index with an owner: give --owner too")
    if args.owner is not None:  # checked before any work: nothing is built for a wrong name
        name = index_name(args.name)
        owner, teams, problems = _owner_and_teams(args)
        from searchbench.indexes.services import name_clash

        problems += [clash] if (clash := name_clash(name)) else []
        if problems:
            raise LocalIndexError("; ".join(problems))
    if args.quiet:
        create_index(
            args.name, args.source, args.id_field, fields, _data_dir(args), analyzer=args.analyzer
        )
        _record_index(args, owner, teams)
        return 0
    with Progress(
        TextColumn("indexing [bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(args.name, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        info = create_index(
            args.name,
            args.source,
            args.id_field,
            fields,
            _data_dir(args),
            progress,
            analyzer=args.analyzer,
        )
    _record_index(args, owner, teams)
    Console().print(
        f"index [bold]{info.name}[/bold]: {info.doc_count} docs, fields {', '.join(info.fields)}, "
        f"built in {info.build_seconds:.2f} s → endpoint url local://{info.name}",
        highlight=False,
        soft_wrap=True,
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    from searchbench.engines.local import indexes_dir, list_indexes

    infos = list_indexes(_data_dir(args))
    out = Console()
    if not infos:
        out.print(f"no local indexes in {indexes_dir(_data_dir(args))}")
        return 0
    table = Table("name", "docs", "id field", "fields", "created", "source")
    for info in infos:
        table.add_row(
            info.name,
            str(info.doc_count),
            info.id_field,
            ", ".join(info.fields),
            info.created,
            info.source,
        )
    out.print(table)
    return 0


def _delete(args: argparse.Namespace) -> int:
    from searchbench.engines.local import delete_index

    delete_index(args.name, _data_dir(args))
    Console().print(f"deleted index {args.name}")
    return 0


def _search(args: argparse.Namespace) -> int:
    from searchbench.domain.explain_analysis import breakdown
    from searchbench.engines import EndpointConfig, QueryContext, TryConfig, make_engine

    engine = make_engine(
        EndpointConfig(kind="local", url=f"local://{args.name}", data_dir=_data_dir(args))
    )
    body: dict[str, object] = {"query": "#$query##"}
    if args.fields:
        body["fields"] = [f.strip() for f in args.fields.split(",") if f.strip()]
    tc = TryConfig(
        template=json.dumps(body),
        field_spec=args.field_spec,
        rows=args.rows,
        escape=not args.raw,
        explain=args.explain,
    )
    res = engine.search(QueryContext(args.query), tc)
    if res.error:
        Console(stderr=True).print(
            f"[red]error:[/red] {res.error}", highlight=False, soft_wrap=True
        )
        return 2
    if args.json:
        print(
            json.dumps(
                {
                    "total": res.total,
                    "elapsed_ms": round(res.elapsed_ms, 2),
                    "docs": [
                        {
                            "id": d.id,
                            "score": d.score,
                            "title": d.title,
                            "fields": d.fields,
                            "explain": d.explain.to_dict() if d.explain else None,
                        }
                        for d in res.docs
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    out = Console()
    table = Table("#", "id", "score", "title", title=f"{res.total} hits in {res.elapsed_ms:.1f} ms")
    for d in res.docs:
        table.add_row(
            str(d.position + 1),
            d.id,
            f"{d.score:.4f}" if d.score is not None else "",
            d.title or "",
        )
    out.print(table)
    if args.explain:
        for d in res.docs:
            if d.explain is None:
                out.print(f"{d.id}: -", highlight=False)
                continue
            bd = breakdown(d.explain)
            parts = [_clause_text(c) for c in bd.clauses]
            if abs(bd.unexplained) > 1e-6 * max(1.0, abs(bd.total)):
                parts.append(f"unexplained={bd.unexplained:.3f}")
            out.print(f"{d.id}: {', '.join(parts) or '-'}", highlight=False, soft_wrap=True)
    return 0


def _clause_text(c: Clause) -> str:
    """``title:flat=1.234`` or, when boosts/tie-breakers scale it, ``title:flat=2.468 (0.617×4)``."""
    text = f"{c.label}={c.contribution:.3f}"
    if c.kind != "filter" and abs(c.weight - 1.0) > 1e-9:
        text += f" ({c.score:.3f}×{c.weight:.4g})"
    return text


def _import_static(args: argparse.Namespace) -> int:
    from searchbench.engines.static import StaticResultsError, import_csv

    if args.owner is None:
        if args.team:
            raise StaticResultsError(["--team shares a set with an owner: give --owner too"])
        results = import_csv(args.file, args.name, _data_dir(args))
        whose = "the operator's (no owner: not usable on the web until one is assigned)"
    else:
        results = _import_owned(args)
        whose = f"owned by {args.owner}"
        if args.team:
            whose += f", shared with {', '.join(args.team)}"
    Console().print(
        f"static results [bold]{args.name}[/bold]: {len(results.queries)} queries, "
        f"{results.doc_count} docs → endpoint url static://{args.name}; {whose}",
        highlight=False,
        soft_wrap=True,
    )
    return 0


def _import_owned(args: argparse.Namespace) -> StaticResults:
    """Import a set and record its owner and teams in the web app's database; all checked first,
    nothing stored on any problem. The operator may give any name to anyone."""
    from searchbench.cases import services
    from searchbench.engines.static import StaticResultsError, read_csv, static_name

    name = static_name(args.name)
    owner, teams, problems = _owner_and_teams(args)
    if problems:
        raise StaticResultsError(problems)
    results = read_csv(args.file)
    try:
        services.store_static_set(
            results, name, owner=owner, teams=teams, operator=True, data_dir=_data_dir(args)
        )
    except services.ServiceError as exc:
        raise StaticResultsError([str(exc)]) from None
    return results


def _owner_and_teams(args: argparse.Namespace) -> tuple[Any, list[Any], list[str]]:
    """The ``--owner`` user and the ``--team`` teams, from the web app's database (started here),
    and a problem for each that does not exist."""
    from django.apps import apps

    if not apps.ready:
        if args.data_dir:  # one data directory: the stored data and the default SQLite database
            os.environ["SEARCHBENCH_DATA_DIR"] = str(_data_dir(args))
        from searchbench.web.bootstrap import setup_django

        setup_django()
    from django.contrib.auth import get_user_model

    from searchbench.accounts.models import Team

    problems = []
    owner = get_user_model().objects.filter(username=args.owner).first()
    if owner is None:
        problems.append(f"--owner: no user named {args.owner!r}")
    teams = list(Team.objects.filter(name__in=args.team))
    missing = sorted(set(args.team) - {t.name for t in teams})
    problems += [f"--team: no team named {t!r}" for t in missing]
    return owner, teams, problems


def _record_index(args: argparse.Namespace, owner: Any, teams: list[Any]) -> None:
    """Give the built index to ``--owner`` (and ``--team``); without one, nothing changes."""
    if owner is None:
        return
    from searchbench.engines.local.index import index_name
    from searchbench.indexes.services import assign

    assign(index_name(args.name), owner, teams)


_ACTIONS = {
    "create": _create,
    "list": _list,
    "delete": _delete,
    "search": _search,
    "import-static": _import_static,
}
