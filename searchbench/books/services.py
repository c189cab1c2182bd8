"""Books as every door (web, API, CLI, judges) sees them: who may read and change one, and the
one way a judgement is written. They know nothing about HTTP.

Access is the cases' sharing rule (accounts.services.own_or_shared): a book is its owner's and
its teams' members'; there are no public books. Whoever may read a book may judge it and change
it (as a case's teammates may rate and edit it).

A judgement is written by ``record_judgement`` only: one row per (pair, rater) — a later answer
replaces the earlier one — and ``Pair.judged`` (people's ratings and "can't rate", not "later",
not an LLM judge's: the target is of people, whom a judge's answers must not spare a pair that
calibration needs them on) is recounted from the rows in the same transaction, under a lock on the pair, so it is right after
any order of writes from any number of raters.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from searchbench.accounts.services import own_or_shared, owns_or_shares
from searchbench.books.models import Book, Judge, Judgement, Pair
from searchbench.cases.models import Case
from searchbench.cases.services import ServiceError, readable_cases

AnyUser = AbstractBaseUser | AnonymousUser

State = Judgement.State
# The states that count towards a pair's target: an answer, even "can't rate"; "later" is none.
COUNTED = (State.RATED, State.CANT_RATE)
COST_FIELDS = ("prompt_tokens", "completion_tokens", "latency_ms", "prompt_hash")


class BookError(ServiceError):
    """A book change refused (a rating off the scale, no rater...); the message says why."""


# ---------------------------------------------------------------------------------------------
# Access


def readable_books(user: AnyUser) -> QuerySet[Book]:
    """Books the user may see: own, or shared with one of their teams."""
    return own_or_shared(Book.objects.all(), user)


def readable_book(user: AnyUser, book_id: int) -> Book | None:
    """The book if the user may see it; None otherwise (a book's existence is not disclosed)."""
    return readable_books(user).select_related("owner").filter(pk=book_id).first()


def can_read(user: AnyUser, book: Book) -> bool:
    return owns_or_shares(user, book)


def can_write(user: AnyUser, book: Book) -> bool:
    """Judge, populate, change and sync the book: the same people who read it."""
    return owns_or_shares(user, book)


def readable_cases_of(book: Book, user: AnyUser) -> QuerySet[Case]:
    """The book's linked cases that ``user`` may read: a book's readers need not read each of its
    cases, and a page never names, or shows the scores of, one they cannot."""
    return readable_cases(user).filter(pk__in=book.cases.values("pk")).order_by("name", "pk")


# ---------------------------------------------------------------------------------------------
# Judgements


JUDGE_KEY_PREFIX = "j"  # an LLM judge's rater key: j<judge id>


def rater_key(
    *, rater: AnyUser | None = None, judge: Judge | None = None, rater_email: str = ""
) -> str:
    """The rater's key as judgements store it: ``u<id>``, ``j<id>`` or ``e:<email>`` (e-mail
    folded to lower case). Exactly one of the three must be given."""
    given = [x for x in (rater, judge, rater_email.strip()) if x]
    if len(given) != 1:
        raise BookError("a judgement needs exactly one rater: a user, a judge or an e-mail")
    if judge is not None:
        return f"{JUDGE_KEY_PREFIX}{judge.pk}"
    if rater is not None:
        if not rater.is_authenticated:
            raise BookError("an anonymous user cannot judge")
        return f"u{rater.pk}"
    return f"e:{rater_email.strip().lower()}"


def check_judgement_rating(book: Book, state: str, rating: float | None) -> float | None:
    """The rating to store for ``state``: a value on the book's scale when rated, None else."""
    if state not in State.values:
        raise BookError(f"state {state!r} is not one of {', '.join(State.values)}")
    if state != State.RATED:
        if rating is not None:
            raise BookError(f"a judgement in state {state!r} has no rating")
        return None
    if rating is None:
        raise BookError("a rated judgement needs a rating")
    try:
        value = float(rating)
    except (TypeError, ValueError):
        raise BookError(f"rating {rating!r} is not a number") from None
    scale = [float(v) for v in book.scale or []]
    if scale and value not in scale:
        allowed = ", ".join(f"{v:g}" for v in scale)
        raise BookError(f"rating {value:g} is not on the book's scale ({allowed})")
    return value


def record_judgement(
    pair: Pair,
    *,
    rater: AnyUser | None = None,
    judge: Judge | None = None,
    rater_email: str = "",
    state: str = State.RATED,
    rating: float | None = None,
    explanation: str = "",
    **cost: Any,
) -> Judgement:
    """Set one rater's judgement of ``pair`` (insert or replace; one row per pair and rater)
    and keep ``pair.judged`` right. ``cost`` takes an LLM judge's prompt_tokens,
    completion_tokens, latency_ms and prompt_hash. BookError when the rating is not on the
    book's scale, the state is unknown, or there is not exactly one rater."""
    unknown = sorted(set(cost) - set(COST_FIELDS))
    if unknown:
        raise BookError(f"unknown judgement field(s): {', '.join(unknown)}")
    key = rater_key(rater=rater, judge=judge, rater_email=rater_email)
    value = check_judgement_rating(pair.book, state, rating)
    fields = {
        "rater": rater,
        "judge": judge,
        "rater_email": rater_email.strip(),
        "state": state,
        "rating": value,
        "explanation": explanation,
        **{name: cost.get(name, "" if name == "prompt_hash" else None) for name in COST_FIELDS},
    }
    with transaction.atomic():
        # The pair's lock orders the writes on it: the recount below sees every row committed.
        Pair.objects.select_for_update().only("pk").get(pk=pair.pk)
        judgement, _ = Judgement.objects.update_or_create(pair=pair, rater_key=key, defaults=fields)
        pair.judged = recount_judged(Pair.objects.filter(pk=pair.pk))
    return judgement


def remove_judgement(pair: Pair, key: str) -> None:
    """Forget one rater's judgement of ``pair`` (and recount the pair)."""
    with transaction.atomic():
        Pair.objects.select_for_update().only("pk").get(pk=pair.pk)
        Judgement.objects.filter(pair=pair, rater_key=key).delete()
        pair.judged = recount_judged(Pair.objects.filter(pk=pair.pk))


def recount_judged(pairs: QuerySet[Pair]) -> int:
    """Set ``judged`` of ``pairs`` from their judgements (for bulk writers such as imports,
    which insert judgements without ``record_judgement``). Returns the first pair's count (for
    a single pair), 0 when there is none."""
    counted = (
        Judgement.objects.filter(pair=OuterRef("pk"), state__in=COUNTED)
        .exclude(rater_key__startswith=JUDGE_KEY_PREFIX)
        .order_by()
        .values("pair")
        .annotate(n=Count("pk"))
        .values("n")
    )
    pairs.update(judged=Coalesce(Subquery(counted), 0))
    return pairs.values_list("judged", flat=True).first() or 0


def pairs_needing(book: Book) -> QuerySet[Pair]:
    """The book's pairs below its target number of judgements."""
    return book.pairs.filter(judged__lt=book.target_judgements)
