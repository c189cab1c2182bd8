"""``{% hot_matches outcome doc.id as hot %}``: a doc's top clauses, for the results list (what
Splainer calls hot matches), from the explain the results page's search already returned."""

from __future__ import annotations

from typing import Any

from django import template

from searchbench.domain.explain_analysis import breakdown

register = template.Library()


@register.simple_tag
def hot_matches(outcome: Any, doc_id: Any, limit: int = 3) -> list[dict[str, Any]]:
    result = getattr(outcome, "result", None)
    docs = getattr(result, "docs", None) or []
    doc = next((d for d in docs if str(d.id) == str(doc_id)), None)
    if doc is None or doc.explain is None:
        return []
    bd = breakdown(doc.explain)
    if not bd.total:
        return []
    return [
        {
            "label": c.label,
            "kind": c.kind,
            "value": c.contribution,
            "pct": round(100 * c.contribution / bd.total),
        }
        for c in bd.clauses[:limit]
        if c.contribution > 0
    ]
