"""Import and export on the book pages: the service's files (books/transfer.py), all or nothing
with every problem listed, and who may do which."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from searchbench.books import transfer
from searchbench.books.models import Book, Judgement
from searchbench.cases.tests.conftest import World
from searchbench.cases.tests.htmlquery import parse
from searchbench.cases.tests.test_views import client_for
from searchbench.domain.formats.registry import BOOK_FORMATS

pytestmark = pytest.mark.django_db

CSV = b"query,docid,rater,rating\nred boots,b1,ann@x.org,2\ntent,t9,ann@x.org,cant_rate\n"


def upload(content: bytes, name: str = "judgements.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.mark.parametrize("fmt", list(BOOK_FORMATS))
def test_export_downloads_what_the_service_writes(world: World, book: Book, fmt: str) -> None:
    url = reverse("books:export", args=[book.pk])
    response = client_for(world.teammate).get(url, {"format": fmt})
    assert response.status_code == 200
    assert response.content.decode() == transfer.export_book_text(fmt, book)
    assert response["Content-Disposition"] == (
        f'attachment; filename="book-{book.pk}-{fmt}{BOOK_FORMATS[fmt].suffix}"'
    )
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.owner).get(url, {"format": "nope"}).status_code == 404


def test_import_into_a_book_reports_and_goes_to_its_page(world: World, book: Book) -> None:
    url = reverse("books:import", args=[book.pk])
    page = parse(client_for(world.owner).get(url).content)
    assert [o.text for o in page.select("#id_format option")] == list(BOOK_FORMATS)
    done = client_for(world.teammate).post(
        url, {"format": "judgements-csv", "file": upload(CSV)}, follow=True
    )
    assert done.redirect_chain[-1][0] == reverse("books:detail", args=[book.pk])
    text = done.content.decode()
    assert "1 pairs added" in text and "2 judgements added" in text
    assert "ann@x.org" in text  # kept by e-mail
    assert Judgement.objects.filter(pair__book=book).count() == 2
    assert client_for(world.outsider).post(url, {"format": "judgements-csv",
                                                  "file": upload(CSV)}).status_code == 404  # fmt: skip


def test_a_bad_file_lists_every_problem_and_imports_nothing(world: World, book: Book) -> None:
    bad = CSV + b"q,d,ann@x.org,7\nq,e,ann@x.org,x\n"
    response = client_for(world.owner).post(
        reverse("books:import", args=[book.pk]), {"format": "judgements-csv", "file": upload(bad)}
    )
    assert response.status_code == 200
    problems = parse(response.content).select("#import-problems li")
    assert [(li.one("strong").text, li.texts) for li in problems] == [
        ("line 5", [": rating 'x' is not a number nor cant_rate"])
    ]  # the reader's problems first: nothing reached the book's scale check
    assert not Judgement.objects.filter(pair__book=book).exists()


def test_a_new_book_from_a_file_is_yours(world: World) -> None:
    done = client_for(world.outsider).post(
        reverse("books:import_new"), {"format": "judgements-csv", "file": upload(CSV), "name": ""}
    )
    book = Book.objects.get(name="judgements")  # after the file
    assert done["Location"] == reverse("books:detail", args=[book.pk])
    assert (book.owner, book.scale) == (world.outsider, [0, 1, 2])


def test_the_book_page_offers_export_and_import(world: World, book: Book) -> None:
    page = parse(client_for(world.teammate).get(reverse("books:detail", args=[book.pk])).content)
    form = page.one("#book-export-form")
    assert form.attrs["action"] == reverse("books:export", args=[book.pk])
    assert [o.text for o in page.select("#book-export-format option")] == list(BOOK_FORMATS)
    assert page.one("#book-import-link").attrs["href"] == reverse("books:import", args=[book.pk])
    books = parse(client_for(world.outsider).get(reverse("books:list")).content)
    assert books.one("#book-import-new-link").attrs["href"] == reverse("books:import_new")


def test_a_big_file_is_imported_by_a_worker_and_its_page_shows_the_job(
    world: World, book: Book, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
) -> None:
    from searchbench.jobs import imports

    monkeypatch.setattr(imports, "INLINE_MAX_BYTES", 10)  # every file is big
    client = client_for(world.teammate)
    url = reverse("books:import", args=[book.pk])
    with django_capture_on_commit_callbacks(execute=True):  # the test settings run it at once
        done = client.post(url, {"format": "judgements-csv", "file": upload(CSV)})
    assert done.status_code == 302 and done["Location"].startswith(f"{url}?job=")
    page = parse(client.get(done["Location"]).content)
    assert page.one("#job-book-link").attrs["href"] == reverse("books:detail", args=[book.pk])
    assert "2 judgements added" in page.one(".job-text").text
    assert Judgement.objects.filter(pair__book=book).count() == 2
    other = client_for(world.owner).get(done["Location"])  # the job is its starter's alone
    assert not parse(other.content).select("#jobs")
