"""docs/cli.md carries every command's --help, generated from the argparse parsers; docs/casefile.md
the engine kinds, from the engines registry.

Regenerate after changing a command's arguments:

    .venv/bin/python tests/e2e/test_cli_docs.py --write
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "cli.md"
WIDTH = "100"  # argparse wraps to the terminal; fix it so the text does not depend on who runs it


def _sub_parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _sections(prog: str, parser: argparse.ArgumentParser) -> list[str]:
    parts = [f"## {prog}\n", "```text", parser.format_help().rstrip(), "```\n"]
    for name, sub in _sub_parsers(parser).items():
        parts += _sections(f"{prog} {name}", sub)
    return parts


def render_help() -> str:
    from searchbench.cli.main import build_parser

    with mock.patch.dict(os.environ, {"COLUMNS": WIDTH}):
        return "\n".join(_sections("searchbench", build_parser()))


def render_engines() -> str:
    from searchbench.engines import ENGINES

    rows = ["| `engine:` | what | `url:` | a template to start from |", "| --- | --- | --- | --- |"]
    for kind, info in ENGINES.items():
        example = info.template_example.replace("|", "\\|")
        rows.append(f"| `{kind}` | {info.label} | {info.url_hint} | `{example}` |")
    return "\n".join(rows)


# (file, section name, generator): each file holds <!-- generated: NAME ... --> markers.
GENERATED = [
    (DOC, "help", render_help),
    (REPO / "docs" / "casefile.md", "engines", render_engines),
]


def _span(text: str, name: str) -> tuple[int, int]:
    begin = text.index(f"<!-- generated: {name} ")
    start = text.index("-->", begin) + len("-->")
    return start, text.index(f"<!-- /generated: {name} -->")


def current_doc_section(path: Path = DOC, name: str = "help") -> str:
    text = path.read_text()
    start, end = _span(text, name)
    return text[start:end].strip("\n")


def write_doc() -> None:
    for path, name, render in GENERATED:
        text = path.read_text()
        start, end = _span(text, name)
        path.write_text(text[:start] + "\n" + render() + "\n" + text[end:])


def test_docs_cli_md_carries_the_current_help_of_every_command() -> None:
    expected = render_help()
    assert current_doc_section() == expected.strip("\n"), (
        "docs/cli.md is out of date: run  .venv/bin/python tests/e2e/test_cli_docs.py --write"
    )


def test_docs_casefile_md_lists_every_engine_kind() -> None:
    path = REPO / "docs" / "casefile.md"
    assert current_doc_section(path, "engines") == render_engines(), (
        "docs/casefile.md is out of date: run  .venv/bin/python tests/e2e/test_cli_docs.py --write"
    )


def test_every_command_has_a_section() -> None:
    from searchbench.cli.main import COMMANDS

    text = DOC.read_text()
    missing = [name for name in COMMANDS if f"## searchbench {name}\n" not in text]
    assert not missing, f"docs/cli.md lacks the commands {missing} (is their module importable?)"


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: tests/e2e/test_cli_docs.py --write")
    write_doc()
    print(f"wrote {DOC}")
