"""Frozen results: per query text, the ranked docs an engine once returned (no Django here).

Two sources:

- **CSV** in Quepid's static-data form: a header ``Query Text,Doc ID,Doc Position,<field…>`` then
  one row per returned doc. Import is all-or-nothing: every problem is reported with its file,
  line and column name, and nothing is stored unless the whole file is good.
- **Snapshots**: a mapping ``{query text: [doc, …]}`` or ``{query text: {"total": n, "docs":
  [doc, …]}}`` where a doc is ``{"id", "fields"?, "score"?, "explain"?, "position"?}``.

Stored sets (``store.py``) are served by the static engine at ``static://NAME``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from searchbench.domain.formats.interchange import numbered_rows

REQUIRED_COLUMNS = ("Query Text", "Doc ID", "Doc Position")
MAX_ERRORS_SHOWN = 20
_SPACE = re.compile(r"\s+")


class StaticResultsError(ValueError):
    """Static results that cannot be used; ``problems`` lists every one (``file:line: …``)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        text = "\n".join(shown) + (f"\n… and {more} more" if more > 0 else "")
        super().__init__(text)


@dataclass
class StaticDoc:
    id: str
    position: int  # 1-based rank as frozen
    fields: dict[str, Any] = field(default_factory=dict)
    score: float | None = None
    explain: dict[str, Any] | None = None  # ExplainNode.to_dict() form


@dataclass
class StaticQuery:
    text: str
    docs: list[StaticDoc]  # in rank order
    total: int | None = None  # the engine's hit count when frozen; None: len(docs)

    @property
    def hit_count(self) -> int:
        return self.total if self.total is not None else len(self.docs)


@dataclass
class StaticPage:
    """One query's frozen docs from a start rank, as a lookup answers them."""

    text: str  # the query as stored
    total: int  # the engine's hit count when frozen (else the number of docs kept)
    docs: list[StaticDoc]


@dataclass
class StaticResults:
    queries: dict[str, StaticQuery]
    fields: list[str] = field(default_factory=list)  # the doc field names, CSV column order
    source: str = ""

    def find(self, text: str) -> StaticQuery | None:
        """The query with exactly this text, else the one equal up to case and spacing."""
        exact = self.queries.get(text)
        if exact is not None:
            return exact
        wanted = normalize(text)
        for query in self.queries.values():
            if normalize(query.text) == wanted:
                return query
        return None

    def lookup(self, text: str, start: int, rows: int) -> StaticPage | None:
        """Like ``StoredSet.lookup``: one query's docs from ``start``, at most ``rows``."""
        found = self.find(text)
        if found is None:
            return None
        start, rows = max(0, start), max(0, rows)
        return StaticPage(found.text, found.hit_count, found.docs[start : start + rows])

    @property
    def query_count(self) -> int:
        return len(self.queries)

    @property
    def doc_count(self) -> int:
        return sum(len(q.docs) for q in self.queries.values())

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StaticResults:
        """A set in the JSON form sets were stored in before they were indexed by query."""
        queries = {
            q["text"]: StaticQuery(
                q["text"],
                [
                    StaticDoc(
                        d["id"],
                        d["position"],
                        d.get("fields") or {},
                        d.get("score"),
                        d.get("explain"),
                    )
                    for d in q["docs"]
                ],
                q.get("total"),
            )
            for q in data["queries"]
        }
        return cls(queries, list(data.get("fields") or []), str(data.get("source") or ""))


def normalize(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


# --- CSV -------------------------------------------------------------------------------------------


def read_csv(source: Path | str, *, name: str | None = None) -> StaticResults:
    """Parse a static-results CSV (a path, or the text itself with ``name`` for messages)."""
    if isinstance(source, Path):
        label = name or str(source)
        try:
            raw = source.read_bytes()
        except OSError as exc:
            raise StaticResultsError([f"{label}: cannot read it ({exc.strerror})"]) from None
    else:
        label = name or "<csv>"
        raw = source.encode("utf-8")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise StaticResultsError(
            [f"{label}:{line}: not UTF-8 (byte {raw[exc.start]:#04x}); save the file as UTF-8"]
        ) from None
    return _parse_csv(text, label)


def _parse_csv(text: str, label: str) -> StaticResults:
    problems: list[str] = []
    header: list[str] | None = None
    queries: dict[str, StaticQuery] = {}
    positions: dict[str, dict[int, int]] = {}  # query -> position -> line
    doc_ids: dict[str, dict[str, int]] = {}  # query -> doc id -> line
    rows = numbered_rows(
        io.StringIO(text, newline=""), lambda at, why: problems.append(f"{label}:{at}: {why}")
    )
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip() for cell in row]
            problems += _header_problems(header, label, line)
            if problems:
                break
            continue
        if len(row) != len(header):
            problems.append(f"{label}:{line}: {len(row)} columns, but the header has {len(header)}")
            continue
        query_text, doc_id, raw_position = (cell.strip() for cell in row[:3])
        row_problems = []
        if not query_text:
            row_problems.append(f"{label}:{line}: column 'Query Text' is empty")
        if not doc_id:
            row_problems.append(f"{label}:{line}: column 'Doc ID' is empty")
        position = _position(raw_position)
        if position is None:
            row_problems.append(
                f"{label}:{line}: column 'Doc Position' is {raw_position!r}, "
                "expected a whole number from 1 up"
            )
        if row_problems:
            problems += row_problems
            continue
        assert position is not None  # for the type checker: checked just above
        seen_at = positions.setdefault(query_text, {}).get(position)
        if seen_at is not None:
            problems.append(
                f"{label}:{line}: query {query_text!r} has position {position} twice "
                f"(also line {seen_at})"
            )
            continue
        id_at = doc_ids.setdefault(query_text, {}).get(doc_id)
        if id_at is not None:
            problems.append(
                f"{label}:{line}: query {query_text!r} lists doc {doc_id!r} twice "
                f"(also line {id_at})"
            )
            continue
        positions[query_text][position] = line
        doc_ids[query_text][doc_id] = line
        fields = {
            name: value for name, value in zip(header[3:], row[3:], strict=True) if value != ""
        }
        query = queries.setdefault(query_text, StaticQuery(query_text, []))
        query.docs.append(StaticDoc(doc_id, position, fields))
    if header is None and not problems:
        problems.append(f"{label}: empty file; expected the header {','.join(REQUIRED_COLUMNS)}")
    if problems:
        raise StaticResultsError(problems)
    for query in queries.values():
        query.docs.sort(key=lambda d: d.position)
    assert header is not None
    return StaticResults(queries, header[3:], label)


