"""The books' pages, driven through the test client as their users would."""

from __future__ import annotations

import pytest
from django.urls import reverse

from searchbench.books.models import Book, Judgement, Pair
from searchbench.cases.models import Rating, Scorer
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for

pytestmark = pytest.mark.django_db


def test_new_book_takes_its_scale_from_a_scorer_or_the_typed_one(world):
    client = client_for(world.owner)
    assert client.get(reverse("books:new")).status_code == 200
    graded = Scorer.objects.get(name="quepid:nDCG@10")
    response = client.post(
        reverse("books:new"),
        {
            "name": "From scorer",
            "scale_from": graded.pk,
            "scale_text": "",
            "guidelines": "# Rate *carefully*",
            "target_judgements": 2,
            "hide_others": "on",
            "aggregation": "median",
            "teams": [world.team.pk],
        },
    )
    book = Book.objects.get(name="From scorer")
    assert response.url == reverse("books:detail", args=[book.pk])
    assert book.scale == [float(v) for v in graded.scale]
    assert book.labels == graded.labels
    assert (book.owner, book.aggregation, book.target_judgements) == (world.owner, "median", 2)
    assert list(book.teams.all()) == [world.team]

    client.post(
        reverse("books:new"),
        {"name": "Typed", "scale_text": "2, 0, 1", "labels": '{"2": "Good"}', **_defaults()},
    )
    assert Book.objects.get(name="Typed").scale == [0.0, 1.0, 2.0]


def _defaults():
    return {"target_judgements": 3, "aggregation": "quepid", "guidelines": ""}


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"scale_text": ""}, "scale_text", "give the scale, or take it from a scorer"),
        ({"scale_text": "0, x"}, "scale_text", "finite numbers"),
        ({"scale_text": "0, 1", "labels": '{"5": "no"}'}, "labels", "not a value of the scale"),
        ({"scale_text": "0, 1", "target_judgements": 0}, "target_judgements", "greater than"),
    ],
)
def test_bad_book_forms_say_which_field(world, data, field, message):
    client = client_for(world.owner)
    response = client.post(reverse("books:new"), {"name": "Bad", **_defaults(), **data})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Book.objects.filter(name="Bad").exists()


def test_book_page_shows_progress_and_safe_guidelines(world, book):
    book.guidelines = "**Bold** <script>alert(1)</script> [x](javascript:alert(1))"
    book.save()
    Judgement.objects.create(
        pair=book.pairs.first(), rater=world.teammate, rater_key=f"u{world.teammate.pk}", rating=1
    )
    response = client_for(world.teammate).get(reverse("books:detail", args=[book.pk]))
    html = response.content.decode()
    doc = parse(html)
    assert doc.one("#guidelines strong").text == "Bold"
    assert not doc.select("#guidelines script") and not doc.select("#guidelines a")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    rows = parse(html).select("#rater-progress tr.rater-row")
    assert [r.attrs["data-rater"] for r in rows] == [f"u{world.teammate.pk}"]
    assert "0 of 4" in parse(html).one("#book-complete").text


def test_populate_and_sync_from_the_book_page(world):
    client = client_for(world.owner)
    book = Book.objects.create(name="B", owner=world.owner, scale=[0, 1])
    response = client.post(
        reverse("books:populate", args=[book.pk]), {"cases": [world.case.pk], "depth": 2}
    )
    assert response.status_code == 302
    assert book.pairs.filter(query_text="red boots", doc_id="b1").exists()
    pair = book.pairs.get(query_text="red boots", doc_id="b1")
    client.post(reverse("books:judge_pair", args=[book.pk, pair.pk]), {"answer": "0"})
    response = client.post(reverse("books:sync", args=[book.pk]), follow=True)
    assert "1 rating written" in response.content.decode()
    assert Rating.objects.get(query=world.q_boots, doc_id="b1").rating == 0


