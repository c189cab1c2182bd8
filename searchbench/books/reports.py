"""A book's agreement numbers and an LLM judge's calibration report, read from its judgements:
the one place the pages (and any later door) get them from. The numbers themselves are the pure
domain's (domain/agreement.py, domain/calibration.py); this module only reads rows.

Raters are named for people: a user by user name, an LLM judge by its name, an imported rater by
e-mail (two raters with the same name get their key added). "Can't rate" is a missing value;
"later" is no judgement at all.

A judge's effect on a case is measured on the stored results of each try of every case the book
is synced into: the newest snapshot taken with the try. A try without a snapshot is left out
and named, so the page can say what to do (take a snapshot).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from searchbench.books import services
from searchbench.books.models import Book, Judge, Judgement
from searchbench.cases.models import Case, Snapshot, SnapshotDoc, SnapshotQuery, Try
from searchbench.domain import agreement as agreement_numbers
from searchbench.domain import calibration
from searchbench.domain.agreement import RatingMatrix
from searchbench.domain.scorers import ScorerError
from searchbench.domain.scoring import InvalidScorerError

State = Judgement.State
Row = tuple[tuple[str, str], str, float | None]  # ((query, doc), rater key, rating or None)


def _rows(book: Book) -> list[tuple[str, str, str, float | None]]:
    """(query, doc, rater key, rating or None) of every answer in the book (not "later")."""
    return list(
        Judgement.objects.filter(pair__book=book, state__in=(State.RATED, State.CANT_RATE))
        .order_by("pair_id", "rater_key")
        .values_list("pair__query_text", "pair__doc_id", "rater_key", "rating")
    )


def rater_names(book: Book) -> dict[str, str]:
    """rater key → the name pages show, unique within the book."""
    found = (
        Judgement.objects.filter(pair__book=book)
        .values_list("rater_key", "rater__username", "judge__name", "rater_email")
        .distinct()
    )
    names: dict[str, str] = {}
    for key, username, judge_name, email in found:
        names[key] = username or judge_name or email or key
    taken: dict[str, int] = {}
    for name in names.values():
        taken[name] = taken.get(name, 0) + 1
    return {key: name if taken[name] == 1 else f"{name} ({key})" for key, name in names.items()}


def book_scale(book: Book) -> tuple[float, ...] | None:
    """The book's scale; None for a book without one (the numbers then take every integer from
    the lowest rating seen to the highest)."""
    return tuple(sorted(float(g) for g in book.scale)) if book.scale else None


@dataclass(frozen=True)
class BookAgreement:
    numbers: agreement_numbers.Agreement  # raters named as rater_names says
    keys: dict[str, str]  # shown name → rater key
    judges: list[Judge]  # the LLM judges with judgements here (each has a calibration page)


def book_agreement(book: Book) -> BookAgreement:
    """Agreement between every rater of the book, people and LLM judges alike. AgreementError
    when a stored rating is off the book's scale (the scale was changed after judging)."""
    rows = _rows(book)
    names = rater_names(book)
    matrix = RatingMatrix.from_ratings(
        (((q, d), names[key], rating) for q, d, key, rating in rows), book_scale(book)
    )
    judge_ids = sorted(
        {int(key[1:]) for _, _, key, _ in rows if key.startswith(services.JUDGE_KEY_PREFIX)}
    )
    return BookAgreement(
        numbers=agreement_numbers.agreement(matrix),
        keys={name: key for key, name in names.items()},
        judges=list(Judge.objects.filter(pk__in=judge_ids).order_by("name", "id")),
    )


# --- calibration ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseEffect:
    case: Case
    effect: calibration.ScoreEffect | None  # None: no try of the case has a snapshot
    without_snapshot: list[Try] = field(default_factory=list)
    error: str = ""  # the scorer failed (broken JavaScript, a scorer removed by an upgrade)


@dataclass(frozen=True)
class Calibration:
    judge: Judge
    scale: tuple[float, ...]
    rule: str
    humans: list[str]  # the human raters' names
    agreement: calibration.Agreement
    cases: list[CaseEffect]


def has_judged(book: Book, judge: Judge) -> bool:
    return Judgement.objects.filter(
        pair__book=book, rater_key=services.rater_key(judge=judge)
    ).exists()


def judge_calibration(book: Book, judge: Judge, cases: Iterable[Case] | None = None) -> Calibration:
    """The judge against the book's human raters, and its effect on ``cases`` (default: every
    case of the book; a page passes those its reader may read)."""
    rows = _rows(book)
    names = rater_names(book)
    mine = services.rater_key(judge=judge)
    human = [
        ((q, d), names[key], r)
        for q, d, key, r in rows
        if not key.startswith(services.JUDGE_KEY_PREFIX)
    ]
    judged = {(q, d): r for q, d, key, r in rows if key == mine}
    compared = calibration.agreement(human, judged, rule=book.aggregation, scale=book_scale(book))
    return Calibration(
        judge=judge,
        scale=compared.scale,
        rule=book.get_aggregation_display(),
        humans=sorted({name for _, name, _ in human}),
        agreement=compared,
        cases=[
            _case_effect(case, compared)
            for case in (book.cases.order_by("name", "id") if cases is None else cases)
        ],
    )


def _case_effect(case: Case, compared: calibration.Agreement) -> CaseEffect:
    tries = list(case.tries.order_by("number"))
    newest: dict[int, Snapshot] = {}
    for snapshot in Snapshot.objects.filter(case=case, try_ref__isnull=False).order_by(
        "-created_at", "-id"
    ):
        newest.setdefault(snapshot.try_ref_id, snapshot)
    with_snapshot = [t for t in tries if t.pk in newest]
    missing = [t for t in tries if t.pk not in newest]
    if not with_snapshot:
        return CaseEffect(case, None, missing)
    rankings = _rankings([(t, newest[t.pk]) for t in with_snapshot])
    try:
        effect = calibration.score_effect(
            case.scorer.ref, rankings, compared, options=case.options or {}
        )
    except (ScorerError, InvalidScorerError) as exc:
        return CaseEffect(case, None, missing, error=str(exc))
    return CaseEffect(case, effect, missing)


def try_label(tried: Try) -> str:
    return f"try {tried.number}" + (f" {tried.name}" if tried.name else "")


def _rankings(chosen: list[tuple[Try, Snapshot]]) -> list[calibration.Ranking]:
    """Each try's snapshot as a ranking: its queries' doc ids by position, and num_found."""
    snapshot_ids = [s.pk for _, s in chosen]
    docs: dict[int, dict[str, list[str]]] = {pk: {} for pk in snapshot_ids}
    found: dict[int, dict[str, int]] = {pk: {} for pk in snapshot_ids}
    for snapshot_id, text, total in SnapshotQuery.objects.filter(
        snapshot_id__in=snapshot_ids
    ).values_list("snapshot_id", "query_text", "num_results"):
        docs[snapshot_id].setdefault(text, [])
        found[snapshot_id][text] = total
    for snapshot_id, text, doc_id in (
        SnapshotDoc.objects.filter(snapshot_query__snapshot_id__in=snapshot_ids)
        .order_by("snapshot_query_id", "position")
        .values_list("snapshot_query__snapshot_id", "snapshot_query__query_text", "doc_id")
    ):
        docs[snapshot_id][text].append(doc_id)
    return [calibration.Ranking(try_label(t), docs[s.pk], found[s.pk]) for t, s in chosen]
