"""Where the explain trees come from: a fresh search of the case's current try (through the cases
service layer), or a snapshot's stored explain JSON. Views call these and render; nothing here
knows about HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404

from searchbench.cases import services
from searchbench.cases.models import Case, Query, Rating, Snapshot, SnapshotQuery, Try
from searchbench.domain.explain_analysis import (
    ExplainFormatError,
    TreeRow,
    breakdown,
    tree_from_json,
    tree_rows,
)
from searchbench.domain.search import ExplainNode
from searchbench.web.ids import parse_id


@dataclass
class ExplainedDoc:
    id: str
    position: int  # 0-based rank
    title: str
    score: float | None
    tree: ExplainNode | None
    rating: float | None = None
    problem: str | None = None  # why there is no tree (stored JSON unreadable …)

    @property
    def rank(self) -> int:
        return self.position + 1


@dataclass
class ExplainSource:
    label: str  # what the user is looking at: "try 3 on tiny (local)" / "snapshot “before”"
    docs: list[ExplainedDoc] = field(default_factory=list)
    error: str | None = None
    total: int | None = None
    snapshot_id: int | None = None

    @property
    def explained(self) -> list[ExplainedDoc]:
        return [d for d in self.docs if d.tree is not None]

    @property
    def missing_note(self) -> str | None:
        """Why some or all docs have no breakdown, in one sentence (None when all have one)."""
        if self.error or not self.docs:
            return None
        missing = [d for d in self.docs if d.tree is None]
        if not missing:
            return None
        problems = [d for d in missing if d.problem]
        if problems:
            return f"doc {problems[0].id}: {problems[0].problem}"
        if len(missing) == len(self.docs):
            return "this engine returned no score explanation for these results"
        return f"{len(missing)} of {len(self.docs)} docs came without a score explanation"

    def find(self, doc_id: str) -> ExplainedDoc | None:
        return next((d for d in self.docs if d.id == doc_id), None)


def case_for(user: AbstractBaseUser | AnonymousUser, case_id: int) -> Case:
    """The case if the user may read it; 404 otherwise (its existence is not disclosed)."""
    case = services.readable_cases(user).select_related("scorer").filter(pk=case_id).first()
    if case is None:
        raise Http404("No such case")
    return case


def query_for(case: Case, query_id: int) -> Query:
    query = case.queries.filter(pk=query_id).first()
    if query is None:
        raise Http404("No such query")
    return query


def live(case: Case, query: Query, try_: Try | None = None) -> ExplainSource:
    """Search the query again with ``try_`` (the case's current try by default), explain on."""
    try_ = try_ or case.current_try()
    if try_ is None:
        return ExplainSource(label="no try", error=f"case {case.name!r} has no try yet")
    label = f"try {try_.number} on {try_.endpoint.name} ({try_.endpoint.kind})"
    try:
        outcome = services.search_query(case, query, try_)
    except services.ServiceError as exc:
        return ExplainSource(label=label, error=str(exc))
    if outcome.error or outcome.result is None:
        return ExplainSource(label=label, error=outcome.error or "the search did not run")
    ratings = {d.id: d.rating for d in outcome.docs}
    docs = [
        ExplainedDoc(
            id=d.id,
            position=d.position,
            title=d.title or d.id,
            score=d.score,
            tree=d.explain,
            rating=ratings.get(d.id),
        )
        for d in outcome.result.docs
    ]
    return ExplainSource(label=label, docs=docs, total=outcome.result.total)


def snapshot(case: Case, query: Query, snapshot_id: int) -> ExplainSource:
    """The docs a snapshot froze for this query, with the explain JSON it stored."""
    sq = (
        SnapshotQuery.objects.select_related("snapshot")
        .filter(snapshot_id=snapshot_id, snapshot__case=case, query=query)
        .first()
    )
    if sq is None:
        raise Http404("This snapshot has no results for this query")
    label = f"snapshot “{sq.snapshot.name}”"
    if sq.error:
        return ExplainSource(label=label, error=sq.error, snapshot_id=snapshot_id)
    ratings = dict(Rating.objects.filter(query=query).values_list("doc_id", "rating"))
    docs = []
    for row in sq.docs.all():
        tree: ExplainNode | None = None
        problem = None
        if row.explain is not None:
            try:
                tree = tree_from_json(row.explain, where=f"doc {row.doc_id} explain")
            except ExplainFormatError as exc:
                problem = str(exc)
        fields: dict[str, Any] = row.fields or {}
        title = fields.get("title")
        docs.append(
            ExplainedDoc(
                id=row.doc_id,
                position=row.position,
                title=str(title[0] if isinstance(title, list) and title else title or row.doc_id),
                score=tree.value if tree is not None else None,
                tree=tree,
                rating=ratings.get(row.doc_id),
                problem=problem,
            )
        )
    return ExplainSource(label=label, docs=docs, total=sq.num_results, snapshot_id=snapshot_id)


def load(
    case: Case, query: Query, snapshot_id: str | None, *, live_allowed: bool = True
) -> ExplainSource:
    """The snapshot asked for; else a fresh search, or, for a reader who may not search the case
    (``services.may_search``: a public case's outsiders), the newest snapshot that has the query."""
    if snapshot_id:
        number = parse_id(snapshot_id)
        if number is None:
            raise Http404("No such snapshot")
        return snapshot(case, query, number)
    if not live_allowed:
        stored = services.newest_snapshot_query(case, query)
        if stored is None:
            return ExplainSource(
                label="stored results",
                error="no snapshot of this case has this query yet (only its owner and "
                "teammates search it live)",
            )
        return snapshot(case, query, stored.snapshot_id)
    return live(case, query)


def side(case: Case, query: Query, found: Try | Snapshot, *, live_allowed: bool) -> ExplainSource:
    """One side of a comparison (``services.side_of``) for this query: a try searched now with
    explain on (its runs keep scores only), or what a snapshot stored. A side that cannot say is
    a source with an error, so the other side still shows."""
    if isinstance(found, Snapshot):
        try:
            return snapshot(case, query, found.pk)
        except Http404:
            return ExplainSource(
                label=f"snapshot “{found.name}”",
                error="this snapshot has no results for this query",
                snapshot_id=found.pk,
            )
    if not live_allowed:
        return ExplainSource(
            label=f"try {found.number}",
            error="a try is searched live, which only the case's owner and teammates may do",
        )
    return live(case, query, found)


@dataclass
class TreeItem:
    row: TreeRow
    children: list[TreeItem]
    open: bool


def nested_tree(tree: ExplainNode) -> list[TreeItem]:
    """The readable tree for the template: clause nodes and what leads to them start open."""
    rows = tree_rows(tree, breakdown(tree))
    clause_paths = [r.path for r in rows if r.clause is not None]
    root: list[TreeItem] = []
    stack: list[TreeItem] = []
    for row in rows:
        leads_to_clause = any(p[: len(row.path)] == row.path for p in clause_paths)
        item = TreeItem(row=row, children=[], open=leads_to_clause and row.clause is None)
        while stack and stack[-1].row.depth >= row.depth:
            stack.pop()
        (stack[-1].children if stack else root).append(item)
        stack.append(item)
    return root
