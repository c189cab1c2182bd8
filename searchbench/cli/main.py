"""The `searchbench` command: one sub-command per module, imported only when used.

Each module named in COMMANDS exposes ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int`` (the exit code). Importing lazily keeps `searchbench eval` free of Django.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from searchbench import __version__

# name -> module. Order is the order of `searchbench --help`.
COMMANDS: dict[str, str] = {
    "demo": "searchbench.cli.demo_cmd",
    "run": "searchbench.cli.run_cmd",
    "eval": "searchbench.cli.eval_cmd",
    "compare": "searchbench.cli.compare_cmd",
    "agreement": "searchbench.cli.agreement_cmd",
    "index": "searchbench.cli.index_cmd",
    "serve": "searchbench.cli.serve_cmd",
    "worker": "searchbench.cli.worker_cmd",
    "remote": "searchbench.cli.remote_cmd",
    "import": "searchbench.cli.import_cmd",
    "export": "searchbench.cli.export_cmd",
    "manage": "searchbench.cli.manage_cmd",
}


def build_parser(commands: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="searchbench",
        description="searchbench: a search-relevance workbench.",
    )
    parser.add_argument("--version", action="version", version=f"searchbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in commands if commands is not None else COMMANDS:
        module = importlib.import_module(COMMANDS[name])
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            return _dispatch(list(sys.argv[1:] if argv is None else argv))
        finally:
            # Also on SystemExit (--help): a closed pipe must show here, not at interpreter exit.
            sys.stdout.flush()
    except BrokenPipeError:
        return _reader_went_away()


def _reader_went_away() -> int:
    """`searchbench eval … | head -1`: the reader closed the pipe. Python's docs' recipe (and
    rich's, for what it prints): point stdout at /dev/null so the final flush cannot fail again,
    and exit 1 without a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


def _dispatch(argv: list[str]) -> int:
    # `manage` hands everything after it to Django untouched.
    if argv[:1] == ["manage"]:
        module = importlib.import_module(COMMANDS["manage"])
        return int(module.run_raw(argv[1:]))
    wanted = [argv[0]] if argv and argv[0] in COMMANDS else None
    parser = build_parser(wanted)
    args = parser.parse_args(argv)
    if not getattr(args, "_module", None):
        parser.print_help()
        return 2
    return int(args._module.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
