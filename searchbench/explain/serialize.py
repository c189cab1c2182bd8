"""The analyses as JSON (``?format=json`` on every explain page): for scripts, CI and charts
drawn elsewhere. Numbers are plain floats; clause keys are the same in every doc of a query."""

from __future__ import annotations

from typing import Any

from searchbench.domain.explain_analysis import Breakdown, Clause, Comparison, Summary


def clause(c: Clause) -> dict[str, Any]:
    return {
        "key": c.key,
        "label": c.label,
        "kind": c.kind,
        "field": c.field,
        "term": c.term,
        "contribution": c.contribution,
        "score": c.score,
        "weight": c.weight,
        "similarity": c.similarity,
        "factors": {f.name: f.value for f in c.factors},
    }


def breakdown(bd: Breakdown) -> dict[str, Any]:
    return {
        "total": bd.total,
        "unexplained": bd.unexplained,
        "clauses": [clause(c) for c in bd.clauses],
        "by_field": bd.by_field(),
    }


def comparison(cmp: Comparison, a_id: str, b_id: str, headline: str) -> dict[str, Any]:
    return {
        "a": {"id": a_id, "score": cmp.a_total},
        "b": {"id": b_id, "score": cmp.b_total},
        "gap": cmp.gap,
        "unexplained": cmp.unexplained,
        "headline": headline,
        "rows": [
            {
                "key": r.key,
                "label": r.label,
                "kind": r.kind,
                "a": r.a_value,
                "b": r.b_value,
                "delta": r.delta,
                "reasons": list(r.reasons),
            }
            for r in cmp.rows
        ],
    }


def summary(s: Summary, doc_ids: list[str]) -> dict[str, Any]:
    return {
        "docs": doc_ids,
        "doc_scores": list(s.doc_totals),
        "skipped": s.skipped,
        "total": s.total,
        "clauses": [
            {
                "key": c.key,
                "label": c.label,
                "kind": c.kind,
                "field": c.field,
                "total": c.total,
                "mean": c.mean,
                "matched": c.matched,
                "share": s.share(c),
                "per_doc": list(c.per_doc),
            }
            for c in s.shares
        ],
    }
