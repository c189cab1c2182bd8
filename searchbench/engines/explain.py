"""Helpers over the common score-breakdown tree (ExplainNode), whatever engine produced it.

Adapters map their engine's explain format onto ``ExplainNode`` with a ``kind`` from EXPLAIN_KINDS;
the UI's tree, the "why is A above B" view and the per-clause summary are computed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from searchbench.engines.base import ExplainNode

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

CLAUSE_KINDS = frozenset({"term", "phrase", "function", "const"})


@dataclass(frozen=True)
class Contribution:
    label: str
    value: float
    field: str | None = None
    term: str | None = None


def walk(node: ExplainNode) -> Iterator[ExplainNode]:
    yield node
    for child in node.children:
        yield from walk(child)


def clause_label(node: ExplainNode) -> str:
    if node.field and node.term:
        return f"{node.field}:{node.term}"
    if node.field:
        return f"{node.field}:({node.kind})"
    return node.description.strip()[:80] or node.kind


def contributions(node: ExplainNode) -> list[Contribution]:
    """How much each query clause adds to the score; the values sum to (about) the root value."""
    out: dict[str, Contribution] = {}

    def visit(n: ExplainNode, scale: float) -> None:
        if n.kind in CLAUSE_KINDS or not n.children:
            label = clause_label(n)
            prev = out.get(label)
            value = n.value * scale + (prev.value if prev else 0.0)
            out[label] = Contribution(label, value, n.field, n.term)
            return
        if n.kind == "sum":
            for c in n.children:
                visit(c, scale)
        elif n.kind == "max":
            # the best clause carries the score; tie-breaker parts are folded into it.
            best = max(n.children, key=lambda c: c.value)
            visit(best, scale * (n.value / best.value) if best.value else scale)
        elif n.kind == "boost" and len(n.children) == 1 and n.children[0].value:
            visit(n.children[0], scale * n.value / n.children[0].value)
        else:
            scored = [c for c in n.children if c.kind not in ("param", "idf", "tf", "norm")]
            if len(scored) == 1 and scored[0].value:
                visit(scored[0], scale * n.value / scored[0].value)
            else:
                label = clause_label(n)
                out[label] = Contribution(label, n.value * scale, n.field, n.term)

    visit(node, 1.0)
    return sorted(out.values(), key=lambda c: -c.value)


@dataclass(frozen=True)
class ClauseDiff:
    label: str
    a: float
    b: float

    @property
    def delta(self) -> float:
        return self.a - self.b


def compare(a: ExplainNode, b: ExplainNode) -> list[ClauseDiff]:
    """Clause by clause, why doc A scores differently from doc B (biggest difference first)."""
    ca = {c.label: c.value for c in contributions(a)}
    cb = {c.label: c.value for c in contributions(b)}
    labels = list(dict.fromkeys([*ca, *cb]))
    diffs = [ClauseDiff(label, ca.get(label, 0.0), cb.get(label, 0.0)) for label in labels]
    return sorted(diffs, key=lambda d: -abs(d.delta))


def summarize(trees: Iterable[ExplainNode | None]) -> list[Contribution]:
    """Total contribution of each clause over many docs (e.g. the top N of a query)."""
    totals: dict[str, Contribution] = {}
    for tree in trees:
        if tree is None:
            continue
        for c in contributions(tree):
            prev = totals.get(c.label)
            totals[c.label] = Contribution(
                c.label, c.value + (prev.value if prev else 0.0), c.field, c.term
            )
    return sorted(totals.values(), key=lambda c: -c.value)


# --- Lucene explain (Solr structured debug explain, Elasticsearch/OpenSearch _explanation) ----

_WEIGHT = re.compile(r"^weight\((.*) in \d+\)")
_FIELD_TERM = re.compile(r"^([\w.@-]+):(.*)$")
_SYNONYM = re.compile(r"^Synonym\(([\w.@-]+):")

_LUCENE_KINDS: tuple[tuple[str, str], ...] = (
    ("sum of", "sum"),
    ("max of", "max"),
    ("max plus", "max"),
    ("product of", "product"),
    ("score(", "product"),
    ("idf", "idf"),
    ("tf,", "tf"),
    ("tf(", "tf"),
    ("termFreq", "param"),
    ("fieldNorm", "norm"),
    ("queryNorm", "norm"),
    ("coord(", "coord"),
    ("boost", "param"),
    ("FunctionQuery", "function"),
    ("function score", "function"),
    ("script score", "function"),
    ("min of", "product"),
    ("ConstantScore", "const"),
    ("MatchAllDocsQuery", "const"),
    ("*:*", "const"),
    ("freq", "param"),
    ("k1", "param"),
    ("b,", "param"),
    ("dl,", "param"),
    ("avgdl", "param"),
    ("n,", "param"),
    ("N,", "param"),
)


def _lucene_kind(description: str) -> tuple[str, str | None, str | None]:
    m = _WEIGHT.match(description)
    if m:
        inner = m.group(1)
        syn = _SYNONYM.match(inner)
        if syn:
            return "term", syn.group(1), inner
        ft = _FIELD_TERM.match(inner)
        if ft:
            term = ft.group(2)
            kind = "phrase" if term.startswith('"') else "term"
            return kind, ft.group(1), term.strip('"')
        return "term", None, inner
    for prefix, kind in _LUCENE_KINDS:
        if description.startswith(prefix):
            return kind, None, None
    return "other", None, None


def parse_lucene_explain(data: Mapping[str, Any]) -> ExplainNode:
    """A Lucene explanation as JSON (``value``, ``description``, ``details``) → ExplainNode."""
    description = str(data.get("description", "")).strip()
    kind, field, term = _lucene_kind(description)
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
