"""On-disk tantivy indexes under ``data_dir()/indexes``.

Layout: ``indexes/NAME`` is a symlink to ``indexes/.versions/NAME-<stamp>``, which holds the tantivy
files and ``searchbench.json`` (metadata). A rebuild writes a new version and swaps the symlink with
one atomic rename, so searches never see a half-built index.

Schema: ``__id`` (raw, the doc id), one analysed text field per searchable field (stored, for
highlights), and ``__source`` (the whole source doc as JSON, stored, not indexed) so a field spec can
show any field.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tantivy

from searchbench.engines.storage import NAME_RULE, store_dir, store_name

log = logging.getLogger("searchbench.engines.local")

META_FILE = "searchbench.json"
FORMAT_VERSION = 1
ID_FIELD = "__id"
SOURCE_FIELD = "__source"
DEFAULT_ANALYZER = "en_stem"
# Lucene's English stop set (what Solr's StopFilter and Elasticsearch's "_english_" use), plus "s"
# for the possessive ("biot's" tokenizes as "biot", "s"; Lucene's englishPossessive drops the 's).
ENGLISH_STOP = [
    "a",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "but",
    "by",
    "for",
    "if",
    "in",
    "into",
    "is",
    "it",
    "no",
    "not",
    "of",
    "on",
    "or",
    "such",
    "that",
    "the",
    "their",
    "then",
    "there",
    "these",
    "they",
    "this",
    "to",
    "was",
    "will",
    "with",
    "s",
]


def _english() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.custom_stopword(ENGLISH_STOP))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


# name -> (description, builder; None for tantivy's built-in tokenizers)
ANALYZERS: dict[str, tuple[str, Callable[[], tantivy.TextAnalyzer] | None]] = {
    "english": (
        "lower-case, Lucene's English stop words and possessive 's, English (Snowball) stemming "
        "— close to Solr's and Elasticsearch's english analyzer",
        _english,
    ),
    "en_stem": ("tantivy's en_stem: lower-case and English stemming, no stop words", None),
    "default": ("tantivy's default: lower-case only", None),
}
FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

Progress = Callable[[int, int], None]  # (bytes read so far, total bytes)
# Source file formats, by name: what `create_index` reads (one doc a line, or a CSV with a header).
FORMATS = ("jsonl", "csv")
Rows = Iterator[tuple[int, int, dict[str, Any]]]  # (line number, bytes read, doc)


class LocalIndexError(ValueError):
    """A bad index name, a bad source file, or a missing index. The message says what to fix."""


@dataclass
class IndexInfo:
    name: str
    path: Path
    id_field: str
    fields: list[str]
    doc_count: int
    created: str
    source: str = ""
    build_seconds: float = 0.0
    format: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


def indexes_dir(data_dir: Path | None = None) -> Path:
    return store_dir("indexes", data_dir)


def index_name(url_or_name: str) -> str:
    """``local://demo`` or ``demo`` → ``demo``; refuse names that could escape the directory."""
    name = store_name(url_or_name, "local")
    if name is None:
        raise LocalIndexError(f"bad index name {url_or_name!r}: {NAME_RULE}")
    return name


def _analyzer_name(analyzer: str) -> str:
    # Custom analyzers get a searchbench-specific name so tantivy never confuses them with its own.
    return f"sb_{analyzer}" if ANALYZERS[analyzer][1] is not None else analyzer


def _register(index: tantivy.Index, analyzer: str) -> None:
    build = ANALYZERS[analyzer][1]
    if build is not None:
        index.register_tokenizer(_analyzer_name(analyzer), build())


def _schema(fields: list[str], analyzer: str) -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field(ID_FIELD, stored=True, tokenizer_name="raw")
    for name in fields:
        builder.add_text_field(name, stored=True, tokenizer_name=_analyzer_name(analyzer))
    builder.add_bytes_field(SOURCE_FIELD, stored=True, indexed=False)
    return builder.build()


def source_format(filename: str) -> str:
    """``csv`` for a ``.csv`` file, else ``jsonl`` (``.jsonl``, ``.ndjson``, ``.json``, …)."""
    return "csv" if filename.lower().endswith(".csv") else "jsonl"


def _jsonl_rows(source: Path, label: str) -> Rows:
    read = 0
    with source.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            read += len(raw)
            if not raw.strip():
                continue
            try:
                doc = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise LocalIndexError(f"{label}:{lineno}: not valid JSON ({exc})") from None
            if not isinstance(doc, dict):
                raise LocalIndexError(
                    f"{label}:{lineno}: expected a JSON object, got {type(doc).__name__}"
                )
            yield lineno, read, doc


