"""Information needs CSV: ``query,information_need`` (Quepid's export and import).

Every query of the case is a row; an empty need is an empty cell. Cells pass the spreadsheet
formula guard both ways (``interchange.guard_cell``).
"""

from __future__ import annotations

import csv
from typing import IO

from searchbench.domain.formats.interchange import (
    CaseData,
    Problems,
    QueryData,
    csv_rows,
    guard_cell,
    unguard_cell,
)

HEADER = ["query", "information_need"]


def read(source: IO[bytes], name: str) -> CaseData:
    problems = Problems(name)
    queries: dict[str, QueryData] = {}
    header = True
    for line, row in csv_rows(source, problems):
        if header:
            header = False
            if row != HEADER:
                problems.line(line, f"the header must be query,information_need, not {row}")
                break
            continue
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 2:
            problems.line(line, f"expected 2 columns (query,information_need), found {len(row)}")
            continue
        text, need = unguard_cell(row[0].strip()), unguard_cell(row[1])
        if not text:
            problems.line(line, "the query column is empty")
            continue
        seen = queries.get(text)
        if seen is not None:
            if seen.information_need != need:
                problems.line(line, f"query {text!r} has another need on {seen.where}")
            continue
        queries[text] = QueryData(text, information_need=need, where=f"line {line}")
    if header and not problems:
        problems.line(1, "the file is empty; expected the header query,information_need")
    problems.raise_if_any()
    return CaseData(queries=list(queries.values()))


def write(case: CaseData, out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for query in case.queries:
        writer.writerow([guard_cell(query.text), guard_cell(query.information_need or "")])
