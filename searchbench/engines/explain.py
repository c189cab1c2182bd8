"""The common score-breakdown tree's vocabulary, and Lucene's explain JSON parsed into it.

Adapters map their engine's explain format onto ``ExplainNode`` with a ``kind`` from EXPLAIN_KINDS.
Everything computed *from* a tree (clause contributions, "why is A above B", the top-N summary)
lives in one place: ``searchbench.domain.explain_analysis``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from searchbench.domain.explain_analysis import classify
from searchbench.domain.search import ExplainNode

# kind -> what it means (shown as a legend in the UI and docs).
EXPLAIN_KINDS: dict[str, str] = {
    "sum": "sum of its clauses (boolean query, should/must)",
    "max": "maximum of its clauses, plus tie-breaker × the others (dismax)",
    "product": "product of its parts",
    "boost": "a clause multiplied by a query boost",
    "term": "one term in one field (the BM25/TF-IDF weight of that term)",
    "phrase": "a phrase (several terms at adjacent positions) in one field",
    "function": "a function query or script score",
    "const": "a constant score (filter, match-all)",
    "idf": "inverse document frequency of a term",
    "tf": "term-frequency part (with length normalisation for BM25)",
    "norm": "field-length normalisation",
    "param": "a scoring parameter (k1, b, boost value, document counts …)",
    "coord": "coordination factor (how many clauses matched)",
    "other": "anything not recognised",
}


def parse_lucene_explain(data: Mapping[str, Any]) -> ExplainNode:
    """A Lucene explanation as JSON (``value``, ``description``, ``details``) → ExplainNode."""
    description = str(data.get("description", "")).strip()
    kind, field, term = classify(description)
    try:
        value = float(data.get("value", 0.0))
    except (TypeError, ValueError):
        value = 0.0
    details = data.get("details") or []
    return ExplainNode(
        value=value,
        description=description,
        children=[parse_lucene_explain(d) for d in details if isinstance(d, Mapping)],
        kind=kind,
        field=field,
        term=term,
    )
