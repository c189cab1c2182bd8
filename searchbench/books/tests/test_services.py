"""books.services: who may see and change a book, and the one judgement write path."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from searchbench.books import services
from searchbench.books.models import Judge, Judgement, Pair
from searchbench.books.services import BookError

pytestmark = pytest.mark.django_db

State = Judgement.State


def test_access_is_owner_and_team_members(world, book, django_user_model):
    loner = django_user_model.objects.create_user("lone", password="pw")
    assert list(services.readable_books(world.owner)) == [book]
    assert list(services.readable_books(world.teammate)) == [book]
    assert list(services.readable_books(world.outsider)) == []
    for user, allowed in [(world.owner, True), (world.teammate, True), (world.outsider, False)]:
        assert services.can_read(user, book) is allowed
        assert services.can_write(user, book) is allowed
        assert (services.readable_book(user, book.pk) is not None) is allowed
    book.teams.clear()
    assert not services.can_write(world.teammate, book)
    assert list(services.readable_books(world.teammate)) == []
    assert not services.can_read(loner, book)


def test_access_refuses_anonymous(book):
    from django.contrib.auth.models import AnonymousUser

    anon = AnonymousUser()
    assert list(services.readable_books(anon)) == []
    assert not services.can_read(anon, book)
    assert not services.can_write(anon, book)


def test_readable_books_lists_a_book_once_for_a_user_in_two_of_its_teams(world, book):
    from searchbench.accounts.models import Membership, Team

    other = Team.objects.create(name="second")
    Membership.objects.create(team=other, user=world.teammate)
    book.teams.add(other)
    assert list(services.readable_books(world.teammate)) == [book]


def _pair(book, doc_id="b1") -> Pair:
    return book.pairs.get(query_text="red boots", doc_id=doc_id)


def test_record_judgement_upserts_per_rater_and_counts_rated_and_cant_rate(world, book):
    pair = _pair(book)
    services.record_judgement(pair, rater=world.owner, rating=2)
    assert pair.judged == 1
    # The same rater again replaces their judgement: still one row, still one counted.
    j = services.record_judgement(pair, rater=world.owner, rating=3, explanation="exact match")
    assert (j.rating, j.explanation, j.rater_key) == (3.0, "exact match", f"u{world.owner.pk}")
    assert Judgement.objects.filter(pair=pair).count() == 1
    assert Pair.objects.get(pk=pair.pk).judged == 1
    services.record_judgement(pair, rater=world.teammate, state=State.CANT_RATE)
    assert Pair.objects.get(pk=pair.pk).judged == 2
    # "later" is no answer: changing one's answer to later takes it out of the count.
    services.record_judgement(pair, rater=world.owner, state=State.LATER)
    assert Pair.objects.get(pk=pair.pk).judged == 1
    assert pair.judged == 1
    services.record_judgement(pair, rater=world.owner, rating=0)
    assert Pair.objects.get(pk=pair.pk).judged == 2
    services.remove_judgement(pair, f"u{world.teammate.pk}")
    assert Pair.objects.get(pk=pair.pk).judged == 1
    # Other pairs are untouched.
    assert set(book.pairs.exclude(pk=pair.pk).values_list("judged", flat=True)) == {0}


def test_raters_are_users_judges_or_emails(world, book):
    pair = _pair(book)
    judge = Judge.objects.create(
        name="llm", owner=world.owner, base_url="http://x/v1", model="m", prompt_template="p"
    )
    by_judge = services.record_judgement(
        pair, judge=judge, rating=1, prompt_tokens=120, completion_tokens=8, latency_ms=900
    )
    assert by_judge.rater_key == f"j{judge.pk}"
    assert (by_judge.prompt_tokens, by_judge.completion_tokens, by_judge.latency_ms) == (
        120,
        8,
        900,
    )
    by_mail = services.record_judgement(pair, rater_email=" Ann@Example.org ", rating=1)
    assert by_mail.rater_key == "e:ann@example.org"
    assert by_mail.rater_email == "Ann@Example.org"
    assert services.record_judgement(pair, rater_email="ann@example.org", rating=2).pk == by_mail.pk
    assert Pair.objects.get(pk=pair.pk).judged == 1  # the person; the LLM judge is not counted


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"rating": 5}, "not on the book's scale (0, 1, 2, 3)"),
        ({"rating": 1.5}, "not on the book's scale"),
        ({"rating": None}, "needs a rating"),
        ({"rating": "x"}, "not a number"),
        ({"state": "later", "rating": 1}, "has no rating"),
        ({"state": "maybe"}, "state 'maybe' is not one of"),
        ({"rating": 1, "tokens": 3}, "unknown judgement field(s): tokens"),
    ],
)
def test_bad_judgements_are_refused_and_write_nothing(world, book, kwargs, message):
    pair = _pair(book)
    with pytest.raises(BookError, match=message.replace("(", r"\(").replace(")", r"\)")):
        services.record_judgement(pair, rater=world.owner, **kwargs)
    assert not Judgement.objects.exists()
    assert Pair.objects.get(pk=pair.pk).judged == 0


def test_exactly_one_rater(world, book):
    from django.contrib.auth.models import AnonymousUser

    pair = _pair(book)
    with pytest.raises(BookError, match="exactly one rater"):
        services.record_judgement(pair, rating=1)
    with pytest.raises(BookError, match="exactly one rater"):
        services.record_judgement(pair, rater=world.owner, rater_email="a@b.c", rating=1)
    with pytest.raises(BookError, match="anonymous"):
        services.record_judgement(pair, rater=AnonymousUser(), rating=1)


def test_a_book_without_a_scale_takes_any_number(world, book):
    book.scale = []
    book.save()
    assert services.record_judgement(_pair(book), rater=world.owner, rating=7.5).rating == 7.5


def test_recount_judged_repairs_bulk_written_pairs(world, book):
    pairs = list(book.pairs.all())
    Judgement.objects.bulk_create(
        [
            Judgement(pair=pairs[0], rater_key="e:a@x", state=State.RATED, rating=1),
            Judgement(pair=pairs[0], rater_key="e:b@x", state=State.CANT_RATE),
            Judgement(pair=pairs[0], rater_key="e:c@x", state=State.LATER),
            Judgement(pair=pairs[1], rater_key="e:a@x", state=State.RATED, rating=0),
        ]
    )
    services.recount_judged(book.pairs.all())
    counts = dict(book.pairs.values_list("pk", "judged"))
    assert counts == {pairs[0].pk: 2, pairs[1].pk: 1, pairs[2].pk: 0, pairs[3].pk: 0}
    assert list(services.pairs_needing(book)) == [p for p in pairs]  # target 3: all need more
    book.target_judgements = 2
    assert pairs[0] not in services.pairs_needing(book)


@pytest.mark.django_db(transaction=True)
def test_concurrent_raters_keep_the_count(world, book):
    """Raters answering the same pair at once: the count is the number of answers."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs a server database")
    from django.contrib.auth import get_user_model

    pair = _pair(book)
    users = [get_user_model().objects.create_user(f"r{n}", password="pw") for n in range(6)]
    errors: list[BaseException] = []

    def judge(user):
        try:
            services.record_judgement(pair, rater=user, rating=1)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=judge, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Pair.objects.get(pk=pair.pk).judged == 6


def test_an_llm_judges_answer_does_not_count_towards_the_peoples_target(world, book):
    """The target is of people: a judge that answered every pair first must not leave them none
    to judge (calibration needs people on the pairs the judge answered)."""
    from searchbench.books.models import Judge

    judge = Judge.objects.create(
        name="j", owner=world.owner, base_url="http://127.0.0.1:9/v1", model="m",
        prompt_template="{{query}}",
    )  # fmt: skip
    book.target_judgements = 1
    book.save()
    pair = _pair(book)
    services.record_judgement(pair, judge=judge, rating=1)
    pair.refresh_from_db()
    assert pair.judged == 0 and pair in services.pairs_needing(book)
    services.record_judgement(pair, rater=world.teammate, rating=2)
    pair.refresh_from_db()
    assert pair.judged == 1 and pair not in services.pairs_needing(book)
    assert services.recount_judged(Pair.objects.filter(pk=pair.pk)) == 1
