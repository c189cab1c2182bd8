"""The scorer editor's "test on this query": a custom scorer's code run on one query's current
results and ratings, by the path a run takes (``services.search_query``: the case's current try
on its endpoint, no explanations, scored by the loop in the JavaScript sandbox). Nothing is
recorded. Who may ask is the view's business (``services.may_search``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from searchbench.cases import services
from searchbench.cases.models import Query
from searchbench.domain.scoring import ScorerRef

# ScorerError and JsError end their text with the line of the user's code when they know it.
_LINE = re.compile(r"\(line (\d+)\)$")
CASES_OFFERED = 20  # the newest cases whose queries the editor offers
QUERIES_PER_CASE = 100

EXAMPLE = """\
// Average precision at 10, written against the scorer API.
// For each relevant doc (rated above 0) in the top 10, take the precision
// at its rank; add them up and divide by how many docs of the query are
// rated relevant at all, returned or not (0 when none is).
const depth = Math.min(10, numReturned());
let hits = 0;
let sum = 0;
for (let rank = 0; rank < depth; rank++) {
  if (hasDocRating(rank) && docRating(rank) > 0) {
    hits += 1;
    sum += hits / (rank + 1);
  }
}
let relevant = 0;
eachDocWithRating(function (rated) {
  if (rated.rating > 0) relevant += 1;
});
setScore(relevant > 0 ? sum / relevant : 0);
"""


@dataclass(frozen=True)
class Trial:
    query: Query
    score: float | None
    error: str | None
    line: int | None  # of the user's code, when the error names one
    returned: int
    rated: int


def run(query: Query, code: str, name: str = "js:custom") -> Trial:
    """Search ``query`` (its case's current try) and score it with ``code``."""
    try:
        outcome = services.search_query(
            query.case, query, explain=False, scorer=ScorerRef.javascript(code, name or "js:custom")
        )
    except services.ServiceError as exc:
        return Trial(query, None, str(exc), None, 0, 0)
    line = None
    if outcome.error:
        found = _LINE.search(outcome.error)
        line = int(found.group(1)) if found else None
    return Trial(
        query,
        outcome.score if not outcome.error else None,
        outcome.error,
        line,
        len(outcome.docs),
        len(outcome.query.ratings),
    )


def offered_queries(user: AbstractBaseUser | AnonymousUser) -> list[tuple[str, list[Query]]]:
    """The queries the editor offers to test on: of the newest cases the user may search
    (those they may change), the first ones of each, grouped by case name."""
    cases = list(
        services.readable_cases(user)
        .filter(archived=False)
        .order_by("-updated_at")[: CASES_OFFERED * 2]
    )
    cases = [c for c in cases if services.may_search(user, c)][:CASES_OFFERED]
    groups = []
    for case in cases:
        queries = list(case.queries.order_by("position", "pk")[:QUERIES_PER_CASE])
        if queries:
            groups.append((case.name, queries))
    return groups
