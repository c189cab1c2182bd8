"""`searchbench demo`: the whole relevance loop on embedded defaults, in one command."""

from __future__ import annotations

import argparse
import os

from searchbench import env

HELP = "Set up the demo (SQLite, built-in index, demo user, case, ratings) and serve it."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--no-serve", action="store_true", help="set everything up, print the login, and exit"
    )


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from searchbench.web.secretkey import use_generated_secret_key

    console = Console(highlight=False)
    # Without a configured key the demo uses (and keeps) one generated in the data directory.
    use_generated_secret_key(create=True)
    # Unless told otherwise, a person is watching this terminal, not a log shipper.
    os.environ.setdefault("SEARCHBENCH_LOG_FORMAT", "console")
    from searchbench.web.bootstrap import collect_static, setup_django

    setup_django()
    from searchbench.demo.setup import setup_demo

    data_dir = env.data_dir()
    console.print(f"[bold]searchbench demo[/] — data in {data_dir}")
    with console.status("setting up the demo…"):
        info = setup_demo(data_dir, echo=lambda line: console.print(f"  {line}"))
    url = f"http://{args.host}:{args.port}/"
    score = "not run" if info.score is None else f"{info.score:.3f}"
    console.print(f"  demo case score: {score}")
    console.print(
        f"\n[bold green]Open {url}[/]  and log in as [bold]{info.username}[/] / [bold]{info.password}[/]"
    )
    if args.no_serve:
        return 0
    collect_static(echo=console.print)
    console.print("Stop with Ctrl+C.\n")
    from searchbench.cli.serve_cmd import serve

    # One worker process: SQLite and a laptop; its threads serve requests concurrently.
    serve(args.host, args.port, workers=1)
    return 0
