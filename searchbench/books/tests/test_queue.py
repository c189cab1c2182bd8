"""books.queue: the next pair a rater sees, and the progress counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from searchbench.books import queue, services
from searchbench.books.models import Book, Judgement, Pair

pytestmark = pytest.mark.django_db

State = Judgement.State


def key(user) -> str:
    return f"u{user.pk}"


def many_pairs(owner, n=12, target=2) -> Book:
    book = Book.objects.create(name="big", owner=owner, scale=[0, 1], target_judgements=target)
    Pair.objects.bulk_create(Pair(book=book, query_text=f"q{i}", doc_id=f"d{i}") for i in range(n))
    return book


def test_a_rater_is_offered_every_pair_once_then_nothing(world):
    book = many_pairs(world.owner, n=5)
    seen = []
    while (pair := queue.next_pair(book, key(world.owner))) is not None:
        seen.append(pair.pk)
        services.record_judgement(pair, rater=world.owner, rating=1)
    assert sorted(seen) == sorted(book.pairs.values_list("pk", flat=True))


def test_pairs_with_fewer_judgements_come_first_and_full_ones_never(world, django_user_model):
    book = many_pairs(world.owner, n=3, target=2)
    a, b, c = book.pairs.order_by("pk")
    others = [django_user_model.objects.create_user(f"o{i}", password="pw") for i in range(2)]
    services.record_judgement(a, rater=others[0], rating=1)
    services.record_judgement(a, rater=others[1], rating=1)  # a is full (target 2)
    services.record_judgement(b, rater=others[0], rating=0)  # b has one
    assert queue.next_pair(book, key(world.owner)) == c  # c has none
    services.record_judgement(c, rater=world.owner, rating=1)
    assert queue.next_pair(book, key(world.owner)) == b
    services.record_judgement(b, rater=world.owner, rating=1)
    assert queue.next_pair(book, key(world.owner)) is None  # a is full, b and c answered


def test_two_raters_walk_the_pairs_in_different_orders(world):
    book = many_pairs(world.owner, n=40)

    def order(user):
        return list(queue._ordered(book.pairs.all(), key(user)).values_list("pk", flat=True))

    assert sorted(order(world.owner)) == sorted(order(world.teammate))
    assert order(world.owner) != order(world.teammate)  # 40! orders: the same one by chance never
    assert order(world.owner) == order(world.owner)  # stable for each rater


def test_a_pair_another_rater_just_opened_is_passed_over_until_nothing_else_is_left(world):
    book = many_pairs(world.owner, n=2)
    mine = queue.next_pair(book, key(world.owner))
    queue.open_pair(mine, key(world.owner))
    theirs = queue.next_pair(book, key(world.teammate))
    assert theirs != mine
    queue.open_pair(theirs, key(world.teammate))
    # The opener is still offered their own pair.
    assert queue.next_pair(book, key(world.owner)) == mine
    services.record_judgement(theirs, rater=world.teammate, rating=0)
    # Only the owner's open pair is left: offered to the teammate all the same.
    assert queue.next_pair(book, key(world.teammate)) == mine
    # An old opening does not count.
    Pair.objects.filter(pk=mine.pk).update(
        opened_at=timezone.now() - timedelta(minutes=queue.CLAIM_MINUTES + 1)
    )
    assert queue.next_pair(book, key(world.teammate)) == mine


def test_later_pairs_come_back_after_the_others(world):
    book = many_pairs(world.owner, n=2)
    first = queue.next_pair(book, key(world.owner))
    services.record_judgement(first, rater=world.owner, state=State.LATER)
    second = queue.next_pair(book, key(world.owner))
    assert second != first
    services.record_judgement(second, rater=world.owner, rating=1)
    assert queue.next_pair(book, key(world.owner)) == first
    services.record_judgement(first, rater=world.owner, state=State.CANT_RATE)
    assert queue.next_pair(book, key(world.owner)) is None


def test_later_again_moves_on_to_the_raters_other_later_pair(world):
    book = many_pairs(world.owner, n=3)
    a, b, c = book.pairs.order_by("pk")
    services.record_judgement(a, rater=world.owner, state=State.LATER)
    services.record_judgement(b, rater=world.owner, state=State.LATER)
    services.record_judgement(c, rater=world.owner, rating=1)
    assert queue.next_pair(book, key(world.owner)) == a  # put off first
    services.record_judgement(a, rater=world.owner, state=State.LATER)
    assert queue.next_pair(book, key(world.owner)) == b  # not a again and again
    services.record_judgement(b, rater=world.owner, state=State.LATER)
    assert queue.next_pair(book, key(world.owner)) == a


def test_previous_judgement_walks_back_through_the_raters_own(world):
    book = many_pairs(world.owner, n=3)
    order = []
    for _ in range(3):
        pair = queue.next_pair(book, key(world.owner))
        services.record_judgement(pair, rater=world.owner, rating=1)
        order.append(pair)
    services.record_judgement(order[0], rater=world.teammate, rating=0)  # not the owner's
    assert queue.previous_judgement(book, key(world.owner)).pair == order[2]
    assert queue.previous_judgement(book, key(world.owner), before=order[2]).pair == order[1]
    assert queue.previous_judgement(book, key(world.owner), before=order[1]).pair == order[0]
    assert queue.previous_judgement(book, key(world.owner), before=order[0]) is None


def test_progress_counts_the_book_and_each_rater(world, book):
    pairs = list(book.pairs.order_by("pk"))
    book.target_judgements = 2
    book.save()
    services.record_judgement(pairs[0], rater=world.owner, rating=3)
    services.record_judgement(pairs[0], rater=world.teammate, state=State.CANT_RATE)
    services.record_judgement(pairs[1], rater=world.owner, state=State.LATER)
    services.record_judgement(pairs[2], rater_email="ann@example.org", rating=1)
    p = queue.progress(book)
    assert (p.pairs, p.complete, p.percent) == (4, 1, 25)
    assert (p.rated, p.cant_rate, p.later) == (2, 1, 1)
    owner = p.of(key(world.owner))
    assert (owner.name, owner.rated, owner.cant_rate, owner.later) == ("olive", 1, 0, 1)
    assert p.of(key(world.teammate)).answered == 1
    assert p.of("e:ann@example.org").name == "ann@example.org"
    assert p.of("u999999") is None
