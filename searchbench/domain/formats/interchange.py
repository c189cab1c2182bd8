"""What an import/export format carries, in one shape every format reads into and writes from.

A file is read into :class:`CaseData` (a case's name, scorer, queries with their ratings, notes,
information needs and options, the try and its endpoint, snapshots: whatever the format holds);
the service layer (``cases/transfer.py``) applies it to the database in one transaction and builds
a ``CaseData`` back from a stored case to write. No Django here.

Readers never stop at the first problem: they collect every one in a :class:`Problems`, each
named by where it is (``line 12`` or a JSON path like ``queries[3].ratings[0].rating``) and why,
and raise one :class:`FormatError` at the end, so nothing is applied from a bad file.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

MAX_SHOWN = 20
MAX_JSON_CHARS = 200_000_000  # a 100 MB file of non-ASCII text, with room


# --- errors ------------------------------------------------------------------------------------


class FormatError(ValueError):
    """A file that cannot be imported; ``problems`` lists every (where, reason) pair found."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        shown = [f"{source}: {where}: {why}" for where, why in problems[:MAX_SHOWN]]
        if len(problems) > MAX_SHOWN:
            shown.append(f"... and {len(problems) - MAX_SHOWN} more problem(s)")
        super().__init__("\n".join(shown))


class Problems:
    """Every problem of one file, collected while reading it."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[tuple[str, str]] = []

    def add(self, where: str, why: str) -> None:
        self.items.append((where, why))

    def line(self, number: int, why: str) -> None:
        self.add(f"line {number}", why)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise FormatError(self.source, self.items)


class FieldReader:
    """Typed access to a JSON object's fields (Quepid's case and book files) that records a
    problem, with its JSON path, instead of raising."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems

    def get(self, obj: dict[str, Any], key: str, at: str, kinds: Any, default: Any) -> Any:
        """``obj[key]`` if it is of ``kinds`` (a type or a tuple; a bool only where bool is
        named), ``default`` when absent or null, else a problem at ``{at}{key}`` and
        ``default``."""
        value = obj.get(key)
        if value is None:
            return default
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = "/".join(k.__name__ for k in kinds)
            self.problems.add(f"{at}{key}", f"expected {names}, found {json.dumps(value)[:40]}")
            return default
        return value


# --- the data ----------------------------------------------------------------------------------


@dataclass(slots=True)
class RatingData:
    doc_id: str
    rating: float
    rater: str | None = None  # the rater's e-mail, as the file names it
    where: str = ""  # where the file holds it ("line 7", "queries[2].ratings[0]"), for errors


@dataclass(slots=True)
class QueryData:
    text: str
    ratings: list[RatingData] = field(default_factory=list)
    notes: str | None = None  # None: the file does not say (left alone on import)
    information_need: str | None = None
    options: dict[str, Any] | None = None
    qid: str | None = None  # the query's id in the file (TREC, LTR), kept for export
    where: str = ""


@dataclass(slots=True)
class EndpointData:
    name: str
    kind: str
    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    username: str = ""
    password: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    requests_per_minute: int | None = None


@dataclass(slots=True)
class TryData:
    name: str
    template: str
    field_spec: str = ""
    rows: int = 10
    escape: bool = True
    curator_vars: dict[str, Any] = field(default_factory=dict)
    endpoint: EndpointData | None = None


@dataclass(slots=True)
class SnapshotDocData:
    doc_id: str
    position: int
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class SnapshotQueryData:
    text: str
    qid: str | None = None
    docs: list[SnapshotDocData] = field(default_factory=list)


@dataclass(slots=True)
class SnapshotData:
    name: str
    time: str  # ISO 8601 as written (``2023-05-03T14:44:53.000Z``)
    queries: list[SnapshotQueryData] = field(default_factory=list)
    case_id: str = ""
    fields: list[str] = field(default_factory=list)  # the doc fields' column order, if known


@dataclass(slots=True)
class CaseData:
    """A case as a file holds it. Fields a format does not carry stay None / empty."""

    name: str | None = None
    queries: list[QueryData] = field(default_factory=list)
    scorer: str | None = None
    options: dict[str, Any] | None = None
    archived: bool | None = None
    public: bool | None = None
    owner_email: str | None = None
    unrated_queries: str | None = None  # scoring.UNRATED_RULES; searchbench's own, not Quepid's
    try_: TryData | None = None
    snapshots: list[SnapshotData] = field(default_factory=list)
    # Header values a format carries that the case does not model otherwise (RRE's id_field,
    # index and template), kept with the case and written back by that format.
    headers: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # kept going, but the person should know


