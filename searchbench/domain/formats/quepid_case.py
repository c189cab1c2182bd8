"""Quepid's case JSON (its "Export case" download, format of ``export/cases/show.json``).

Kept: the case name, options, archived and public flags, how unrated queries count
(``unrated_queries``, searchbench's own key: Quepid ignores it), the scorer by name, every query (text,
options, notes, information need) in order with its ratings and their raters' e-mails, and the
try (name, query parameters, field spec, rows, escaping, curator variables) with its endpoint
(name, URL, engine, HTTP method, custom headers, options, requests per minute). What Quepid
writes that searchbench has no place for is named in docs/import-export.md; ``arranged_at`` and
``arranged_next`` become the queries' order. The file is parsed whole with the standard
library's ``json``.
"""

from __future__ import annotations

import json
from typing import IO, Any

from searchbench.domain import safejson
from searchbench.domain.formats.interchange import (
    CaseData,
    EndpointData,
    FieldReader,
    Problems,
    QueryData,
    RatingData,
    TryData,
    json_number,
    read_json,
)
from searchbench.domain.scoring import UNRATED_COUNT_ZERO, UNRATED_RULES

# Quepid's search_engine -> searchbench's engine kind (and back).
ENGINES = {
    "solr": "solr",
    "es": "elasticsearch",
    "os": "opensearch",
    "searchapi": "searchapi",
    "static": "static",
}
QUEPID_ENGINE = {ours: theirs for theirs, ours in ENGINES.items()}


def read(source: IO[bytes], name: str) -> CaseData:
    problems = Problems(name)
    data = read_json(source, problems)
    problems.raise_if_any()
    if not isinstance(data, dict):
        problems.add("$", "expected a JSON object (a Quepid case export)")
        problems.raise_if_any()
    r = FieldReader(problems)
    case = CaseData(
        name=r.get(data, "case_name", "", str, None),
        options=r.get(data, "options", "", dict, None),
        archived=r.get(data, "archived", "", bool, None),
        public=r.get(data, "public", "", bool, None),
        owner_email=r.get(data, "owner_email", "", str, None),
        unrated_queries=r.get(data, "unrated_queries", "", str, None),
    )
    if case.unrated_queries is not None and case.unrated_queries not in UNRATED_RULES:
        problems.add(
            "unrated_queries", f"{case.unrated_queries[:40]!r}: one of {', '.join(UNRATED_RULES)}"
        )
    if not (case.name or "").strip():
        problems.add("case_name", "the case has no name")
    scorer = r.get(data, "scorer", "", dict, None)
    if scorer is not None:
        case.scorer = r.get(scorer, "name", "scorer.", str, None)
    queries = r.get(data, "queries", "", list, [])
    seen: dict[str, str] = {}
    for i, item in enumerate(queries):
        at = f"queries[{i}]"
        if not isinstance(item, dict):
            problems.add(at, "expected an object")
            continue
        query = _query(r, item, at)
        if query is None:
            continue
        if query.text in seen:
            problems.add(f"{at}.query_text", f"{query.text!r} is also {seen[query.text]}")
            continue
        seen[query.text] = at
        case.queries.append(query)
    tried = r.get(data, "try", "", dict, None)
    if tried is not None:
        case.try_ = _try(r, tried)
    problems.raise_if_any()
    return case


def _query(r: FieldReader, item: dict[str, Any], at: str) -> QueryData | None:
    text = r.get(item, "query_text", f"{at}.", str, "").strip()
    if not text:
        r.problems.add(f"{at}.query_text", "the query has no text")
        return None
    query = QueryData(
        text,
        notes=r.get(item, "notes", f"{at}.", str, ""),
        information_need=r.get(item, "information_need", f"{at}.", str, ""),
        options=r.get(item, "options", f"{at}.", dict, {}),
        where=at,
    )
    known: dict[str, str] = {}
    for j, rating in enumerate(r.get(item, "ratings", f"{at}.", list, [])):
        where = f"{at}.ratings[{j}]"
        if not isinstance(rating, dict):
            r.problems.add(where, "expected an object")
            continue
        doc_id = r.get(rating, "doc_id", f"{where}.", (str, int), "")
        value = r.get(rating, "rating", f"{where}.", (int, float), None)
        email = r.get(rating, "user_email", f"{where}.", str, None)
        if str(doc_id) == "":
            r.problems.add(f"{where}.doc_id", "the rating has no doc id")
            continue
        if value is None:
            continue  # Quepid keeps unrated docs as ratings without a value
        if str(doc_id) in known:
            r.problems.add(
                f"{where}.doc_id", f"doc {doc_id!r} is rated again ({known[str(doc_id)]})"
            )
            continue
        known[str(doc_id)] = where
        query.ratings.append(RatingData(str(doc_id), float(value), email or None, where))
    return query


