"""Quepid's book JSON (its "Export book" download, format of ``export/books/*.json.jbuilder``),
both shapes found in the wild:

- the current one: ``name``, ``show_rank``, ``support_implicit_judgements``, ``scale`` (the
  grades), ``scale_with_labels`` ({"0": "Not Relevant", …}) and ``query_doc_pairs``;
- the older one: no ``scale``, but ``scorer`` (``{"name": …}``, maybe with ``scale`` and
  ``scale_with_labels``) and ``selection_strategy``. Quepid's own importer takes the scale from
  the scorer when it has one; when neither says, the scale is every integer from 0 to the highest
  rating in the file (a warning says so).

Each pair: ``query_text``, ``doc_id``, ``position``, ``document_fields`` (the doc's fields as a
JSON text, as Quepid stores them; an object is taken too), ``information_need``, ``notes``,
``options`` (the query's, as the case had them when the pair was made) and ``judgements``: ``rating``, ``unrateable`` ("can't rate"), ``judge_later``,
``user_email`` (Quepid leaves it out when the user is gone: such a judgement is refused, a book
keeps one judgement a rater) and, in the current shape, ``explanation``.

Quepid writes its export zipped (``book.json.zip``); a zip holding one JSON file (macOS's
``__MACOSX/`` entries aside) is read as that file. The writer writes the current shape, compact,
as Quepid's own export job does, which Quepid's importer takes back.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from typing import IO, Any

from searchbench.domain import safejson
from searchbench.domain.formats.bookdata import (
    CANT_RATE,
    LATER,
    RATED,
    BookData,
    JudgementData,
    PairData,
    scale_of,
)
from searchbench.domain.formats.interchange import (
    MAX_JSON_CHARS,
    FieldReader,
    FormatError,
    Problems,
    number_text,
    read_json,
)

ZIP_MAGIC = b"PK\x03\x04"
MAX_POSITION = 2**31 - 1  # a pair's rank (what a database's integer column holds)


def read(source: IO[bytes], name: str) -> BookData:
    problems = Problems(name)
    stream = _unzipped(source, problems)
    problems.raise_if_any()  # a broken zip is the one problem, not also "not JSON"
    data = read_json(stream, problems)
    problems.raise_if_any()
    if not isinstance(data, dict) or "query_doc_pairs" not in data:
        problems.add("$", "expected a JSON object with query_doc_pairs (a Quepid book export)")
        problems.raise_if_any()
    r = FieldReader(problems)
    book = BookData(name=r.get(data, "name", "", str, None))
    if not (book.name or "").strip():
        problems.add("name", "the book has no name")
    scale_from: dict[str, Any] = data
    if "scale" not in data and isinstance(data.get("scorer"), dict):  # the older shape
        scale_from, at = data["scorer"], "scorer."
    else:
        at = ""
    book.scale = _scale(r, scale_from, at)
    book.labels = _labels(r, scale_from, at)
    seen: dict[tuple[str, str], str] = {}
    for i, item in enumerate(r.get(data, "query_doc_pairs", "", list, [])):
        pair = _pair(r, item, f"query_doc_pairs[{i}]")
        if pair is None:
            continue
        key = (pair.query_text, pair.doc_id)
        if key in seen:
            problems.add(pair.where, f"query {key[0]!r} doc {key[1]!r} is also {seen[key]}")
            continue
        seen[key] = pair.where
        book.pairs.append(pair)
    problems.raise_if_any()
    if book.scale is None:
        ratings = [j.rating for p in book.pairs for j in p.judgements if j.rating is not None]
        try:
            book.scale = implied = scale_of(ratings)
        except ValueError as exc:
            raise FormatError(name, [("scale", str(exc))]) from None
        book.warnings.append(
            "the file names no scale (Quepid's older book shape); used "
            + ",".join(number_text(v) for v in implied)
            + " from its ratings"
        )
    return book


def _unzipped(source: IO[bytes], problems: Problems) -> IO[bytes]:
    """The stream itself, or the one JSON file of a zip (read at most MAX_JSON_CHARS bytes)."""
    head = source.read(len(ZIP_MAGIC))
    rest = source.read()
    if head != ZIP_MAGIC:
        return io.BytesIO(head + rest)
    try:
        archive = zipfile.ZipFile(io.BytesIO(head + rest))
        names = [
            n for n in archive.namelist() if not n.startswith("__MACOSX/") and not n.endswith("/")
        ]
        if len(names) != 1:
            problems.add("file", f"a zip must hold one JSON file; this one holds {len(names)}")
            return io.BytesIO(b"")
        with archive.open(names[0]) as member:
            text = member.read(MAX_JSON_CHARS + 1)
    # RuntimeError: encrypted; zlib.error, EOFError: damaged or cut compressed data;
    # NotImplementedError: a compression method zipfile lacks.
    except (
        zipfile.BadZipFile, OSError, RuntimeError, zlib.error, EOFError, NotImplementedError
    ) as exc:  # fmt: skip
        problems.add("file", f"a broken zip ({exc})")
        return io.BytesIO(b"")
    if len(text) > MAX_JSON_CHARS:
        problems.add("file", f"the zipped file is over {MAX_JSON_CHARS} bytes unpacked")
        return io.BytesIO(b"")
    return io.BytesIO(text)


def _scale(r: FieldReader, obj: dict[str, Any], at: str) -> list[float] | None:
    raw = r.get(obj, "scale", at, list, None)
    if raw is None:
        return None
    grades = [v for v in raw if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(grades) != len(raw) or not grades:
        r.problems.add(f"{at}scale", "expected a list of numbers (the grades)")
        return None
    if len(set(grades)) != len(grades):
        r.problems.add(f"{at}scale", "a grade is named twice")
        return None
    return sorted(float(v) for v in grades)


def _labels(r: FieldReader, obj: dict[str, Any], at: str) -> dict[str, str]:
    raw = r.get(obj, "scale_with_labels", at, dict, {})
    labels: dict[str, str] = {}
    for key, label in raw.items():
        if not isinstance(label, (str, type(None))):
            r.problems.add(f"{at}scale_with_labels.{key}", "expected a text")
            continue
        number = _number(key)
        if number is None:
            r.problems.add(f"{at}scale_with_labels.{key}", "expected a grade (a number) as key")
            continue
        if label:
            labels[number_text(number)] = label
    return labels


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _text(value: Any) -> str | None:
    """An id as text: Quepid's doc ids are strings, but a hand-made file may write numbers."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _pair(r: FieldReader, item: Any, at: str) -> PairData | None:
    if not isinstance(item, dict):
        r.problems.add(at, "expected an object (a query–doc pair)")
        return None
    query = (r.get(item, "query_text", f"{at}.", str, "") or "").strip()
    doc_id = _text(item.get("doc_id"))
    if not query:
        r.problems.add(f"{at}.query_text", "the pair has no query text")
    if not doc_id:
        r.problems.add(f"{at}.doc_id", "the pair has no doc id (a text)")
    position = r.get(item, "position", f"{at}.", int, None)
    if position is not None and not 0 <= position <= MAX_POSITION:
        r.problems.add(f"{at}.position", f"{position}: a rank from 0 to {MAX_POSITION}")
        position = None
    fields = _fields(r, item.get("document_fields"), f"{at}.document_fields")
    need = r.get(item, "information_need", f"{at}.", str, "")
    notes = r.get(item, "notes", f"{at}.", str, "")
    options = r.get(item, "options", f"{at}.", dict, {})
    judgements = [
        found
        for j, raw in enumerate(r.get(item, "judgements", f"{at}.", list, []))
        if (found := _judgement(r, raw, f"{at}.judgements[{j}]")) is not None
    ]
    if not query or not doc_id:
        return None
    return PairData(query, doc_id, position, fields, need, notes, options, judgements, at)