# --- reading text ------------------------------------------------------------------------------


def text_lines(source: IO[bytes], problems: Problems) -> Iterator[str]:
    """The lines of a UTF-8 byte stream one at a time (a BOM is dropped), with their line ends
    (CSV needs them). Bytes that are not UTF-8 are a problem on their line, never a crash; the
    lines after them are not read."""
    for number, raw in enumerate(source, start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            problems.line(number, f"not UTF-8 text ({exc.reason} at byte {exc.start + 1})")
            return
        if "\x00" in line:  # PostgreSQL stores no NUL in text; no text format needs one
            problems.line(number, "the NUL character: this is not a text file")
            return
        yield line


def numbered_rows(
    lines: Iterable[str], broken: Callable[[int, str], None]
) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each CSV row of some lines, read one at a time; broken CSV (a
    quote left open) is reported to ``broken`` with its line and ends the reading."""
    reader = csv.reader(lines, strict=True)
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            broken(line, f"broken CSV ({exc})")
            return
        yield line, row


def csv_rows(source: IO[bytes], problems: Problems) -> Iterator[tuple[int, list[str]]]:
    """``numbered_rows`` of a UTF-8 byte stream."""
    return numbered_rows(text_lines(source, problems), problems.line)


def read_json(source: IO[bytes], problems: Problems) -> Any:
    """A whole JSON document (the standard library parser: JSON formats are read at once, see
    docs/import-export.md "Limits"); a syntax error is a problem with its line and column."""
    import json

    from searchbench.domain import safejson

    try:
        text = source.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add("file", f"not UTF-8 text ({exc.reason})")
        return None
    for nul in ("\x00", "\\u0000"):  # PostgreSQL stores no NUL in text
        at = text.find(nul)
        if at >= 0:
            problems.line(text.count("\n", 0, at) + 1, "the NUL character: no text may hold it")
            return None
    try:
        # NaN, Infinity, numbers past a double and nesting past safejson's limit are refused
        # here, with their line: no database column takes them.
        return safejson.loads(text, max_chars=MAX_JSON_CHARS)
    except json.JSONDecodeError as exc:
        problems.line(exc.lineno, f"not JSON: {exc.msg} (column {exc.colno})")
        return None


# --- writing -----------------------------------------------------------------------------------


def number_text(value: float) -> str:
    """A grade as files write it: ``3`` for 3.0, ``1.5`` for 1.5."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def json_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def parse_number(raw: str) -> float | None:
    """A finite number from text, else None."""
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def js_key_order(keys: Iterable[str]) -> list[str]:
    """Object keys in the order JavaScript enumerates them (what Quepid's downloads show):
    array-index keys (``"0"``, ``"17"``, below 2**32 - 1) ascending by value first, then the
    others in insertion order."""
    keys = list(keys)
    index = [k for k in keys if _ARRAY_INDEX.fullmatch(k) and int(k) < 2**32 - 1]
    chosen = set(index)
    return sorted(index, key=int) + [k for k in keys if k not in chosen]


# --- the spreadsheet formula guard -------------------------------------------------------------

FORMULA_STARTS = ("-", "=", "+", "@")
GUARD = "'"


def _guardable(cell: str) -> bool:
    return cell.lstrip(GUARD).startswith(FORMULA_STARTS)


def guard_cell(cell: str) -> str:
    """A CSV text cell made safe for spreadsheets: a cell that starts with ``- = + @`` (after
    any run of ``'``) gets one ``'`` in front, which spreadsheets show as text, not a formula.
    ``unguard_cell`` undoes exactly this, so an export reads back to the same values."""
    return GUARD + cell if _guardable(cell) else cell


def unguard_cell(cell: str) -> str:
    """Undo ``guard_cell``: drop one leading ``'`` when what follows would have been guarded.
    Any other cell (``'quoted'``, ``'s-Hertogenbosch``) is kept as written."""
    if cell.startswith(GUARD) and _guardable(cell[1:]):
        return cell[1:]
    return cell


def mapping_or_none(value: Any) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, Mapping) else None
