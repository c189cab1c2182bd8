"""`searchbench worker`: run background jobs (case runs, snapshots, nightly runs)."""

from __future__ import annotations

import argparse
import os
import sys

HELP = (
    "Run background jobs (case runs, snapshots, nightly runs) until stopped with SIGTERM or "
    "Ctrl+C; start several, on several machines sharing the database, to share the work."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="worker processes (default: SEARCHBENCH_WORKER_PROCESSES, else 2)",
    )


def run(args: argparse.Namespace) -> int:
    from django.core.exceptions import ImproperlyConfigured

    from searchbench.web.bootstrap import setup_django

    if args.processes is not None:
        if args.processes < 1:
            print("searchbench worker: --processes must be at least 1", file=sys.stderr)
            return 2
        # Through the registry, like every setting: the settings module reads it.
        os.environ["SEARCHBENCH_WORKER_PROCESSES"] = str(args.processes)
    try:
        setup_django()
    except ImproperlyConfigured as exc:
        print(f"searchbench worker: configuration error: {exc}", file=sys.stderr)
        return 2
    from searchbench.jobs.worker import run_worker

    return run_worker()
