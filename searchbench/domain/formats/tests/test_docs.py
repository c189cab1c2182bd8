"""docs/import-export.md lists every format of the registry, and says which can be imported;
docs/book-import-export.md every book format."""

from __future__ import annotations

import re
from pathlib import Path

from searchbench.domain.formats.registry import BOOK_FORMATS, FORMATS

DOC = Path(__file__).resolve().parents[4] / "docs" / "import-export.md"
BOOK_DOC = DOC.with_name("book-import-export.md")


def test_the_formats_table_lists_every_format_with_its_import_column() -> None:
    rows = re.findall(r"^\| `([a-z-]+)` \| [^|]+\| (yes|—) \| yes \|", DOC.read_text(), re.M)
    assert dict(rows) == {n: ("yes" if f.read else "—") for n, f in FORMATS.items()}
    # each format has its section: "### name", or one shared as "### ltr and trec-qrels"
    headings = re.findall(r"^### (.+)$", DOC.read_text(), re.M)
    sections = {name for heading in headings for name in heading.split(" and ")}
    assert not set(FORMATS) - sections, set(FORMATS) - sections


def test_the_book_formats_table_lists_every_book_format_with_its_section() -> None:
    text = BOOK_DOC.read_text()
    assert re.findall(r"^\| `([a-z-]+)` \| [^|]+\| yes \| yes \|", text, re.M) == list(BOOK_FORMATS)
    assert set(re.findall(r"^### (.+)$", text, re.M)) == set(BOOK_FORMATS)
    assert not set(BOOK_FORMATS) & set(FORMATS)  # the CLI takes both: no name may be in both
