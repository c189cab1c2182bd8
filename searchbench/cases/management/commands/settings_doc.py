"""Print the settings table (from searchbench.env) or write it into README.md between its markers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from searchbench.env import settings_table_markdown

START = re.compile(r"<!-- section:settings\b[^>]*-->\n")
END = "<!-- /section:settings -->"


def replace_section(text: str, table: str) -> str:
    """``text`` with the settings section's body replaced by ``table``."""
    start = START.search(text)
    end = text.find(END)
    if start is None or end < start.end():
        raise ValueError("no '<!-- section:settings … -->' … '<!-- /section:settings -->' markers")
    return text[: start.end()] + table + text[end:]


class Command(BaseCommand):
    help = "Print the environment settings table, or write it into a README between its markers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", metavar="FILE", help="update FILE (e.g. README.md) in place")
        parser.add_argument(
            "--check",
            metavar="FILE",
            help="exit 1 when FILE's settings section differs from the registry",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        table = settings_table_markdown()
        target = options.get("write") or options.get("check")
        if not target:
            self.stdout.write(table, ending="")
            return
        path = Path(target)
        try:
            text = path.read_text(encoding="utf-8")
            updated = replace_section(text, table)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        except ValueError as exc:
            raise CommandError(f"{path}: {exc}") from None
        if options.get("check"):
            if updated != text:
                raise CommandError(
                    f"{path}: the settings table is out of date; run "
                    f"`searchbench manage settings_doc --write {path}`"
                )
            return
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            self.stdout.write(f"{path}: settings table updated")
        else:
            self.stdout.write(f"{path}: settings table already up to date")