def test_populate_offers_only_cases_the_user_may_change(world):
    from searchbench.cases.models import Case

    theirs = Case.objects.create(name="Oscar's", owner=world.outsider, scorer=world.case.scorer)
    book = Book.objects.create(name="B", owner=world.owner, scale=[0, 1])
    client_for(world.owner).post(
        reverse("books:populate", args=[book.pk]), {"cases": [theirs.pk], "depth": 2}
    )
    assert not book.pairs.exists()
    assert not book.cases.exists()


def test_judging_one_pair_after_another(world, book):
    client = client_for(world.owner)
    seen = set()
    for answer in ["2", "later", "cant_rate", "0"]:
        response = client.get(reverse("books:judge", args=[book.pk]))
        assert response.status_code == 302
        page = client.get(response.url)
        pair = page.context["pair"]
        assert pair.pk not in seen
        seen.add(pair.pk)
        html = page.content.decode()
        # Keyboard-first: every grade has its digit, later and can't rate their letters.
        keys = [b.attrs["data-key"] for b in parse(html).select("#judge-form [data-key]")]
        assert keys[:6] == ["0", "1", "2", "3", "l", "x"]
        assert parse(html).one("#pair-query").text == pair.query_text
        client.post(response.url, {"answer": answer, "explanation": f"because {answer}"})
    mine = Judgement.objects.filter(rater=world.owner)
    assert sorted(mine.values_list("state", flat=True)) == ["cant_rate", "later", "rated", "rated"]
    assert mine.get(state="cant_rate").explanation == "because cant_rate"
    # The later one comes back; then nothing is left.
    later = mine.get(state="later").pair
    assert client.get(reverse("books:judge", args=[book.pk])).url.endswith(f"/{later.pk}")
    client.post(reverse("books:judge_pair", args=[book.pk, later.pk]), {"answer": "1"})
    done = client.get(reverse("books:judge", args=[book.pk]))
    assert done.status_code == 200 and "Nothing left to judge" in done.content.decode()


def test_a_rater_revises_their_own_judgement(world, book):
    client = client_for(world.owner)
    pair = book.pairs.first()
    url = reverse("books:judge_pair", args=[book.pk, pair.pk])
    client.post(url, {"answer": "1"})
    page = client.get(url).content.decode()
    assert "Your answer" in parse(page).one("#my-answer").text
    assert parse(page).one("#judge-form button.chosen").attrs["value"] == "1"
    client.post(url, {"answer": "3", "explanation": "on second thought"})
    j = Judgement.objects.get(pair=pair)
    assert (j.rating, j.explanation) == (3, "on second thought")
    assert Pair.objects.get(pk=pair.pk).judged == 1


def test_a_revision_starts_from_the_raters_explanation(world, book):
    client = client_for(world.owner)
    pair = book.pairs.first()
    url = reverse("books:judge_pair", args=[book.pk, pair.pk])
    client.post(url, {"answer": "1", "explanation": "too short"})
    page = client.get(url).content.decode()
    assert parse(page).one("#id_explanation").text.strip() == "too short"
    assert (
        parse(
            client.get(
                reverse("books:judge_pair", args=[book.pk, book.pairs.last().pk])
            ).content.decode()
        )
        .one("#id_explanation")
        .text.strip()
        == ""
    )


@pytest.mark.parametrize(
    "fields, src",
    [
        (
            {"thumb": ["https://img.example/a.png", "https://img.example/b.png"]},
            "https://img.example/a.png",
        ),
        ({"thumb": 7, "image": {"url": "https://img.example/c.png"}}, None),
        ({"thumb": "javascript:alert(1)"}, None),
    ],
)
def test_an_imported_docs_thumbnail_is_a_text_url_or_none(world, book, fields, src):
    pair = Pair.objects.create(book=book, query_text="q", doc_id="d", doc_fields=fields)
    page = client_for(world.owner).get(reverse("books:judge_pair", args=[book.pk, pair.pk]))
    assert page.status_code == 200
    imgs = parse(page.content.decode()).select("#pair-doc img")
    assert [i.attrs["src"] for i in imgs] == ([src] if src else [])