def _csv_rows(source: Path, label: str) -> Rows:
    """A CSV file with a header row: one doc a row, every cell a text field (empty: absent)."""
    read = 0

    def lines(fh: Any) -> Iterator[str]:
        nonlocal read
        for lineno, raw in enumerate(fh, start=1):
            read += len(raw)
            try:
                yield raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise LocalIndexError(f"{label}:{lineno}: not UTF-8 text ({exc.reason})") from None

    with source.open("rb") as fh:
        reader = csv.reader(lines(fh), strict=True)
        header: list[str] | None = None
        while True:
            lineno = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise LocalIndexError(f"{label}:{lineno}: broken CSV ({exc})") from None
            if header is None:
                header = [cell.strip() for cell in row]
                if not any(header):
                    raise LocalIndexError(f"{label}:{lineno}: the header row has no column names")
                continue
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise LocalIndexError(
                    f"{label}:{lineno}: {len(row)} columns, but the header has {len(header)}"
                )
            yield lineno, read, {k: v for k, v in zip(header, row, strict=True) if k and v != ""}
    if header is None:
        raise LocalIndexError(f"{label}: empty file; expected a header row of column names")


_ROWS: dict[str, Callable[[Path, str], Rows]] = {"jsonl": _jsonl_rows, "csv": _csv_rows}


def sample_docs(source: Path, fmt: str, limit: int = 5, label: str = "") -> list[dict[str, Any]]:
    """The first ``limit`` docs of a source file (to show its fields before building); a bad
    line among them is a LocalIndexError naming it."""
    docs: list[dict[str, Any]] = []
    for _lineno, _read, doc in _ROWS[fmt](Path(source), label or Path(source).name):
        docs.append(doc)
        if len(docs) >= limit:
            break
    return docs


def _read_docs(
    source: Path, id_field: str, fields: list[str], fmt: str, label: str
) -> Iterator[tuple[int, int, str, dict[str, Any]]]:
    """Yield (line number, bytes read, doc id, doc) with clear errors for bad lines."""
    seen: set[str] = set()
    for lineno, read, doc in _ROWS[fmt](source, label):
        if id_field not in doc or doc[id_field] in (None, ""):
            raise LocalIndexError(f"{label}:{lineno}: missing id field {id_field!r}")
        raw_id = doc[id_field]
        if isinstance(raw_id, dict | list):
            raise LocalIndexError(
                f"{label}:{lineno}: id field {id_field!r} must be a string or number"
            )
        doc_id = str(raw_id)
        if doc_id in seen:
            raise LocalIndexError(
                f"{label}:{lineno}: duplicate id {doc_id!r} in field {id_field!r}"
            )
        seen.add(doc_id)
        for name in fields:
            value = doc.get(name)
            if value is not None and not isinstance(value, str | int | float | list):
                raise LocalIndexError(
                    f"{label}:{lineno}: field {name!r} must be text (or a list of texts), "
                    f"got {type(value).__name__}"
                )
        yield lineno, read, doc_id, doc


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v is not None and not isinstance(v, dict | list)]
    return [str(value)]


