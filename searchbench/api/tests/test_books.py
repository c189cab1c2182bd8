"""Books over the API: CRUD with If-Match, pairs and judgements (the caller's own), import and
export of the book formats; a book of another team is not there (404)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from searchbench.api.tests.conftest import BASE, Api, World, assert_error
from searchbench.books.models import Book, Judgement, Pair
from searchbench.testing import service_missing

pytestmark = pytest.mark.django_db

CSV = (
    "query,docid,rater,rating,explanation\n"
    "red boots,b1,ann@x.org,3,fits\n"
    "red boots,b2,ann@x.org,cant_rate,\n"
    "tent,t1,bob@x.org,0,\n"
)


def raw_post(api: Api, path: str, content: bytes) -> Any:
    return api.client.post(BASE + path, data=content, content_type="text/csv", headers=api.headers)


@pytest.fixture
def book(world: World) -> Book:
    book = Book.objects.create(name="Boots book", owner=world.owner, scale=[0, 1, 2, 3])
    book.teams.add(world.team)
    Pair.objects.create(book=book, query_text="red boots", doc_id="b1", position=1)
    return book


def test_the_owner_makes_changes_and_deletes_a_book(world: World, owner_api: Api) -> None:
    made = owner_api.post("/books", {"name": "New", "scale": [0, 1], "labels": {"1": "good"}})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["name"], body["scale"], body["labels"], body["pairs"]) == (
        "New", [0.0, 1.0], {"1": "good"}, 0
    )  # fmt: skip
    path = f"/books/{body['id']}"
    read = owner_api.get(path)
    etag = read["ETag"]
    changed = owner_api.patch(path, {"target_judgements": 5, "teams": [world.team.pk]},
                              **{"If-Match": etag})  # fmt: skip
    assert changed.status_code == 200, changed.content
    assert (changed.json()["target_judgements"], changed.json()["teams"]) == (5, [world.team.pk])
    assert_error(owner_api.patch(path, {"name": "x"}, **{"If-Match": etag}), 412)
    assert_error(owner_api.patch(path, {"labels": {"7": "no"}}), 422)
    assert_error(owner_api.post("/books", {"name": "Bad", "scale": [1]}), 422)
    assert owner_api.delete(path).status_code == 204
    assert not Book.objects.filter(pk=body["id"]).exists()


def test_teammates_read_and_judge_outsiders_see_nothing(
    world: World, book: Book, teammate_api: Api, outsider_api: Api
) -> None:
    assert [b["name"] for b in teammate_api.get("/books").json()["items"]] == ["Boots book"]
    assert outsider_api.get("/books").json()["items"] == []
    for method, path in [("GET", f"/books/{book.pk}"), ("GET", f"/books/{book.pk}/pairs"),
                         ("GET", f"/books/{book.pk}/export/quepid-book")]:  # fmt: skip
        assert_error(outsider_api.call(method, path), 404, "not_found")
    assert_error(teammate_api.delete(f"/books/{book.pk}"), 403)  # the owner's only
    pair = book.pairs.get()
    path = f"/books/{book.pk}/pairs/{pair.pk}/judgement"
    assert_error(outsider_api.put(path, {"rating": 2}), 404)
    done = teammate_api.put(path, {"rating": 2, "explanation": "close"})
    assert done.status_code == 200, done.content
    assert (done.json()["rater"], done.json()["rating"]) == ("tom", 2.0)  # no e-mail: the name
    assert_error(teammate_api.put(path, {"rating": 9}), 422, "unprocessable")
    assert teammate_api.put(path, {"state": "cant_rate"}).json()["state"] == "cant_rate"
    pair.refresh_from_db()
    assert pair.judged == 1
    mine = teammate_api.get(f"/books/{book.pk}/judgements?mine=true").json()
    assert [j["state"] for j in mine["items"]] == ["cant_rate"]
    assert teammate_api.delete(path).status_code == 204
    assert not Judgement.objects.filter(pair=pair).exists()


def test_import_and_export_round_trip(world: World, book: Book, owner_api: Api) -> None:
    done = raw_post(owner_api, f"/books/{book.pk}/import/judgements-csv", CSV.encode())
    assert done.status_code == 200, done.content
    report = done.json()
    assert (report["pairs_added"], report["judgements_added"]) == (2, 3)
    assert report["raters_kept_by_email"] == ["ann@x.org", "bob@x.org"]
    pairs = owner_api.get(f"/books/{book.pk}/pairs?limit=2").json()
    assert (pairs["count"], pairs["next_offset"]) == (3, 2)
    exported = owner_api.get(f"/books/{book.pk}/export/judgements-csv")
    assert exported["Content-Type"].startswith("text/csv")
    assert exported.content.decode() == CSV
    quepid = owner_api.get(f"/books/{book.pk}/export/quepid-book")
    assert (
        quepid["Content-Disposition"] == f'attachment; filename="book-{book.pk}-quepid-book.json"'
    )
    made = raw_post(owner_api, "/books/import/quepid-book?name=Copy", quepid.content)
    assert made.status_code == 201, made.content
    copy = made.json()
    assert (copy["book_name"], copy["created_book"], copy["judgements_added"]) == ("Copy", True, 3)
    again = owner_api.get(f"/books/{copy['book_id']}/export/judgements-csv")
    assert again.content.decode() == CSV


def test_quepids_zipped_book_export_imports_as_the_docs_show(
    world: World, owner_api: Api, shared_data: Path
) -> None:
    """Quepid writes its book export zipped (bytes NUL among them): docs/api.md's curl sends it
    as the body. A text format's body with NUL is still refused."""
    path = shared_data / "quepid_files" / "quepid-book" / "haystack_rating_party_book.json.zip"
    if not path.is_file():
        service_missing(f"Quepid's book file not found at {path}")
    made = raw_post(owner_api, "/books/import/quepid-book", path.read_bytes())
    assert made.status_code == 201, made.content
    assert made.json()["pairs_added"] > 0
    assert_error(raw_post(owner_api, "/books/import/judgements-csv", b"PK\x03\x04\x00"), 422)


