"""The judging page's choices: which pair a rater sees next, and how far the book and each rater
have come. Views call these; they know nothing about HTTP.

The next pair for a rater is one they have not answered (a rating or "can't rate") that still
needs judgements (``Pair.judged`` below the book's target), in this order:

1. pairs nobody else opened in the last ``CLAIM_MINUTES`` minutes before those someone did (so
   raters working at once are not shown the same pair; when nothing else is left they are);
2. the fewest judgements first (the book fills evenly);
3. a shuffle that is stable for each rater and different between raters (pair id times a
   multiplier drawn from the rater's key, modulo a prime: a permutation of the ids, in 64-bit
   integer arithmetic every database does alike), so two raters starting at once do not walk the
   pairs in the same order.

Pairs the rater put off ("later") come back only when no other pair needs them, fewest judgements
first, then the one put off longest ago (so "later" again moves on to the next one). Opening a pair
marks it (``opened_by``, ``opened_at``): one UPDATE, no lock.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Mod
from django.utils import timezone

from searchbench.books.models import Book, Judge, Judgement, Pair
from searchbench.books.services import JUDGE_KEY_PREFIX

CLAIM_MINUTES = 5
_SHUFFLE_MODULUS = 1_000_003  # a prime: x -> x * m mod p permutes the ids for any m in 1..p-1


def _multiplier(key: str) -> int:
    """The rater's multiplier, 2..p-1: far from 1, so neighbouring ids land far apart."""
    return 2 + int(hashlib.sha256(key.encode()).hexdigest()[:12], 16) % (_SHUFFLE_MODULUS - 2)


def _ordered(pairs: QuerySet[Pair], key: str) -> QuerySet[Pair]:
    cutoff = timezone.now() - timedelta(minutes=CLAIM_MINUTES)
    return pairs.annotate(
        taken=Case(
            When(Q(opened_at__gte=cutoff) & ~Q(opened_by=key), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        # bigint: an id times a multiplier near a million overflows a 32-bit integer column
        shuffle=Mod(
            Cast(F("pk"), BigIntegerField()) * Value(_multiplier(key), BigIntegerField()),
            Value(_SHUFFLE_MODULUS, BigIntegerField()),
        ),
    ).order_by("taken", "judged", "shuffle", "pk")


def next_pair(book: Book, key: str) -> Pair | None:
    """The pair rater ``key`` should judge next (see the module's docstring), None when the book
    needs nothing more of them."""
    mine = Judgement.objects.filter(pair=OuterRef("pk"), rater_key=key)
    open_pairs = book.pairs.filter(judged__lt=book.target_judgements)
    fresh = _ordered(open_pairs.filter(~Exists(mine)), key).first()
    if fresh is not None:
        return fresh
    later = mine.filter(state=Judgement.State.LATER)
    # The one put off longest ago first: "later" again sends a pair behind the rater's others.
    put_off = Subquery(later.values("judged_at")[:1])
    return (
        open_pairs.filter(Exists(later))
        .annotate(put_off=put_off)
        .order_by("judged", "put_off", "pk")
        .first()
    )


def open_pair(pair: Pair, key: str) -> None:
    """Mark ``pair`` as opened by rater ``key`` now."""
    Pair.objects.filter(pk=pair.pk).update(opened_by=key, opened_at=timezone.now())


def previous_judgement(book: Book, key: str, before: Pair | None = None) -> Judgement | None:
    """The rater's judgement made before the one of ``before`` (their newest without it): the
    judging page's "back"."""
    rows = Judgement.objects.filter(pair__book=book, rater_key=key)
    if before is not None:
        current = rows.filter(pair=before).first()
        rows = rows.exclude(pair=before)
        if current is not None:
            rows = rows.filter(
                Q(judged_at__lt=current.judged_at)
                | Q(judged_at=current.judged_at, pk__lt=current.pk)
            )
    return rows.select_related("pair").order_by("-judged_at", "-pk").first()


# ---------------------------------------------------------------------------------------------
# Progress


@dataclass
class RaterProgress:
    key: str
    name: str
    rated: int = 0
    cant_rate: int = 0
    later: int = 0

    @property
    def answered(self) -> int:
        return self.rated + self.cant_rate


@dataclass
class BookProgress:
    pairs: int
    complete: int  # pairs with at least the target number of judgements
    rated: int
    cant_rate: int
    later: int
    raters: list[RaterProgress] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(100 * self.complete / self.pairs) if self.pairs else 0

    def of(self, key: str) -> RaterProgress | None:
        return next((r for r in self.raters if r.key == key), None)


def progress(book: Book) -> BookProgress:
    """The book's counts and each rater's: three grouped queries, whatever the book's size."""
    pairs = book.pairs.aggregate(
        n=Count("pk"), complete=Count("pk", filter=Q(judged__gte=book.target_judgements))
    )
    by_rater: dict[str, RaterProgress] = {}
    rows = (
        Judgement.objects.filter(pair__book=book)
        .values_list("rater_key", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    names = rater_names(book)
    for key, state, n in rows:
        row = by_rater.setdefault(key, RaterProgress(key, names.get(key, key)))
        setattr(row, state, n)
    raters = sorted(by_rater.values(), key=lambda r: (-r.answered, r.name))
    return BookProgress(
        pairs=pairs["n"],
        complete=pairs["complete"],
        rated=sum(r.rated for r in raters),
        cant_rate=sum(r.cant_rate for r in raters),
        later=sum(r.later for r in raters),
        raters=raters,
    )


def rater_names(book: Book) -> dict[str, str]:
    """Each rater key of the book's judgements with a name to show: the user's name, the judge's
    name, or the imported e-mail."""
    from django.contrib.auth import get_user_model

    keys = set(
        Judgement.objects.filter(pair__book=book).values_list("rater_key", flat=True).distinct()
    )
    names = {k: k[2:] for k in keys if k.startswith("e:")}
    users = [int(k[1:]) for k in keys if k.startswith("u")]
    for pk, username in get_user_model().objects.filter(pk__in=users).values_list("pk", "username"):
        names[f"u{pk}"] = username
    judges = [int(k[1:]) for k in keys if k.startswith(JUDGE_KEY_PREFIX)]
    for pk, name in Judge.objects.filter(pk__in=judges).values_list("pk", "name"):
        names[f"j{pk}"] = f"{name} (LLM)"
    return names
