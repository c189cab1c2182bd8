"""Stored static result sets: one SQLite file per set, indexed by query (no Django here).

``<data dir>/static/NAME.sqlite`` holds a set's queries (text, normalized text, the frozen hit
count) and its docs keyed by (query, rank). A lookup finds one query through an index and reads
that query's page of docs only, so a view of one query costs the same for a set of 10 queries or
100,000 (a 60 MB set used to be parsed whole on every query-page view: 3–5 s, ~1 GB).

A set is written to a temporary file with one bulk insert and renamed into place: readers see the
old set or the new one, never a half-written one, and a failed import stores nothing. Each lookup
opens the file read-only, so a re-import is picked up at once and threads share nothing.

Who may use a set is not decided here: the web app checks it (cases.services) before it builds an
engine; the command line runs as the operator.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from searchbench.engines.static.results import (
    StaticDoc,
    StaticPage,
    StaticQuery,
    StaticResults,
    StaticResultsError,
    normalize,
    read_csv,
)
from searchbench.engines.storage import NAME_RULE, store_dir, store_name

SUFFIX = ".sqlite"
LEGACY_SUFFIX = ".json"  # sets stored before 0.2: one JSON document, converted on first use
SCHEMA_VERSION = 2
log = logging.getLogger("searchbench.engines.static")

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE queries (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE,
    norm TEXT NOT NULL,
    total INTEGER,
    docs INTEGER NOT NULL
);
CREATE INDEX queries_norm ON queries (norm, id);
CREATE TABLE docs (
    query_id INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    doc_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    fields TEXT NOT NULL,
    score REAL,
    explain TEXT,
    PRIMARY KEY (query_id, rank)
) WITHOUT ROWID;
"""


def static_dir(data_dir: Path | None = None) -> Path:
    return store_dir("static", data_dir)


def static_name(url_or_name: str) -> str:
    """``static://frozen`` or ``frozen`` -> ``frozen``; refuse names that could escape the folder."""
    name = store_name(url_or_name, "static")
    if name is None:
        raise StaticResultsError([f"bad static results name {url_or_name!r}: {NAME_RULE}"])
    return name


def _path(name: str, data_dir: Path | None) -> Path:
    return static_dir(data_dir) / f"{static_name(name)}{SUFFIX}"


# --- writing ---------------------------------------------------------------------------------------


def save(results: StaticResults, name: str, data_dir: Path | None = None) -> Path:
    """Store ``results`` as ``static://NAME``, replacing any set of that name atomically."""
    target = _path(name, data_dir)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".tmp")
    os.close(fd)
    try:
        with closing(sqlite3.connect(tmp)) as con:
            con.execute("PRAGMA journal_mode = OFF")  # a private file until the rename
            con.executescript(_SCHEMA)
            with con:
                _insert(con, results)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _insert(con: sqlite3.Connection, results: StaticResults) -> None:
    meta = {
        "version": str(SCHEMA_VERSION),
        "source": results.source,
        "fields": json.dumps(results.fields, ensure_ascii=False),
        "queries": str(len(results.queries)),
        "docs": str(results.doc_count),
    }
    con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    con.executemany(
        "INSERT INTO queries VALUES (?, ?, ?, ?, ?)",
        (
            (qid, q.text, normalize(q.text), q.total, len(q.docs))
            for qid, q in enumerate(results.queries.values(), 1)
        ),
    )
    con.executemany(
        "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (
                qid,
                rank,
                d.id,
                d.position,
                json.dumps(d.fields, ensure_ascii=False),
                d.score,
                json.dumps(d.explain, ensure_ascii=False) if d.explain is not None else None,
            )
            for qid, q in enumerate(results.queries.values(), 1)
            for rank, d in enumerate(q.docs)
        ),
    )


def import_csv(source: Path, name: str, data_dir: Path | None = None) -> StaticResults:
    """Validate the whole CSV, then store it as ``static://NAME``; on any problem store nothing."""
    static_name(name)  # a bad name fails before the file is read
    results = read_csv(source)
    save(results, name, data_dir)
    return results


# --- reading ---------------------------------------------------------------------------------------


