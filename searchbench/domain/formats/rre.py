"""RRE (Rated Ranking Evaluator) ratings JSON, both shapes found in the wild.

- Export shape (what Quepid downloads): ``relevant_documents: {docid: {"gain": g}}``; ``rating``
  is accepted for ``gain``.
- Import shape (RRE's own examples, Quepid's import test): ``relevant_documents: {grade:
  [docid, …]}``.

Queries may sit at the top (``queries``, Quepid's layout) or in RRE's nesting, ``topics[] →
query_groups[] → queries[]`` or ``query_groups[] → queries[]``, with ``relevant_documents`` on
the query or its group (a group's judgments apply to each of its queries). A query is
``{"placeholders": {"$query": TEXT}}``. Export writes Quepid's flat layout, documents in the
order JavaScript enumerates object keys (numeric ids ascending first), 2-space JSON.

The file is parsed whole with the standard library's ``json`` (see docs/import-export.md).
"""

from __future__ import annotations

import contextlib
import json
from typing import IO, Any

from searchbench.domain.formats.interchange import (
    CaseData,
    Problems,
    QueryData,
    RatingData,
    js_key_order,
    json_number,
    read_json,
)

HEADER_KEYS = ("id_field", "index", "template")
DEFAULT_HEADER = {"id_field": "id", "index": "", "template": "template.json"}


def read(source: IO[bytes], name: str) -> CaseData:
    problems = Problems(name)
    data = read_json(source, problems)
    if problems:
        problems.raise_if_any()
    if not isinstance(data, dict):
        problems.add("$", "expected a JSON object with queries, query_groups or topics")
        problems.raise_if_any()
    header = {}
    for key in HEADER_KEYS:
        if key in data:
            if not isinstance(data[key], str):
                problems.add(key, "expected a string")
            else:
                header[key] = data[key]
    queries: dict[str, QueryData] = {}
    found = False
    if "queries" in data:
        found = True
        _queries(data["queries"], "queries", None, queries, problems)
    if "query_groups" in data:
        found = True
        _groups(data["query_groups"], "query_groups", queries, problems)
    if "topics" in data:
        found = True
        topics = data["topics"]
        if not isinstance(topics, list):
            problems.add("topics", "expected a list")
        else:
            for i, topic in enumerate(topics):
                where = f"topics[{i}]"
                if not isinstance(topic, dict):
                    problems.add(where, "expected an object")
                    continue
                _groups(topic.get("query_groups", []), f"{where}.query_groups", queries, problems)
    if not found:
        problems.add("$", "no queries, query_groups or topics")
    problems.raise_if_any()
    return CaseData(queries=list(queries.values()), headers={"rre": header} if header else {})


def _groups(groups: Any, where: str, out: dict[str, QueryData], problems: Problems) -> None:
    if not isinstance(groups, list):
        problems.add(where, "expected a list")
        return
    for i, group in enumerate(groups):
        at = f"{where}[{i}]"
        if not isinstance(group, dict):
            problems.add(at, "expected an object")
            continue
        shared = None
        if "relevant_documents" in group:
            shared = _judgments(group["relevant_documents"], f"{at}.relevant_documents", problems)
        _queries(group.get("queries", []), f"{at}.queries", shared, out, problems)


def _queries(
    items: Any,
    where: str,
    shared: list[RatingData] | None,
    out: dict[str, QueryData],
    problems: Problems,
) -> None:
    if not isinstance(items, list):
        problems.add(where, "expected a list")
        return
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        placeholders = item.get("placeholders") if isinstance(item, dict) else None
        text = placeholders.get("$query") if isinstance(placeholders, dict) else None
        if not isinstance(text, str) or not text.strip():
            problems.add(f"{at}.placeholders", 'expected {"$query": "query text"}')
            continue
        own = None
        if "relevant_documents" in item:
            own = _judgments(item["relevant_documents"], f"{at}.relevant_documents", problems)
        ratings = (shared or []) + (own or [])
        query = out.get(text.strip())
        if query is None:
            query = out[text.strip()] = QueryData(text.strip(), where=at)
        known = {r.doc_id: r for r in query.ratings}
        for rating in ratings:
            earlier = known.get(rating.doc_id)
            if earlier is None:
                query.ratings.append(rating)
                known[rating.doc_id] = rating
            elif earlier.rating != rating.rating:
                problems.add(
                    rating.where,
                    f"doc {rating.doc_id!r} of query {text!r} has gain {earlier.rating:g} "
                    f"at {earlier.where}",
                )


def _judgments(docs: Any, where: str, problems: Problems) -> list[RatingData]:
    if not isinstance(docs, dict):
        problems.add(where, "expected an object")
        return []
    out: list[RatingData] = []
    for key, value in docs.items():
        at = f"{where}[{json.dumps(key)}]"
        if isinstance(value, list):  # {grade: [docids]}
            grade = _grade(key)
            if grade is None:
                problems.add(at, f"grade {key!r} is not a number")
                continue
            for j, doc in enumerate(value):
                if not isinstance(doc, (str, int)) or isinstance(doc, bool) or not str(doc):
                    problems.add(f"{at}[{j}]", "expected a doc id")
                    continue
                out.append(RatingData(str(doc), grade, where=f"{at}[{j}]"))
        elif isinstance(value, dict):  # {docid: {"gain": g}}
            raw = value.get("gain", value.get("rating"))
            if not isinstance(raw, (int, float)) or isinstance(raw, bool):
                problems.add(at, 'expected {"gain": number} (or "rating")')
                continue
            if not key:
                problems.add(at, "the doc id is empty")
                continue
            out.append(RatingData(key, float(raw), where=at))
        else:
            problems.add(at, 'expected {"gain": number} or a list of doc ids')
    return out


def _grade(key: str) -> float | None:
    try:
        return float(key)
    except ValueError:
        return None


def derived_header(case: CaseData) -> dict[str, str]:
    """``id_field`` and ``index`` as Quepid derives them from the try: the field spec's id field
    and the index named in the endpoint URL (``…/solr/ecommerce/select`` → ``ecommerce``,
    ``…/products/_search`` → ``products``)."""
    header = dict(DEFAULT_HEADER)
    tried = case.try_
    if tried is None:
        return header
    from searchbench.domain.fieldspec import FieldSpecError, parse_field_spec

    with contextlib.suppress(FieldSpecError):
        header["id_field"] = parse_field_spec(tried.field_spec).id
    if tried.endpoint is not None:
        path = tried.endpoint.url.split("://", 1)[-1].split("?", 1)[0].rstrip("/").split("/")[1:]
        if path and path[-1] in ("select", "_search", "query"):
            path = path[:-1]
        header["index"] = path[-1] if path else ""
    return header


def write(case: CaseData, out: IO[str]) -> None:
    header = {**derived_header(case), **case.headers.get("rre", {})}
    queries = []
    for query in case.queries:
        docs = {r.doc_id: {"gain": json_number(r.rating)} for r in query.ratings}
        ordered = {k: docs[k] for k in js_key_order(docs)}
        queries.append({"placeholders": {"$query": query.text}, "relevant_documents": ordered})
    document = {k: header[k] for k in HEADER_KEYS} | {"queries": queries}
    out.write(json.dumps(document, indent=2, ensure_ascii=False))
