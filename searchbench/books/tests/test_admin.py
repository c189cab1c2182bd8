"""The books' admin keeps Pair.judged right, as every other writer of judgements."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from searchbench.books import services
from searchbench.books.models import Judgement, Pair
from searchbench.cases.tests.test_views import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return client_for(get_user_model().objects.create_superuser("root", password="pw-root"))


def test_deleting_a_judgement_in_the_admin_recounts_its_pair(world, book, staff):
    pair = book.pairs.first()
    mine = services.record_judgement(pair, rater=world.owner, rating=2)
    services.record_judgement(pair, rater=world.teammate, rating=1)
    staff.post(reverse("admin:books_judgement_delete", args=[mine.pk]), {"post": "yes"})
    assert not Judgement.objects.filter(pk=mine.pk).exists()
    assert Pair.objects.get(pk=pair.pk).judged == 1


def test_deleting_judgements_in_bulk_in_the_admin_recounts_their_pairs(world, book, staff):
    a, b = book.pairs.order_by("pk")[:2]
    rows = [services.record_judgement(p, rater=world.owner, rating=1) for p in (a, b)]
    staff.post(
        reverse("admin:books_judgement_changelist"),
        {"action": "delete_selected", "_selected_action": [j.pk for j in rows], "post": "yes"},
    )
    assert not Judgement.objects.exists()
    assert list(Pair.objects.filter(pk__in=[a.pk, b.pk]).values_list("judged", flat=True)) == [0, 0]


def test_moving_a_judgement_to_another_pair_in_the_admin_recounts_both(world, book, staff):
    a, b = book.pairs.order_by("pk")[:2]
    j = services.record_judgement(a, rater=world.owner, rating=1)
    url = reverse("admin:books_judgement_change", args=[j.pk])
    response = staff.post(
        url,
        {
            "pair": b.pk,
            "rater": world.owner.pk,
            "rater_key": j.rater_key,
            "state": "rated",
            "rating": "3",
            "explanation": "",
            "rater_email": "",
            "prompt_hash": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert (Pair.objects.get(pk=a.pk).judged, Pair.objects.get(pk=b.pk).judged) == (0, 1)


def test_a_pairs_count_is_not_typed_in_the_admin(book, staff):
    pair = book.pairs.first()
    page = staff.get(reverse("admin:books_pair_change", args=[pair.pk])).content.decode()
    assert 'name="judged"' not in page
