"""docs/engines.md carries the registry's tables; run this file with --write to refresh them."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from searchbench.engines.registry import ENGINES, markdown_tables

DOC = Path(__file__).resolve().parents[3] / "docs" / "engines.md"
BLOCK = re.compile(r"(<!-- engines:table -->\n)(.*?)(<!-- /engines:table -->)", re.DOTALL)


def current_block() -> str:
    m = BLOCK.search(DOC.read_text())
    assert m, f"{DOC} lacks the <!-- engines:table --> block"
    return m.group(2)


def test_docs_list_every_engine_kind_and_explain_kind() -> None:
    assert current_block() == markdown_tables(), (
        f"{DOC} is out of date: run .venv/bin/python -m searchbench.engines.tests.test_docs --write"
    )
    for kind in ENGINES:
        assert f"| `{kind}` |" in current_block()


def test_docs_describe_every_safety_setting() -> None:
    text = DOC.read_text()
    for name in ("SEARCHBENCH_ALLOW_PRIVATE_URLS", "SEARCHBENCH_URL_ALLOW", "SEARCHBENCH_URL_DENY"):
        assert name in text


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    text = DOC.read_text()
    DOC.write_text(BLOCK.sub(lambda m: m.group(1) + markdown_tables() + m.group(3), text))
    print(f"wrote {DOC}")
