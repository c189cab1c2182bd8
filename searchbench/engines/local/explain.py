"""tantivy's explain JSON → the common ExplainNode tree."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from searchbench.domain.search import ExplainNode

_TERM = re.compile(r'Term=Term\(field=(\d+), type=\w+, "(.*)"\)')
_BOOST = re.compile(r"^Boost x([\d.eE+-]+)")

# description prefix -> kind
_KINDS: tuple[tuple[str, str], ...] = (
    ("BooleanClause", "sum"),
    ("Boost", "boost"),
    ("TermQuery", "term"),
    ("Phrase", "phrase"),
    ("DisjunctionMaxQuery", "max"),
    ("Const", "const"),
    ("AllQuery", "const"),
    ("idf", "idf"),
    ("freq /", "tf"),
    ("(K1+1)", "param"),
    ("freq,", "param"),
    ("k1,", "param"),
    ("b,", "param"),
    ("dl,", "param"),
    ("avgdl,", "param"),
    ("n,", "param"),
    ("N,", "param"),
)


def _kind(description: str) -> str:
    for prefix, kind in _KINDS:
        if description.startswith(prefix):
            return kind
    return "other"


def parse_tantivy_explain(data: Mapping[str, Any], schema_fields: Sequence[str]) -> ExplainNode:
    description = str(data.get("description", ""))
    node = ExplainNode(
        value=float(data.get("value", 0.0)),
        description=description,
        children=[parse_tantivy_explain(c, schema_fields) for c in data.get("details") or []],
        kind=_kind(description),
    )
    for ctx in data.get("context") or []:
        m = _TERM.search(str(ctx))
        if m:
            field_id = int(m.group(1))
            node.field = schema_fields[field_id] if field_id < len(schema_fields) else None
            node.term = m.group(2)
            node.description = f"{description} {node.field}:{node.term}"
    if node.kind == "phrase":
        terms = [c for c in node.children if c.kind == "term"]
        if terms and terms[0].field:
            node.field = terms[0].field
    if node.kind in ("boost", "sum", "phrase") and node.field is None:
        fields = {c.field for c in node.children if c.field}
        if len(fields) == 1 and node.kind != "sum":
            node.field = fields.pop()
    return node
