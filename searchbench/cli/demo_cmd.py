"""`searchbench demo`: the whole relevance loop on embedded defaults, in one command."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

from searchbench import env

HELP = (
    "Set up the demo (SQLite, built-in index, demo user, case, ratings) and serve it, with a "
    "worker for its runs."
)


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

    # Runs and snapshots are jobs: a worker runs them beside the web server, and stops with it.
    worker = start_worker()
    try:
        # One web process: SQLite and a laptop; its threads serve requests concurrently.
        serve(args.host, args.port, workers=1)
    finally:
        stop_worker(worker)
    return 0


def start_worker() -> subprocess.Popen[bytes]:
    """`searchbench worker` as a child process, with this process's settings (and secret key)."""
    return subprocess.Popen([sys.executable, "-m", "searchbench", "worker"], env=dict(os.environ))


def stop_worker(worker: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM (it finishes the batch in hand and hands the rest back), SIGKILL after ``grace``.
    After Ctrl+C the worker has its SIGINT already; a second signal changes nothing."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(grace)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