def _try(r: FieldReader, item: dict[str, Any]) -> TryData:
    variables: dict[str, Any] = {}
    for k, var in enumerate(r.get(item, "curator_variables", "try.", list, [])):
        at = f"try.curator_variables[{k}]"
        if not isinstance(var, dict) or not isinstance(var.get("name"), str):
            r.problems.add(at, 'expected {"name": …, "value": …}')
            continue
        variables[var["name"]] = var.get("value")
    found = TryData(
        name=r.get(item, "name", "try.", str, ""),
        template=r.get(item, "query_params", "try.", str, ""),
        field_spec=r.get(item, "field_spec", "try.", str, ""),
        rows=r.get(item, "number_of_rows", "try.", int, 10),
        escape=r.get(item, "escape_query", "try.", bool, True),
        curator_vars=variables,
    )
    endpoint = r.get(item, "search_endpoint", "try.", dict, None)
    if endpoint is not None:
        found.endpoint = _endpoint(r, endpoint)
    return found


def _endpoint(r: FieldReader, item: dict[str, Any]) -> EndpointData | None:
    at = "try.search_endpoint."
    engine = r.get(item, "search_engine", at, str, "")
    kind = ENGINES.get(engine)
    if kind is None:
        known = ", ".join(ENGINES)
        r.problems.add(
            f"{at}search_engine", f"{engine!r} is not an engine searchbench has ({known})"
        )
        return None
    url = r.get(item, "endpoint_url", at, str, "")
    if not url:
        r.problems.add(f"{at}endpoint_url", "the endpoint has no URL")
    headers: dict[str, str] = {}
    raw_headers = item.get("custom_headers")
    if isinstance(raw_headers, str) and raw_headers.strip():
        try:
            # safejson: a string nested thousands deep would crash json.loads (RecursionError)
            parsed = safejson.loads(raw_headers)
        except json.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
            r.problems.add(f"{at}custom_headers", "expected a JSON object of header: value")
        else:
            headers = parsed
    elif isinstance(raw_headers, dict):
        headers = {str(k): str(v) for k, v in raw_headers.items()}
    username = password = ""
    credential = r.get(item, "basic_auth_credential", at, str, "")
    if credential:
        username, _, password = credential.partition(":")
    method = r.get(item, "api_method", at, str, "GET").upper()
    if method not in ("GET", "POST", "JSONP"):
        r.problems.add(f"{at}api_method", f"{method!r} is not GET, POST or JSONP")
    if item.get("mapper_code"):
        r.problems.add(f"{at}mapper_code", "mapper code (JavaScript response mappers) is not run")
    return EndpointData(
        name=r.get(item, "name", at, str, "") or url,
        kind=kind,
        url=url,
        method="POST" if method == "POST" else "GET",
        headers=headers,
        username=username,
        password=password,
        options=r.get(item, "options", at, dict, {}),
        requests_per_minute=r.get(item, "requests_per_minute", at, int, 0) or None,
    )


def write(case: CaseData, out: IO[str]) -> None:
    document: dict[str, Any] = {
        "case_name": case.name,
        "owned": True,
        "owner_email": case.owner_email,
        "public": True if case.public else None,
        "archived": bool(case.archived),
        "options": case.options or None,
        "scorer": {"name": case.scorer},
        "queries": [
            {
                "arranged_at": position,
                "arranged_next": None,
                "query_text": query.text,
                "options": query.options or None,
                "notes": query.notes or None,
                "information_need": query.information_need or None,
                "ratings": [_rating(r) for r in query.ratings],
            }
            for position, query in enumerate(case.queries, start=1)
        ],
    }
    if case.unrated_queries not in (None, UNRATED_COUNT_ZERO):
        # Not Quepid's (it always counts them as 0, and ignores the key): written only when the
        # case leaves them out, so a file for Quepid stays as Quepid writes it otherwise.
        document["unrated_queries"] = case.unrated_queries
    if case.try_ is not None:
        document["try"] = _write_try(case.try_)
    out.write(json.dumps(document, indent=2, ensure_ascii=False))


def _rating(rating: RatingData) -> dict[str, Any]:
    out: dict[str, Any] = {"doc_id": rating.doc_id, "rating": json_number(rating.rating)}
    if rating.rater:
        out["user_email"] = rating.rater
    return out


def _write_try(tried: TryData) -> dict[str, Any]:
    out: dict[str, Any] = {
        "escape_query": tried.escape,
        "field_spec": tried.field_spec,
        "name": tried.name,
        "number_of_rows": tried.rows,
        "query_params": tried.template,
        "curator_variables": [{"name": k, "value": v} for k, v in tried.curator_vars.items()],
    }
    endpoint = tried.endpoint
    if endpoint is not None:
        # Quepid sends Solr GETs as JSONP from the browser; searchbench sends them from the server.
        method = (
            "JSONP" if endpoint.kind == "solr" and endpoint.method == "GET" else endpoint.method
        )
        out["search_endpoint"] = {
            "name": endpoint.name,
            "endpoint_url": endpoint.url,
            "search_engine": QUEPID_ENGINE.get(endpoint.kind, endpoint.kind),
            "api_method": method,
            # Secret header values are written masked; credentials are never written.
            "custom_headers": json.dumps(endpoint.headers) if endpoint.headers else None,
            "basic_auth_credential": None,
            "mapper_code": None,
            "proxy_requests": False,
            "requests_per_minute": endpoint.requests_per_minute or 0,
            "test_query": None,
            "options": endpoint.options or None,
        }
    return out
