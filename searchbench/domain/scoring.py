"""Case scoring: one entry point from ranked results + ratings to per-query and case scores.

A scorer is named once and parsed once into a :class:`ScorerRef` (``ScorerRef.parse`` for a
name, ``ScorerRef.javascript`` for code); ``score_case`` dispatches on its kind:

- ``quepid``, e.g. ``quepid:nDCG@10``: Quepid's client-side scorers, one query at a time;
- ``js``: a custom JavaScript scorer (Quepid's scorer API) run in the sandbox, given as code;
- ``measure``: a measure name for ``metrics.evaluate`` (``nDCG@10``, ``map``, ``P_10``, ...),
  computed with trec_eval's rules over the engine's order: the doc at 0-based rank i gets the
  score ``len(docs) - i``. ``ranked_run`` gives exactly that run, so a TREC run file written
  from it re-evaluates (``searchbench eval -c``) to the same numbers.

The case score is the mean over every query given in ``results`` (:func:`case_mean`); a query
with no ratings scores 0 (it is still a query of the case), as does one with no results. A case
may leave its unrated queries out of the mean instead (``UNRATED_RULES``). Scorer failures on one query
(a JavaScript exception) are recorded in ``CaseScore.errors`` and score 0, so a run goes on.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

QUEPID_PREFIX = "quepid:"
JS_PREFIX = "js:"


class InvalidScorerError(ValueError):
    """A scorer that cannot score: an unknown name, or JavaScript that does not compile."""


class UnknownScorerError(InvalidScorerError):
    """A scorer or measure name nobody knows."""


@dataclass(frozen=True)
class ScorerRef:
    """A scorer, parsed once: a measure, one of Quepid's scorers, or JavaScript code.

    ``name`` is what people see ("nDCG@10", "quepid:AP@10", "js:scorers/mine.js", a custom
    scorer's name); ``code`` is the JavaScript of a ``js`` scorer (never carried in a name).
    """

    kind: str  # "measure" | "quepid" | "js"
    name: str
    code: str = field(default="", repr=False)

    @classmethod
    def parse(cls, name: str, *, check: bool = True) -> ScorerRef:
        """A built-in scorer by name; InvalidScorerError (with a did-you-mean) when unknown.
        ``check=False`` for a stored name, which fails when it scores instead (a scorer removed
        by an upgrade is then an error on each query, not on every page)."""
        name = name.strip()
        if name.startswith(JS_PREFIX):
            raise InvalidScorerError(
                f"{name[:40]!r}: a JavaScript scorer is given as code (a file or a custom "
                "scorer), not as a name"
            )
        ref = cls("quepid" if name.startswith(QUEPID_PREFIX) else "measure", name)
        if check:
            ref.check()
        return ref

    @classmethod
    def javascript(cls, code: str, name: str = "js:custom") -> ScorerRef:
        return cls("js", name, code)

    def check(self) -> None:
        """Raise InvalidScorerError unless this can score a case (UnknownScorerError, with a
        did-you-mean, for a name nobody knows; the compile error for broken JavaScript)."""
        if self.kind == "js":
            _check_js(self.code)
        elif self.kind == "quepid":
            _check_quepid(self.name)
        else:
            _check_measure(self.name)


def parse_scorer_option(text: str, base: Path | None = None) -> ScorerRef:
    """A scorer as the command line names it: a measure, ``quepid:NAME@k``, or ``js:FILE`` (the
    JavaScript read from FILE, relative to ``base``); InvalidScorerError when it cannot score."""
    text = text.strip()
    if text.startswith(JS_PREFIX):
        path = Path(text[len(JS_PREFIX) :])
        path = path if path.is_absolute() or base is None else base / path
        try:
            code = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidScorerError(f"{text}: cannot read {path}: {exc}") from None
        ref = ScorerRef.javascript(code, text)
        ref.check()
        return ref
    return ScorerRef.parse(text)


def parse_measures_and_scorers(
    names: Sequence[str], base: Path | None = None
) -> tuple[list[Any], list[ScorerRef]]:
    """Command-line names split into trec_eval measures (MeasureSpec, computed the trec_eval
    way) and the other scorers a case takes (``quepid:AP@10``, ``js:FILE``); InvalidScorerError
    names the problem (the measure parser's did-you-mean, or the scorer's)."""
    from searchbench.domain.metrics import UnknownMeasure, parse_measures

    measures: list[str] = []
    scorers: list[ScorerRef] = []
    for name in names:
        try:
            parse_measures([name])
            measures.append(name)
        except UnknownMeasure:
            scorers.append(parse_scorer_option(name, base))
    # Parsed together: a measure's parameters given twice (a group, then -m NAME.params) merge.
    return (parse_measures(measures) if measures else []), scorers


def as_ref(scorer: ScorerRef | str) -> ScorerRef:
    return scorer if isinstance(scorer, ScorerRef) else ScorerRef.parse(scorer)


class HasId(Protocol):
    @property
    def id(self) -> str: ...


@dataclass
class CaseScore:
    scorer: str
    score: float
    per_query: dict[str, float]
    errors: dict[str, str] = field(default_factory=dict)


def _quepid_names() -> list[str]:
    from searchbench.domain.scorers import SCORERS

    return [str(n) for n in SCORERS]


def _measure_names() -> list[str]:
    from searchbench.domain.metrics import MEASURES

    return [str(n) for n in MEASURES]


def scorer_names() -> list[str]:
    """Every built-in scorer name (Quepid's, then the measures), for help texts and the UI."""
    return _quepid_names() + _measure_names()


def check_scorer(name: str) -> None:
    """Raise InvalidScorerError unless ``name`` names a built-in scorer or measure."""
    ScorerRef.parse(name)


def _check_js(code: str) -> None:
    if not code.strip():
        raise InvalidScorerError("a JavaScript scorer needs code")
    from searchbench.domain.scorers import JsScorer, ScorerError

    try:
        JsScorer(code).close()  # compiles it: a syntax error is found before any query runs
    except ScorerError as exc:
        raise InvalidScorerError(str(exc)) from None


def _check_quepid(name: str) -> None:
    from searchbench.domain.scorers import UnknownScorer, get_scorer

    try:
        get_scorer(name)
    except UnknownScorer as exc:
        names = _quepid_names()
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownScorerError(
            f"unknown scorer {name!r}{hint}; Quepid scorers: {', '.join(names)}"
        ) from exc


def _check_measure(name: str) -> None:
    from searchbench.domain.metrics import UnknownMeasure, parse_measure

    try:
        parse_measure(name)
    except (UnknownMeasure, ValueError) as exc:  # ValueError: bad parameters, e.g. P@x
        # The measure parser names the problem and suggests measures; Quepid names are the
        # other family a user may have meant.
        raise UnknownScorerError(f"{exc} (Quepid scorers are named quepid:NAME@k)") from exc


def ranked_run(results: Mapping[str, Sequence[HasId]]) -> dict[str, list[tuple[str, float]]]:
    """Each query's docs as (docid, score) with score ``len(docs) - i``, duplicates dropped.

    An engine may return the same id twice (grouping, a bad index); trec_eval rejects a docno
    twice in a topic, so only the first (best-ranked) occurrence is kept, here and in exports.
    """
    run: dict[str, list[tuple[str, float]]] = {}
    for qid, docs in results.items():
        seen: set[str] = set()
        ids: list[str] = []
        for doc in docs:
            if doc.id not in seen:
                seen.add(doc.id)
                ids.append(doc.id)
        run[qid] = [(doc_id, float(len(ids) - i)) for i, doc_id in enumerate(ids)]
    return run


def _clean(value: float | None) -> float:
    # Quepid shows NaN or a missing score as 0 and clamps negatives to 0.
    if value is None or not math.isfinite(value) or value < 0:
        return 0.0
    return float(value)


def _qrel_value(rating: float) -> int:
    # trec_eval grades are integers; a fractional rating is truncated, as Quepid truncates
    # ratings for its ideal list.
    return int(rating)


# How a case counts its unrated queries (queries with no rating at all), a setting of each case:
# Quepid's rule, where an unrated query scores 0 and is in the mean, so adding queries lowers the
# score until they are rated; or leaving them out of the mean, so the score is over what was rated.
UNRATED_COUNT_ZERO = "count_zero"
UNRATED_LEAVE_OUT = "leave_out"
UNRATED_RULES = {
    UNRATED_COUNT_ZERO: "unrated count as 0",
    UNRATED_LEAVE_OUT: "unrated left out",
}


def check_unrated_rule(rule: str) -> str:
    if rule not in UNRATED_RULES:
        raise ValueError(f"unrated rule {rule!r}: one of {', '.join(UNRATED_RULES)}")
    return rule


def case_mean(
    per_query: Mapping[str, float],
    keys: Iterable[str],
    *,
    unrated: Collection[str] = (),
    rule: str = UNRATED_COUNT_ZERO,
) -> float:
    """The case score, one rule for every door: the mean over the queries in ``keys``, where a
    query with no score in ``per_query`` (it failed at the engine or in the scorer) counts 0, so
    a broken engine can never raise a case score. ``unrated`` names the queries with no rating:
    with ``rule`` UNRATED_COUNT_ZERO (Quepid's) they are in the mean with 0, so adding unrated
    queries lowers it; with UNRATED_LEAVE_OUT they are not in it at all. No query counted: 0, so
    that a new case shows a number."""
    counted = list(keys)
    left_out = 0
    if check_unrated_rule(rule) == UNRATED_LEAVE_OUT and unrated:
        kept = [key for key in counted if key not in unrated]
        left_out, counted = len(counted) - len(kept), kept
    total = sum(per_query.get(key, 0.0) for key in counted)
    return case_mean_from_total(total, len(counted) + left_out, unrated=left_out, rule=rule)


def case_mean_from_total(
    total: float, queries: int, *, unrated: int = 0, rule: str = UNRATED_COUNT_ZERO
) -> float:
    """:func:`case_mean` from its parts, for a caller that holds the scores as arrays
    (cases/history.py): ``total`` is the sum of the scored queries' scores, ``queries`` how many
    queries the case has, ``unrated`` how many of them have no rating. A failed or unscored query
    is in the count and not in the total, so it counts 0; an unrated query scores 0 with every
    scorer, so ``total`` is the same with or without it, and ``rule`` decides whether it is
    counted."""
    counted = queries - unrated if check_unrated_rule(rule) == UNRATED_LEAVE_OUT else queries
    return total / counted if counted > 0 else 0.0


def score_case(
    scorer: ScorerRef | str,
    results: Mapping[str, Sequence[Any]],
    ratings: Mapping[str, Mapping[str, float]],
    num_found: Mapping[str, int] | None = None,
    options: Mapping[str, Any] | None = None,
) -> CaseScore:
    """Score every query in ``results`` (RankedDoc lists in rank order) with one scorer."""
    return score_case_many([scorer], results, ratings, num_found, options)[scorer]


def score_case_many(
    scorers: Sequence[ScorerRef | str],
    results: Mapping[str, Sequence[Any]],
    ratings: Mapping[str, Mapping[str, float]],
    num_found: Mapping[str, int] | None = None,
    options: Mapping[str, Any] | None = None,
) -> dict[Any, CaseScore]:
    """Like score_case for several scorers (keyed as given); measures share one evaluation."""
    refs = {s: as_ref(s) for s in scorers}
    measures = list(dict.fromkeys(r.name for r in refs.values() if r.kind == "measure"))
    by_measure = _score_measures(measures, results, ratings) if measures else {}
    out: dict[Any, CaseScore] = {}
    for s, ref in refs.items():
        if ref.kind == "measure":
            out[s] = by_measure[ref.name]
        else:
            out[s] = _score_per_query(ref, results, ratings, num_found or {}, options or {})
    return out


def score_run(
    scorers: Sequence[ScorerRef | str],
    qrels: Mapping[str, Mapping[str, float]],
    run: Mapping[str, Mapping[str, float]],
    complete: bool = False,
) -> dict[Any, CaseScore]:
    """Score a TREC run against qrels with any scorer a case takes (``searchbench eval`` and
    ``compare``): each query's docs ranked by score, ties by docno descending, as trec_eval
    does; the queries in both, or with ``complete`` every query of the qrels (missing: no docs)."""
    qids = [q for q in qrels if complete or q in run]
    results = {
        q: [_Doc(d) for d, _ in sorted((run.get(q) or {}).items(), key=_by_score, reverse=True)]
        for q in qids
    }
    return score_case_many(scorers, results, {q: qrels[q] for q in qids})


@dataclass(frozen=True)
class _Doc:
    id: str


def _by_score(item: tuple[str, float]) -> tuple[float, str]:
    return item[1], item[0]  # reversed: score descending, then docno descending


def _score_measures(
    measures: Sequence[str],
    results: Mapping[str, Sequence[Any]],
    ratings: Mapping[str, Mapping[str, float]],
) -> dict[str, CaseScore]:
    from searchbench.domain.metrics import evaluate

    for m in measures:
        check_scorer(m)
    qids = list(results)
    qrels = {
        q: {doc: _qrel_value(r) for doc, r in ratings[q].items()} for q in qids if ratings.get(q)
    }
    run = {q: dict(docs) for q, docs in ranked_run(results).items() if docs and q in qrels}
    per_measure: dict[str, dict[str, float]] = {m: {} for m in measures}
    if qrels:
        # complete=True: a rated query with no results scores 0 instead of vanishing.
        ev = evaluate(qrels, run, list(measures), rel_level=1, complete=True)
        for m in measures:
            per_measure[m] = {q: float(v) for q, v in ev.per_query[m].items()}
    scores: dict[str, CaseScore] = {}
    for m in measures:
        per_query = {q: per_measure[m].get(q, 0.0) for q in qids}
        scores[m] = CaseScore(m, case_mean(per_query, qids), per_query)
    return scores


def _score_per_query(
    ref: ScorerRef,
    results: Mapping[str, Sequence[Any]],
    ratings: Mapping[str, Mapping[str, float]],
    num_found: Mapping[str, int],
    options: Mapping[str, Any],
) -> CaseScore:
    scorer: Any
    recoverable: tuple[type[Exception], ...] = ()
    if ref.kind == "js":
        from searchbench.domain.scorers import JsScorer, ScorerError

        scorer = JsScorer(ref.code, name=ref.name)
        recoverable = (ScorerError,)
    else:
        from searchbench.domain.scorers import get_scorer

        ref.check()
        scorer = get_scorer(ref.name)
    try:
        return _score_queries(ref.name, scorer, recoverable, results, ratings, num_found, options)
    finally:
        if hasattr(scorer, "close"):
            scorer.close()  # a JS scorer holds a V8 isolate


def _score_queries(
    name: str,
    scorer: Any,
    recoverable: tuple[type[Exception], ...],
    results: Mapping[str, Sequence[Any]],
    ratings: Mapping[str, Mapping[str, float]],
    num_found: Mapping[str, int],
    options: Mapping[str, Any],
) -> CaseScore:
    from searchbench.domain.scorers import RankedDoc, ScoringInput

    per_query: dict[str, float] = {}
    errors: dict[str, str] = {}
    for qid, docs in results.items():
        q_ratings = {doc: float(r) for doc, r in (ratings.get(qid) or {}).items()}
        if not q_ratings:
            per_query[qid] = 0.0
            continue
        ranked = [
            RankedDoc(
                id=d.id,
                fields=dict(getattr(d, "fields", {}) or {}),
                rating=q_ratings.get(d.id, getattr(d, "rating", None)),
            )
            for d in docs
        ]
        inp = ScoringInput(
            docs=ranked,
            ratings=q_ratings,
            num_found=int(num_found.get(qid, len(ranked))),
            options=dict(options),
        )
        try:
            per_query[qid] = _clean(scorer.score(inp))
        except recoverable as exc:  # a user's JavaScript may fail on one query: record, go on
            errors[qid] = str(exc)
            per_query[qid] = 0.0
    return CaseScore(name, case_mean(per_query, results), per_query, errors)