def _fields(r: FieldReader, raw: Any, at: str) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    value = raw
    if isinstance(raw, str):
        try:
            value = safejson.loads(raw)
        except json.JSONDecodeError as exc:
            r.problems.add(at, f"not JSON: {exc.msg} (column {exc.colno})")
            return {}
    if not isinstance(value, dict):
        r.problems.add(at, "expected a JSON object of the doc's fields")
        return {}
    return value


def _judgement(r: FieldReader, raw: Any, at: str) -> JudgementData | None:
    if not isinstance(raw, dict):
        r.problems.add(at, "expected an object (a judgement)")
        return None
    email = r.get(raw, "user_email", f"{at}.", str, "").strip()
    if not email:
        # Quepid leaves it out when the judgement's user is gone; a book keeps one judgement a
        # rater, so one nobody made has no place.
        r.problems.add(f"{at}.user_email", "the judgement names no rater (user_email)")
        return None
    unrateable = r.get(raw, "unrateable", f"{at}.", bool, False)
    later = r.get(raw, "judge_later", f"{at}.", bool, False)
    rating = r.get(raw, "rating", f"{at}.", (int, float), None)
    explanation = r.get(raw, "explanation", f"{at}.", str, "")
    if unrateable and later:
        r.problems.add(at, "a judgement cannot be both unrateable and judge_later")
        return None
    if unrateable or later:
        state, rating = (CANT_RATE if unrateable else LATER), None
    elif rating is None:
        r.problems.add(f"{at}.rating", "a judgement needs a rating (or unrateable/judge_later)")
        return None
    else:
        state, rating = RATED, float(rating)
    return JudgementData(email, state, rating, explanation, at)


# --- writing ------------------------------------------------------------------------------------


def write(book: BookData, out: IO[str]) -> None:
    """The current shape, which Quepid's book import takes (its pairs' keys are the columns it
    creates a query_doc_pair from, its judgements' those of a judgement)."""
    scale = book.scale or []
    document: dict[str, Any] = {
        "name": book.name,
        "show_rank": False,
        "support_implicit_judgements": None,
        "scale": [_json_grade(v) for v in scale],
        "scale_with_labels": dict(book.labels) or None,
        "query_doc_pairs": [
            {
                "query_text": pair.query_text,
                "doc_id": pair.doc_id,
                "position": pair.position,
                "document_fields": json.dumps(pair.doc_fields, ensure_ascii=False)
                if pair.doc_fields
                else None,
                "information_need": pair.information_need or None,
                "notes": pair.notes or None,
                "options": pair.options or None,
                "judgements": [_write_judgement(j) for j in pair.judgements],
            }
            for pair in book.pairs
        ],
    }
    out.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")))


def _json_grade(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _write_judgement(j: JudgementData) -> dict[str, Any]:
    written: dict[str, Any] = {
        "rating": float(j.rating) if j.rating is not None else None,
        "unrateable": j.state == CANT_RATE,
        "judge_later": j.state == LATER,
    }
    written["user_email"] = j.rater
    written["explanation"] = j.explanation or None
    return written