class StoredSet:
    """A stored set, read query by query (its counts and field names are read when first asked)."""

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path.resolve()

    @functools.cached_property
    def _meta(self) -> dict[str, str]:
        with self._connect() as con:
            meta = dict(con.execute("SELECT key, value FROM meta"))
        if not {"queries", "docs", "fields", "source"} <= meta.keys():
            raise _unreadable(self.name, ValueError(f"meta rows {sorted(meta)}"))
        return meta

    @property
    def query_count(self) -> int:
        return int(self._meta["queries"])

    @property
    def doc_count(self) -> int:
        return int(self._meta["docs"])

    @property
    def fields(self) -> list[str]:
        return list(json.loads(self._meta["fields"]))

    @property
    def source(self) -> str:
        return self._meta["source"]

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            con = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise _unreadable(self.name, exc) from None
        try:
            yield con
        except sqlite3.Error as exc:
            raise _unreadable(self.name, exc) from None
        finally:
            con.close()

    def lookup(self, text: str, start: int, rows: int) -> StaticPage | None:
        """The query with exactly this text, else the first one equal up to case and spacing."""
        with self._connect() as con:
            found = con.execute(
                "SELECT id, text, total, docs FROM queries WHERE text = ?", (text,)
            ).fetchone()
            if found is None:
                found = con.execute(
                    "SELECT id, text, total, docs FROM queries WHERE norm = ? ORDER BY id LIMIT 1",
                    (normalize(text),),
                ).fetchone()
            if found is None:
                return None
            qid, stored, total, count = found
            docs = [
                _doc(row)
                for row in con.execute(
                    "SELECT doc_id, position, fields, score, explain FROM docs "
                    "WHERE query_id = ? AND rank >= ? ORDER BY rank LIMIT ?",
                    (qid, max(0, start), max(0, rows)),
                )
            ]
        return StaticPage(stored, total if total is not None else count, docs)

    def load(self) -> StaticResults:
        """The whole set in memory (for exports and tests; views use ``lookup``)."""
        queries: dict[str, StaticQuery] = {}
        with self._connect() as con:
            by_id = {
                qid: queries.setdefault(text, StaticQuery(text, [], total))
                for qid, text, total in con.execute(
                    "SELECT id, text, total FROM queries ORDER BY id"
                )
            }
            for qid, *row in con.execute(
                "SELECT query_id, doc_id, position, fields, score, explain FROM docs "
                "ORDER BY query_id, rank"
            ):
                by_id[qid].docs.append(_doc(row))
        return StaticResults(queries, list(self.fields), self.source)


def _doc(row: Any) -> StaticDoc:
    doc_id, position, fields, score, explain = row
    return StaticDoc(
        doc_id, position, json.loads(fields), score, json.loads(explain) if explain else None
    )


def _unreadable(name: str, exc: Exception) -> StaticResultsError:
    # The file's path and SQLite's words stay in the server log: users see the name only.
    log.warning("static results %r unreadable: %s", name, exc)
    return StaticResultsError([f"static results {name!r} are unreadable; import them again"])


def exists(name: str, data_dir: Path | None = None) -> bool:
    """Whether a set of this name is stored (in either format)."""
    path = _path(name, data_dir)
    return path.exists() or path.with_suffix(LEGACY_SUFFIX).exists()


def open_set(name: str, data_dir: Path | None = None) -> StoredSet:
    """The stored set ``static://NAME``; a set in the old JSON form is converted first."""
    path = _path(name, data_dir)
    name = path.stem
    if not path.exists():
        legacy = path.with_suffix(LEGACY_SUFFIX)
        if not legacy.exists():
            raise StaticResultsError([f"no static results named {name!r}; import a CSV first"])
        _convert(name, legacy, data_dir)
    return StoredSet(name, path)


def _convert(name: str, legacy: Path, data_dir: Path | None) -> None:
    try:
        data = json.loads(legacy.read_text(encoding="utf-8"))
        results = StaticResults.from_json(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _unreadable(name, exc) from None
    save(results, name, data_dir)
    legacy.unlink(missing_ok=True)
    log.info("static results %r converted to the indexed form", name)


def load(name: str, data_dir: Path | None = None) -> StaticResults:
    """The whole stored set ``static://NAME`` in memory."""
    return open_set(name, data_dir).load()


def list_static(data_dir: Path | None = None) -> list[str]:
    """Every stored set's name (the operator's view: the CLI lists them all)."""
    folder = static_dir(data_dir)
    names = {p.stem for p in folder.glob(f"*{SUFFIX}")}
    names |= {p.stem for p in folder.glob(f"*{LEGACY_SUFFIX}")}
    return sorted(n for n in names if not n.startswith("."))
