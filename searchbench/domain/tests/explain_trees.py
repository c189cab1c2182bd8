"""Explain JSON in the shapes the engines really return, with numbers computed by their formulas.

Lucene 9 (Solr 9 ``debug.explain.structured=true``, Elasticsearch/OpenSearch ``_explanation``):
BM25 term weights are ``weight(field:term in DOC) [SchemaSimilarity], result of:`` over
``score(freq=F), computed as boost * idf * tf from:`` with ``boost`` (only when not 1), ``idf,
computed as log(1 + (N - n + 0.5) / (n + 0.5)) from:`` and ``tf, computed as freq / (freq + k1 *
(1 - b + b * dl / avgdl)) from:``; Elasticsearch/OpenSearch tag term weights
``[PerFieldSimilarity]`` and their default BM25 (LegacyBM25Similarity) folds k1 + 1 into ``boost``
(2.2 for no boost, 6.6 for ^3 — as captured from OpenSearch 2.19 and Elasticsearch 7.10); a phrase's idf is ``idf, sum of:`` its terms' idfs; edismax
joins fields with ``max plus TIE times others of:``; FILTER clauses appear as ``match on required
clause, product of:`` with a zero ``# clause``; ``function_score`` with ``boost_mode: multiply`` is
``function score, product of:`` the query and ``min of:`` (function, ``maxBoost``). Classic TF-IDF
(Lucene ≤ 7) has ``queryWeight``/``fieldWeight``/``fieldNorm`` and ``coord(m/n)``.
"""

from __future__ import annotations

import math
from typing import Any

K1, B = 1.2, 0.75


def node(value: float, description: str, *details: dict[str, Any]) -> dict[str, Any]:
    return {"match": True, "value": value, "description": description, "details": list(details)}


def _idf(n: int, big_n: int) -> float:
    return math.log(1 + (big_n - n + 0.5) / (n + 0.5))


def _tf(freq: float, dl: float, avgdl: float) -> float:
    return freq / (freq + K1 * (1 - B + B * dl / avgdl))


def idf_node(n: int, big_n: int) -> dict[str, Any]:
    return node(
        _idf(n, big_n),
        "idf, computed as log(1 + (N - n + 0.5) / (n + 0.5)) from:",
        node(n, "n, number of documents containing term"),
        node(big_n, "N, total number of documents with field"),
    )


def tf_node(freq: float, dl: float, avgdl: float, approximate: bool = False) -> dict[str, Any]:
    return node(
        _tf(freq, dl, avgdl),
        "tf, computed as freq / (freq + k1 * (1 - b + b * dl / avgdl)) from:",
        node(freq, "freq, occurrences of term within document"),
        node(K1, "k1, term saturation parameter"),
        node(B, "b, length normalization parameter"),
        node(dl, "dl, length of field (approximate)" if approximate else "dl, length of field"),
        node(avgdl, "avgdl, average length of field"),
    )


def bm25_term(
    field: str,
    term: str,
    doc: int,
    *,
    freq: float,
    n: int,
    big_n: int,
    dl: float,
    avgdl: float,
    boost: float = 1.0,
    es: bool = False,
) -> dict[str, Any]:
    if es:  # LegacyBM25Similarity: Lucene's "boost" is the query boost × (k1 + 1)
        boost *= K1 + 1
    parts = [node(boost, "boost")] if boost != 1.0 else []
    parts += [idf_node(n, big_n), tf_node(freq, dl, avgdl, approximate=es)]
    value = boost * _idf(n, big_n) * _tf(freq, dl, avgdl)
    similarity = " [PerFieldSimilarity]" if es else " [SchemaSimilarity]"
    return node(
        value,
        f"weight({field}:{term} in {doc}){similarity}, result of:",
        node(value, f"score(freq={freq}), computed as boost * idf * tf from:", *parts),
    )


def bm25_phrase(
    field: str,
    terms: list[tuple[str, int]],
    doc: int,
    *,
    freq: float,
    big_n: int,
    dl: float,
    avgdl: float,
) -> dict[str, Any]:
    idfs = [idf_node(n, big_n) for _, n in terms]
    idf = node(sum(i["value"] for i in idfs), "idf, sum of:", *idfs)
    tf = tf_node(freq, dl, avgdl)
    value = idf["value"] * tf["value"]
    text = " ".join(t for t, _ in terms)
    return node(
        value,
        f'weight({field}:"{text}" in {doc}) [SchemaSimilarity], result of:',
        node(value, f"score(freq={freq}), computed as boost * idf * tf from:", idf, tf),
    )


def sum_of(*details: dict[str, Any]) -> dict[str, Any]:
    return node(sum(d["value"] for d in details), "sum of:", *details)


def dismax(tie: float, *details: dict[str, Any]) -> dict[str, Any]:
    values = [d["value"] for d in details]
    best = max(values)
    value = best + tie * (sum(values) - best)
    return node(value, f"max plus {tie} times others of:" if tie else "max of:", *details)


def function_query(func: str, inner: str, inner_value: float) -> dict[str, Any]:
    """Solr's ``bf`` / ``{!func}``: FunctionQuery(func), product of: the value and the boost."""
    return node(
        inner_value,
        f"FunctionQuery({func}), product of:",
        node(inner_value, inner),
        node(1.0, "boost"),
    )