def test_a_bad_file_is_refused_with_every_line_and_stores_nothing(
    world: World, book: Book, owner_api: Api
) -> None:
    bad = "query,docid,rater,rating\nq,d,a@x.org,1\nq,e,a@x.org,5\nq,f,a@x.org,x\n"
    error = assert_error(
        raw_post(owner_api, f"/books/{book.pk}/import/judgements-csv", bad.encode()), 422
    )
    assert [d["field"] for d in error["details"]] == ["line 4"]  # the reader's problem first
    error = assert_error(
        raw_post(
            owner_api, f"/books/{book.pk}/import/judgements-csv", bad.rsplit("q,f", 1)[0].encode()
        ),
        422,
    )
    assert error["details"] == [
        {"field": "line 3", "message": "rating 5 is not on the book's scale (0, 1, 2, 3)"}
    ]
    assert book.pairs.count() == 1
    assert_error(raw_post(owner_api, f"/books/{book.pk}/import/nope", b"x"), 404)
    assert_error(raw_post(owner_api, "/books/import/quepid-book", b""), 422)


def test_the_formats_list_names_the_book_formats(world: World, owner_api: Api) -> None:
    formats = {f["name"]: f for f in owner_api.get("/formats").json()}
    assert formats["quepid-book"]["target"] == "book"
    assert formats["judgements-csv"]["can_import"] is True
    assert formats["ratings-csv"]["target"] == "case"


def test_a_background_book_import_is_a_job_with_the_report_or_the_problems(
    world: World, book: Book, owner_api: Api, teammate_api: Api, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # the task is queued on commit
        queued = raw_post(owner_api, "/books/import/judgements-csv?name=Later&background=true",
                          CSV.encode())  # fmt: skip
    assert queued.status_code == 202, queued.content
    job = owner_api.get(f"/jobs/{queued.json()['id']}").json()  # the test settings run it at once
    assert (job["kind"], job["status"], job["case_id"]) == ("import", "done", None)
    made = Book.objects.get(pk=job["result"]["book_id"])
    assert made.name == "Later" and job["result"]["judgements_added"] == 3
    bad = CSV.replace("3,fits", "7,fits").encode()  # off the book's scale
    with django_capture_on_commit_callbacks(execute=True):
        into = raw_post(teammate_api, f"/books/{book.pk}/import/judgements-csv?background=1", bad)
    failed = teammate_api.get(f"/jobs/{into.json()['id']}").json()
    assert failed["status"] == "failed"
    assert failed["result"]["problems"] == [
        ["line 2", "rating 7 is not on the book's scale (0, 1, 2, 3)"]
    ]
    assert not Judgement.objects.filter(pair__book=book).exists()
    assert_error(owner_api.get(f"/jobs/{into.json()['id']}"), 404)  # its starter's alone
