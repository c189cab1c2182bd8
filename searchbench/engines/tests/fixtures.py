"""Engine responses written by hand in the shapes the engines document.

Solr: the JSON response writer (``responseHeader``, ``response.numFound/docs``, ``highlighting``
keyed by unique key, ``debug.explain`` with ``debug.explain.structured=true``, and error bodies
``{"error": {"msg", "code"}}``). Elasticsearch/OpenSearch: the ``_search`` API (``hits.total`` as
``{"value", "relation"}`` since ES 7 / an int before, ``hits.hits[]`` with ``_id``, ``_score``,
``_source``, ``highlight``, ``_explanation``; errors ``{"error": {"root_cause": [...], "type",
"reason"}, "status"}``). The numbers are made up but consistent (children add up to parents).
"""

from __future__ import annotations

from typing import Any


def lucene_term_explain(field: str, term: str, doc: int, value: float) -> dict[str, Any]:
    return {
        "match": True,
        "value": value,
        "description": f"weight({field}:{term} in {doc}) [SchemaSimilarity], result of:",
        "details": [
            {
                "match": True,
                "value": value,
                "description": "score(freq=1.0), computed as boost * idf * tf from:",
                "details": [
                    {"match": True, "value": 2.2, "description": "boost", "details": []},
                    {
                        "match": True,
                        "value": value / 2.2 / 0.5,
                        "description": "idf, computed as log(1 + (N - n + 0.5) / (n + 0.5)) from:",
                        "details": [
                            {
                                "match": True,
                                "value": 3,
                                "description": "n, number of documents containing term",
                                "details": [],
                            },
                            {
                                "match": True,
                                "value": 1400,
                                "description": "N, total number of documents with field",
                                "details": [],
                            },
                        ],
                    },
                    {
                        "match": True,
                        "value": 0.5,
                        "description": "tf, computed as freq / (freq + k1 * (1 - b + b * dl / avgdl)) from:",
                        "details": [],
                    },
                ],
            }
        ],
    }


def lucene_sum(doc: int, parts: list[tuple[str, str, float]]) -> dict[str, Any]:
    return {
        "match": True,
        "value": sum(v for _, _, v in parts),
        "description": "sum of:",
        "details": [lucene_term_explain(f, t, doc, v) for f, t, v in parts],
    }


SOLR_OK: dict[str, Any] = {
    "responseHeader": {"status": 0, "QTime": 3, "params": {"q": "flat plate", "wt": "json"}},
    "response": {
        "numFound": 57,
        "start": 0,
        "numFoundExact": True,
        "maxScore": 7.5,
        "docs": [
            {
                "id": "12",
                "title": "flat plate flow",
                "author": ["a. smith"],
                "poster": "p12.jpg",
                "score": 7.5,
            },
            {"id": "7", "title": "plates", "author": ["b. jones"], "score": 3.25},
        ],
    },
    "highlighting": {"12": {"body": ["over a <em>flat</em> <em>plate</em>"]}, "7": {}},
    "debug": {
        "rawquerystring": "flat plate",
        "explain": {
            "12": lucene_sum(11, [("title", "flat", 4.5), ("title", "plate", 3.0)]),
            "7": lucene_sum(6, [("title", "plate", 3.25)]),
        },
    },
}

SOLR_SYNTAX_ERROR: dict[str, Any] = {
    "responseHeader": {"status": 400, "QTime": 1},
    "error": {
        "metadata": [
            "error-class",
            "org.apache.solr.common.SolrException",
            "root-error-class",
            "org.apache.solr.parser.ParseException",
        ],
        "msg": "org.apache.solr.search.SyntaxError: Cannot parse 'title:(': Encountered \"<EOF>\" at line 1, column 7.",
        "code": 400,
    },
}

ES_OK: dict[str, Any] = {
    "took": 4,
    "timed_out": False,
    "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
    "hits": {
        "total": {"value": 1234, "relation": "eq"},
        "max_score": 6.0,
        "hits": [
            {
                "_index": "cranfield",
                "_id": "486",
                "_score": 6.0,
                "_source": {"title": "similarity laws", "author": "x. y", "thumb": "t/486.png"},
                "highlight": {"body": ["<em>similarity</em> laws for testing"]},
                "_explanation": lucene_sum(
                    485, [("title", "similar", 4.0), ("body", "similar", 2.0)]
                ),
            },
            {
                "_index": "cranfield",
                "_id": "13",
                "_score": 2.5,
                "_source": {"title": "stressing heated wings", "author": "z"},
                "_explanation": lucene_sum(12, [("body", "similar", 2.5)]),
            },
        ],
    },
}

ES6_OK: dict[str, Any] = {
    "took": 1,
    "timed_out": False,
    "_shards": {"total": 5, "successful": 5, "skipped": 0, "failed": 0},
    "hits": {
        "total": 3,
        "max_score": 1.0,
        "hits": [
            {
                "_index": "i",
                "_type": "_doc",
                "_id": "a",
                "_score": 1.0,
                "_source": {"id": "A-1", "title": "t"},
            }
        ],
    },
}

ES_PARSE_ERROR: dict[str, Any] = {
    "error": {
        "root_cause": [
            {"type": "parsing_exception", "reason": "unknown query [mach]", "line": 1, "col": 19}
        ],
        "type": "parsing_exception",
        "reason": "unknown query [mach]",
        "line": 1,
        "col": 19,
        "caused_by": {
            "type": "named_object_not_found_exception",
            "reason": "[1:19] unknown field [mach]",
        },
    },
    "status": 400,
}

ES_INDEX_MISSING: dict[str, Any] = {
    "error": {
        "root_cause": [
            {"type": "index_not_found_exception", "reason": "no such index [nope]", "index": "nope"}
        ],
        "type": "index_not_found_exception",
        "reason": "no such index [nope]",
        "index": "nope",
    },
    "status": 404,
}
