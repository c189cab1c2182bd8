"""Quepid custom scorers: the user's JavaScript, unchanged, in the sandbox with Quepid's API."""

from __future__ import annotations

import math
from importlib import resources
from typing import Any

from searchbench.domain.jsbox import (
    DEFAULT_MEMORY_LIMIT_MB,
    DEFAULT_TIME_LIMIT_MS,
    JsBox,
    JsError,
)
from searchbench.domain.scorers.base import ScorerError, ScoringInput, finalize

# The names a Quepid scorer can use, passed as parameters in this order (see quepid_api.js).
API_NAMES = (
    "query", "total", "docs", "bestDocs", "mode", "options", "max", "docAt", "docExistsAt",
    "ratedDocAt", "ratedDocExistsAt", "hasDocRating", "docRating", "numFound", "numReturned",
    "avgRating", "avgRating100", "editDistanceFromBest", "eachDoc", "eachRatedDoc",
    "refreshRatedDocs", "eachDocWithRatingEqualTo", "eachDocWithRating", "topRatings", "qOption",
    "recordDepthOfRanking", "pass", "fail", "setScore", "assert", "assertOrScore",
)  # fmt: skip

_ENTRY = "__quepid_scorer"
# Trusted lines around the user's code; the block lets `const max = …` shadow a parameter.
_HEADER = f"function {_ENTRY}({', '.join(API_NAMES)}) {{\n{{\n"
_FOOTER = "\n}\nif (typeof k !== 'undefined') { recordDepthOfRanking(k); }\n}\n"


def _prelude() -> str:
    return resources.files(__package__).joinpath("quepid_api.js").read_text(encoding="utf-8")


class JsScorer:
    """A Quepid custom scorer. ``score()`` raises :class:`ScorerError` naming the user's line."""

    def __init__(
        self,
        code: str,
        time_limit_ms: int = DEFAULT_TIME_LIMIT_MS,
        memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
        *,
        name: str = "js:custom",
        scale: list[float] | None = None,
        labels: dict[float, str] | None = None,
    ) -> None:
        self.name = name
        self.code = code
        self.scale = list(scale) if scale else [0.0, 1.0, 2.0, 3.0]
        self.labels = dict(labels) if labels else {}
        self.depth: int | None = None  # the scorer's `k`, when it declares one
        try:
            self._box = JsBox(
                code,
                [_ENTRY],
                prelude=_prelude(),
                header=_HEADER,
                footer=_FOOTER,
                time_limit_ms=time_limit_ms,
                memory_limit_mb=memory_limit_mb,
            )
        except JsError as exc:
            raise ScorerError(
                f"scorer code does not compile: {exc.message}", line=exc.line
            ) from None

    def close(self) -> None:
        self._box.close()

    def score(self, inp: ScoringInput) -> float | None:
        try:
            outcome = self._box.call(_ENTRY, [self._payload(inp)], via="__quepid_score")
        except JsError as exc:
            raise ScorerError(f"scorer failed: {exc.message}", line=exc.line) from None
        depth = outcome.get("depth")
        if isinstance(depth, int | float) and not isinstance(depth, bool):
            self.depth = int(depth)
        state, value, kind = outcome["state"], outcome["value"], outcome["type"]
        if state == "fail":
            return 0.0
        if state == "none" or kind == "null":
            return None
        if kind != "number":
            raise ScorerError(f"setScore() got a {kind} ({value!r}), not a number")
        return finalize(float(value) if not isinstance(value, str) else _nonfinite(value))

    def _payload(self, inp: ScoringInput) -> dict[str, Any]:
        ratings = inp.all_ratings()
        docs = []
        for i, doc in enumerate(inp.docs):
            docs.append({"id": doc.id, "fields": doc.fields, "rating": inp.rating_of(i)})
        best = sorted(ratings.items(), key=lambda item: (-item[1], item[0]))
        returned = {doc.id: doc for doc in inp.docs}
        # Quepid fetches the rated docs from the engine; we have the returned ones with fields
        # (in rank order) and the rest by rating.
        rated_docs: list[dict[str, Any]] = []
        for doc in inp.docs:
            if doc.id in ratings:
                rated_docs.append({**doc.fields, "id": doc.id, "rating": ratings[doc.id]})
        for docid, rating in best:
            if docid not in returned:
                rated_docs.append({"id": docid, "rating": rating})
        return {
            "scale": self.scale,
            "numFound": inp.num_found,
            "options": inp.options,
            "queryId": None,
            "queryText": None,
            "docs": docs,
            "bestDocs": [{"id": docid, "rating": rating} for docid, rating in best],
            "ratedDocs": rated_docs,
        }


def _nonfinite(text: str) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(text, math.nan)
