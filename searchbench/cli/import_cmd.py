"""`searchbench import FORMAT FILE [--case NAME] [--owner USER]` (see transfer_cmd.py)."""

from searchbench.cli.transfer_cmd import IMPORT_HELP as HELP
from searchbench.cli.transfer_cmd import add_import_arguments as add_arguments
from searchbench.cli.transfer_cmd import run_import as run

__all__ = ["HELP", "add_arguments", "run"]
