"""`searchbench export FORMAT --case NAME [-o FILE] [--owner USER]` (see transfer_cmd.py)."""

from searchbench.cli.transfer_cmd import EXPORT_HELP as HELP
from searchbench.cli.transfer_cmd import add_export_arguments as add_arguments
from searchbench.cli.transfer_cmd import run_export as run

__all__ = ["HELP", "add_arguments", "run"]
