"""Quepid's snapshot CSV: ``Snapshot Name,Snapshot Time,Case ID,Query Text,Doc ID,Doc Position``
then one column per doc field, a row per returned doc, CRLF line ends (Quepid writes them).

Rows are grouped by snapshot name, then query text. The time is read as ISO 8601
(``2023-05-03T14:44:53.000Z``, what Quepid exports) or ``M/D/YY HH:MM`` (its import dialog's
example) and written back as ISO 8601 with milliseconds in UTC. A snapshot whose rows disagree on
the time keeps its first row's (a warning names the line). Text cells pass the formula guard both
ways (``interchange.guard_cell``).
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from typing import IO, Any

from searchbench.domain.formats.interchange import (
    CaseData,
    Problems,
    SnapshotData,
    SnapshotDocData,
    SnapshotQueryData,
    csv_rows,
    guard_cell,
    unguard_cell,
)

COLUMNS = ["Snapshot Name", "Snapshot Time", "Case ID", "Query Text", "Doc ID", "Doc Position"]
_TIME_FORMATS = ("%m/%d/%y %H:%M", "%m/%d/%Y %H:%M")


def parse_time(raw: str) -> datetime | None:
    text = raw.strip()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        when = None
        for pattern in _TIME_FORMATS:
            try:
                when = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def format_time(when: datetime) -> str:
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def read(source: IO[bytes], name: str) -> CaseData:
    problems = Problems(name)
    header: list[str] | None = None
    snapshots: dict[str, tuple[SnapshotData, int, dict[str, SnapshotQueryData]]] = {}
    positions: dict[tuple[str, str, int], int] = {}
    warnings: list[str] = []
    for line, row in csv_rows(source, problems):
        if header is None:
            header = [cell.strip() for cell in row]
            if header[:6] != COLUMNS:
                problems.line(line, f"the header must start with {','.join(COLUMNS)}")
                break
            extra = header[6:]
            if any(not f for f in extra) or len(set(extra)) != len(extra):
                problems.line(line, "field column names must be non-empty and distinct")
                break
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.line(line, f"{len(row)} columns, but the header has {len(header)}")
            continue
        snap_name, raw_time, case_id = unguard_cell(row[0].strip()), row[1], row[2].strip()
        text, doc_id = unguard_cell(row[3].strip()), unguard_cell(row[4].strip())
        when = parse_time(raw_time)
        position = int(row[5]) if row[5].strip().isdigit() else 0
        bad = [
            (not snap_name, "the Snapshot Name is empty"),
            (when is None, f"Snapshot Time {raw_time!r} is neither ISO 8601 nor M/D/YY HH:MM"),
            (not text, "the Query Text is empty"),
            (not doc_id, "the Doc ID is empty"),
            (position < 1, f"Doc Position {row[5]!r} is not a whole number from 1 up"),
        ]
        if any(flag for flag, _ in bad):
            for flag, why in bad:
                if flag:
                    problems.line(line, why)
            continue
        assert when is not None
        time = format_time(when)
        entry = snapshots.get(snap_name)
        if entry is None:
            entry = snapshots[snap_name] = (
                SnapshotData(snap_name, time, case_id=case_id, fields=header[6:]),
                line,
                {},
            )
        snapshot, first_line, queries = entry
        if time != snapshot.time:
            warnings.append(
                f"line {line}: snapshot {snap_name!r} has time {raw_time.strip()}, "
                f"line {first_line} another; the first is kept"
            )
        key = (snap_name, text, position)
        if key in positions:
            problems.line(
                line, f"query {text!r} has position {position} twice (line {positions[key]})"
            )
            continue
        positions[key] = line
        query = queries.get(text)
        if query is None:
            query = queries[text] = SnapshotQueryData(text)
            snapshot.queries.append(query)
        fields = {f: unguard_cell(v) for f, v in zip(header[6:], row[6:], strict=True)}
        query.docs.append(SnapshotDocData(doc_id, position, fields))
    if header is None and not problems:
        problems.line(1, f"the file is empty; expected the header {','.join(COLUMNS)}")
    problems.raise_if_any()
    return CaseData(snapshots=[s for s, _, _ in snapshots.values()], warnings=warnings)


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return guard_cell(text)


def write(case: CaseData, out: IO[str]) -> None:
    fields: dict[str, None] = {}
    for snapshot in case.snapshots:
        fields.update(dict.fromkeys(snapshot.fields))
        for query in snapshot.queries:
            for doc in query.docs:
                fields.update(dict.fromkeys(doc.fields))
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS + list(fields))
    for snapshot in case.snapshots:
        name = guard_cell(snapshot.name)
        for query in snapshot.queries:
            text = guard_cell(query.text)
            for doc in query.docs:
                cells = [_cell(doc.fields[f]) if f in doc.fields else "" for f in fields]
                writer.writerow(
                    [name, snapshot.time, snapshot.case_id, text, guard_cell(doc.doc_id)]
                    + [str(doc.position)]
                    + cells
                )