def _header_problems(header: list[str], label: str, line: int) -> list[str]:
    problems = []
    first = [h.casefold() for h in header[:3]]
    if first != [c.casefold() for c in REQUIRED_COLUMNS]:
        problems.append(
            f"{label}:{line}: the header must start with {','.join(REQUIRED_COLUMNS)} "
            f"(found {','.join(header[:3]) or 'nothing'})"
        )
    seen: dict[str, int] = {}
    for number, name in enumerate(header, 1):
        if not name:
            problems.append(f"{label}:{line}: header column {number} has no name")
        elif name.casefold() in seen:
            problems.append(
                f"{label}:{line}: header column {number} {name!r} repeats column {seen[name.casefold()]}"
            )
        else:
            seen[name.casefold()] = number
    return problems


def _position(raw: str) -> int | None:
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 1 else None


def to_csv(results: StaticResults) -> str:
    """The results as a static-data CSV (``read_csv`` reads it back; scores and explain are not
    part of the format). Field values that are not text are written as JSON."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*REQUIRED_COLUMNS, *results.fields])
    for query in results.queries.values():
        for doc in query.docs:
            cells = [_cell(doc.fields.get(name)) for name in results.fields]
            writer.writerow([query.text, doc.id, doc.position, *cells])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


# --- snapshots -------------------------------------------------------------------------------------


def from_snapshot(data: Mapping[str, Any], *, source: str = "snapshot") -> StaticResults:
    """Static results from a snapshot mapping (see the module docstring); all problems at once."""
    problems: list[str] = []
    queries: dict[str, StaticQuery] = {}
    names: list[str] = []
    if not isinstance(data, Mapping):
        raise StaticResultsError([f"{source}: expected an object of query text -> docs"])
    for text, entry in data.items():
        where = f"{source}: query {text!r}"
        total: Any = None
        docs = entry
        if isinstance(entry, Mapping):
            docs, total = entry.get("docs"), entry.get("total")
            if total is not None and (
                isinstance(total, bool) or not isinstance(total, int) or total < 0
            ):
                problems.append(f"{where}: total {total!r} is not a hit count")
                total = None
        if not isinstance(docs, list):
            problems.append(f"{where}: expected a list of docs")
            continue
        frozen: list[StaticDoc] = []
        ids: set[str] = set()
        for i, doc in enumerate(docs):
            if not isinstance(doc, Mapping) or doc.get("id") in (None, ""):
                problems.append(f"{where}: doc #{i + 1} has no id")
                continue
            doc_id = str(doc["id"])
            if doc_id in ids:
                problems.append(f"{where}: doc {doc_id!r} appears twice")
                continue
            ids.add(doc_id)
            fields = doc.get("fields") or {}
            if not isinstance(fields, Mapping):
                problems.append(f"{where}: doc {doc_id!r}: fields must be an object")
                continue
            score = doc.get("score")
            if score is not None and (
                isinstance(score, bool) or not isinstance(score, int | float)
            ):
                problems.append(f"{where}: doc {doc_id!r}: score {score!r} is not a number")
                continue
            explain = doc.get("explain")
            if explain is not None and not isinstance(explain, Mapping):
                problems.append(f"{where}: doc {doc_id!r}: explain must be an object")
                continue
            names += [n for n in fields if n not in names]
            frozen.append(
                StaticDoc(
                    doc_id,
                    i + 1,
                    dict(fields),
                    float(score) if score is not None else None,
                    dict(explain) if explain is not None else None,
                )
            )
        queries[str(text)] = StaticQuery(str(text), frozen, total)
    if problems:
        raise StaticResultsError(problems)
    return StaticResults(queries, names, source)