# --- Solr 9: edismax q="boundary layer" qf="title^2 body" tie=0.1 pf=body bf=log(int(pop)) ------

CRAN_N = 1400


def solr_edismax_doc(
    doc: int,
    *,
    title: dict[str, int],
    body: dict[str, int],
    title_len: int,
    body_len: int,
    phrase: int,
    pop: int,
) -> dict[str, Any]:
    """One doc's explain; ``title``/``body`` map the stemmed terms to their freq in the doc."""
    df = {"boundari": 212, "layer": 503}
    clauses = []
    for term in ("boundari", "layer"):
        fields = []
        if term in title:
            fields.append(
                bm25_term(
                    "title",
                    term,
                    doc,
                    freq=title[term],
                    n=df[term] // 3,
                    big_n=CRAN_N,
                    dl=title_len,
                    avgdl=9.8,
                    boost=2.0,
                )
            )
        if term in body:
            fields.append(
                bm25_term(
                    "body",
                    term,
                    doc,
                    freq=body[term],
                    n=df[term],
                    big_n=CRAN_N,
                    dl=body_len,
                    avgdl=91.3,
                )
            )
        if fields:
            clauses.append(dismax(0.1, *fields))
    main = sum_of(*clauses)
    parts = [main]
    if phrase:
        parts.append(
            bm25_phrase(
                "body",
                [("boundari", 212), ("layer", 503)],
                doc,
                freq=phrase,
                big_n=CRAN_N,
                dl=body_len,
                avgdl=91.3,
            )
        )
    parts.append(
        function_query("log(int(popularity))", f"log(int(popularity)={pop})", math.log10(pop))
    )
    return sum_of(*parts)


SOLR_A = solr_edismax_doc(
    11,
    title={"boundari": 1, "layer": 1},
    body={"boundari": 3, "layer": 4},
    title_len=6,
    body_len=120,
    phrase=2,
    pop=100,
)
SOLR_B = solr_edismax_doc(
    40,
    title={},
    body={"boundari": 2, "layer": 2},
    title_len=8,
    body_len=60,
    phrase=0,
    pop=10,
)


# --- OpenSearch: function_score(bool(must multi_match best_fields tie 0.3, filter lang:en)) ------


def opensearch_doc(doc: int, *, title_freq: int, body_freq: int, pop: int) -> dict[str, Any]:
    per_field = []
    if title_freq:
        per_field.append(
            bm25_term(
                "title",
                "similar",
                doc,
                freq=title_freq,
                n=40,
                big_n=CRAN_N,
                dl=7,
                avgdl=9.8,
                boost=2.0,
                es=True,
            )
        )
    if body_freq:
        per_field.append(
            bm25_term(
                "body",
                "similar",
                doc,
                freq=body_freq,
                n=180,
                big_n=CRAN_N,
                dl=80,
                avgdl=91.3,
                es=True,
            )
        )
    query = sum_of(
        dismax(0.3, *per_field),
        node(
            0.0,
            "match on required clause, product of:",
            node(0.0, "# clause"),
            node(1.0, "lang:en"),
        ),
    )
    factor = math.log1p(pop)
    function = node(
        factor,
        "min of:",
        node(factor, "field value function: log1p(doc['popularity'].value * factor=1.0)"),
        node(3.4028235e38, "maxBoost"),
    )
    return node(query["value"] * factor, "function score, product of:", query, function)


OS_A = opensearch_doc(486, title_freq=1, body_freq=2, pop=30)
OS_B = opensearch_doc(13, title_freq=0, body_freq=5, pop=300)


# --- Classic TF-IDF (Lucene <= 7): two of three terms match, so coord(2/3) -------------------------


def classic_term(
    field: str,
    term: str,
    doc: int,
    *,
    freq: float,
    df: int,
    docs: int,
    norm: float,
    query_norm: float,
) -> dict[str, Any]:
    idf = 1 + math.log(docs / (df + 1))
    tf = math.sqrt(freq)
    query_weight = idf * query_norm
    field_weight = tf * idf * norm
    value = query_weight * field_weight
    idf_text = f"idf(docFreq={df}, docCount={docs})"
    return node(
        value,
        f"weight({field}:{term} in {doc}) [ClassicSimilarity], result of:",
        node(
            value,
            f"score(doc={doc},freq={freq} = termFreq={freq}\n), product of:",
            node(
                query_weight,
                "queryWeight, product of:",
                node(idf, idf_text),
                node(query_norm, "queryNorm"),
            ),
            node(
                field_weight,
                f"fieldWeight in {doc}, product of:",
                node(tf, f"tf(freq={freq}), with freq of:", node(freq, f"termFreq={freq}")),
                node(idf, idf_text),
                node(norm, f"fieldNorm(doc={doc})"),
            ),
        ),
    )


def _with_coord(inner: dict[str, Any], matched: int, clauses: int) -> dict[str, Any]:
    coord = matched / clauses
    return node(
        inner["value"] * coord, "product of:", inner, node(coord, f"coord({matched}/{clauses})")
    )


CLASSIC = _with_coord(
    sum_of(
        classic_term("title", "red", 0, freq=1.0, df=3, docs=10, norm=0.5, query_norm=0.3),
        classic_term("title", "boot", 0, freq=2.0, df=1, docs=10, norm=0.5, query_norm=0.3),
    ),
    2,
    3,
)