def create_index(
    name: str,
    source: Path,
    id_field: str = "id",
    fields: list[str] | None = None,
    data_dir: Path | None = None,
    progress: Progress | None = None,
    analyzer: str = DEFAULT_ANALYZER,
    fmt: str | None = None,
    label: str | None = None,
) -> IndexInfo:
    """Build (or rebuild) index NAME from a JSONL or CSV file (``fmt``; default: by the file's
    suffix); the old index stays usable until the end. ``label`` names the file in messages and
    in the index's metadata (default: its path) — an uploaded file's own name, not where the
    server keeps it."""
    name = index_name(name)
    if analyzer not in ANALYZERS:
        raise LocalIndexError(f"unknown analyzer {analyzer!r} (known: {', '.join(ANALYZERS)})")
    fields = list(fields or ["title", "body"])
    if not fields:
        raise LocalIndexError("give at least one field to search (--fields title,body)")
    for f in fields:
        if not FIELD_NAME.fullmatch(f) or f.startswith("__"):
            raise LocalIndexError(
                f"bad field name {f!r}: use letters, digits and '_', starting with a letter"
            )
    if len(set(fields)) != len(fields):
        raise LocalIndexError(f"a field is listed twice in {','.join(fields)}")
    source = Path(source)
    label = label or str(source)
    fmt = fmt or source_format(source.name)
    if fmt not in _ROWS:
        raise LocalIndexError(f"unknown source format {fmt!r} (known: {', '.join(FORMATS)})")
    if not source.is_file():
        raise LocalIndexError(f"{label}: no such file")
    total = source.stat().st_size
    root = indexes_dir(data_dir)
    versions = root / ".versions"
    versions.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    target = versions / f"{name}-{stamp}"
    target.mkdir()
    started = time.perf_counter()
    writer = None
    try:
        index = tantivy.Index(_schema(fields, analyzer), path=str(target), reuse=False)
        _register(index, analyzer)
        writer = index.writer(heap_size=64_000_000, num_threads=1)
        count = 0
        last_report = 0
        for _lineno, read, doc_id, doc in _read_docs(source, id_field, fields, fmt, label):
            tdoc = tantivy.Document()
            tdoc.add_text(ID_FIELD, doc_id)
            for f in fields:
                for text in _texts(doc.get(f)):
                    tdoc.add_text(f, text)
            tdoc.add_bytes(SOURCE_FIELD, json.dumps(doc, ensure_ascii=False).encode())
            writer.add_document(tdoc)
            count += 1
            if progress and read - last_report > 256 * 1024:
                progress(read, total)
                last_report = read
        writer.commit()
        writer.wait_merging_threads()
        if progress:
            progress(total, total)
        info = IndexInfo(
            name=name,
            path=target,
            id_field=id_field,
            fields=fields,
            doc_count=count,
            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            source=label,
            build_seconds=round(time.perf_counter() - started, 3),
            extra={"analyzer": analyzer, "tantivy": getattr(tantivy, "__version__", "")},
        )
        meta = info.to_json()
        del meta["path"]
        (target / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    except BaseException:
        # The writer's threads hold files open and may still write: stop them before removing.
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.rollback()
            del writer
        gc.collect()
        shutil.rmtree(target, ignore_errors=True)
        raise
    _swap(root, name, target)
    info.path = root / name
    return info


def _swap(root: Path, name: str, target: Path) -> None:
    link = root / name
    if link.exists() and not link.is_symlink():
        log.warning("local index %r: %s is not a symlink made by searchbench", name, link)
        raise LocalIndexError(f"index name {name!r} is taken; choose another name")
    old = link.resolve() if link.is_symlink() else None
    tmp = root / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
    os.symlink(os.path.relpath(target, root), tmp)
    os.replace(tmp, link)  # atomic: readers see the old or the new index, never neither
    if old is not None and old != target and old.parent == target.parent:
        shutil.rmtree(old, ignore_errors=True)


def _read_info(root: Path, name: str) -> IndexInfo:
    # These messages reach web users (an endpoint's test or query): no server path in them.
    link = root / name
    meta_path = link / META_FILE
    try:
        meta = json.loads(meta_path.read_text())
    except FileNotFoundError:
        raise LocalIndexError(
            f"no local index {name!r} (make one on the Indexes page, or with "
            "`searchbench index create`)"
        ) from None
    except (OSError, ValueError) as exc:
        log.warning("local index %r: unreadable metadata %s: %s", name, meta_path, exc)
        raise LocalIndexError(f"local index {name!r} has unreadable metadata; rebuild it") from None
    meta.pop("path", None)
    return IndexInfo(path=link, **meta)


def index_exists(name: str, data_dir: Path | None = None) -> bool:
    """Whether anything (a built index, or a stray file) holds NAME in the indexes folder."""
    link = indexes_dir(data_dir) / index_name(name)
    return link.is_symlink() or link.exists()


def read_info(name: str, data_dir: Path | None = None) -> IndexInfo | None:
    """Index NAME's metadata, or None when it is not built (or unreadable)."""
    try:
        return _read_info(indexes_dir(data_dir), index_name(name))
    except LocalIndexError:
        return None


def list_indexes(data_dir: Path | None = None) -> list[IndexInfo]:
    root = indexes_dir(data_dir)
    out = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not entry.is_symlink():
            continue
        try:
            out.append(_read_info(root, entry.name))
        except LocalIndexError:
            continue
    return out


def delete_index(name: str, data_dir: Path | None = None) -> None:
    name = index_name(name)
    root = indexes_dir(data_dir)
    link = root / name
    if not link.is_symlink():
        raise LocalIndexError(f"no local index {name!r}")
    target = link.resolve()
    link.unlink()
    shutil.rmtree(target, ignore_errors=True)
    with _cache_lock:
        _cache.pop(str(link), None)


@dataclass
class OpenIndex:
    info: IndexInfo
    index: tantivy.Index
    schema_fields: list[str]  # tantivy field ids are positions in this list
    real: Path  # the version directory this index was opened from


# index link (indexes/NAME) -> the open current version; a rebuild changes the link's target and
# the next open replaces the entry, so old versions are not kept open.
_cache: dict[str, OpenIndex] = {}
_cache_lock = threading.Lock()


def open_index(name: str, data_dir: Path | None = None) -> OpenIndex:
    """The current version of index NAME (cached per version: a rebuild is picked up at once)."""
    name = index_name(name)
    root = indexes_dir(data_dir)
    info = _read_info(root, name)
    link = str(root / name)
    real = (root / name).resolve()
    with _cache_lock:
        cached = _cache.get(link)
        if cached is None or cached.real != real:
            try:
                index = tantivy.Index.open(str(real))
                _register(index, str(info.extra.get("analyzer", "en_stem")))
            except Exception as exc:  # tantivy raises plain ValueError/OSError
                # tantivy's words name the server's files: they go to the log only.
                log.warning("local index %r: cannot open %s: %s", name, real, exc)
                raise LocalIndexError(f"cannot open local index {name!r}; rebuild it") from None
            cached = _cache[link] = OpenIndex(
                info, index, [ID_FIELD, *info.fields, SOURCE_FIELD], real
            )
        return cached
