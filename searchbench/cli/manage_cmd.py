"""`searchbench manage ARGS…`: Django's manage.py with searchbench's settings."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from searchbench.web.bootstrap import SETTINGS_MODULE

HELP = "Run a Django management command (migrate, createsuperuser, collectstatic, settings_doc, …)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "args", nargs=argparse.REMAINDER, help="the management command and its arguments"
    )


def run_raw(argv: Sequence[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from searchbench.web.secretkey import use_generated_secret_key

    # In a data directory the demo set up, the demo's key (never a new one: see secretkey.py).
    use_generated_secret_key(create=False)
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["searchbench manage", *argv])
    except ImproperlyConfigured as exc:
        print(f"searchbench manage: configuration error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # Django exits on its own errors; hand back the code, not a trace
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0


def run(args: argparse.Namespace) -> int:
    return run_raw(list(args.args))