def test_others_judgements_are_hidden_unless_the_book_shows_them(world, book):
    pair = book.pairs.first()
    client_for(world.teammate).post(
        reverse("books:judge_pair", args=[book.pk, pair.pk]), {"answer": "3", "explanation": "tom"}
    )
    url = reverse("books:judge_pair", args=[book.pk, pair.pk])
    page = client_for(world.owner).get(url).content.decode()
    assert not parse(page).select("#other-judgements") and "tom" not in page.split("<main>")[1]
    book.hide_others = False
    book.save()
    page = client_for(world.owner).get(url).content.decode()
    assert "tom: 3 — tom" in parse(page).one("#other-judgements").text


def test_a_bad_answer_is_refused_and_nothing_is_written(world, book):
    pair = book.pairs.first()
    url = reverse("books:judge_pair", args=[book.pk, pair.pk])
    response = client_for(world.owner).post(url, {"answer": "7"})
    assert response.status_code == 400
    assert not Judgement.objects.exists()


def test_a_pair_of_another_book_is_not_found(world, book):
    other = Book.objects.create(name="other", owner=world.owner, scale=[0, 1])
    stranger = Pair.objects.create(book=other, query_text="q", doc_id="d")
    url = reverse("books:judge_pair", args=[book.pk, stranger.pk])
    assert client_for(world.owner).get(url).status_code == 404


def test_the_list_shows_the_books_one_may_see_with_their_pairs(world, book):
    Book.objects.create(name="Oscar's own", owner=world.outsider, scale=[0, 1])
    html = client_for(world.teammate).get(reverse("books:list")).content.decode()
    rows = parse(html).select("#book-table tr.book-row")
    assert [r.one("a").text for r in rows] == ["Boots book"]
    assert rows[0].one("td.num").text == "4"


def test_the_book_page_names_only_the_cases_the_rater_may_see(world, book):
    from searchbench.cases.models import Case

    book.cases.add(Case.objects.create(name="Secret", owner=world.owner, scorer=world.case.scorer))
    html = client_for(world.teammate).get(reverse("books:detail", args=[book.pk])).content.decode()
    assert "Secret" not in html
    assert parse(html).one("#hidden-cases").text == "1 case you cannot see"
    response = client_for(world.teammate).post(reverse("books:sync", args=[book.pk]), follow=True)
    assert "1 linked case you may not change left as they are." in response.content.decode()


def test_the_sync_history_names_only_the_cases_the_rater_may_see(world, book):
    from searchbench.cases.models import Case

    book.cases.add(Case.objects.create(name="Secret", owner=world.owner, scorer=world.case.scorer))
    client_for(world.owner).post(reverse("books:sync", args=[book.pk]))
    owners = client_for(world.owner).get(reverse("books:detail", args=[book.pk])).content.decode()
    assert "Secret" in parse(owners).one("#sync-history").text
    html = client_for(world.teammate).get(reverse("books:detail", args=[book.pk])).content.decode()
    assert "Secret" not in html
    assert world.case.name in parse(html).one("#sync-history").text


def test_populate_from_stored_results_on_the_page(world):
    from searchbench.cases import services as case_services

    client = client_for(world.owner)
    book = Book.objects.create(name="B", owner=world.owner, scale=[0, 1])
    url = reverse("books:populate", args=[book.pk])
    form = {"cases": [world.case.pk], "depth": 1, "source": "snapshot"}
    response = client.post(url, form, follow=True)
    assert "has no snapshot" in response.content.decode()
    assert not book.pairs.exists()
    case_services.take_snapshot(world.case, "s", user=world.owner)
    client.post(url, form)
    assert book.pairs.filter(position=1).count() == 2


def test_a_grade_past_the_tenth_has_no_key(world, book):
    book.scale = list(range(11))
    book.save()
    pair = book.pairs.first()
    html = client_for(world.owner).get(reverse("books:judge_pair", args=[book.pk, pair.pk]))
    buttons = parse(html.content.decode()).select("#judge-form button.grade")
    assert [b.attrs.get("data-key") for b in buttons] == [*map(str, range(10)), None]
