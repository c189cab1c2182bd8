"""A book beside the cases tests' world (olive owns both, tom is her teammate, oscar is not)."""

from __future__ import annotations

from typing import Any

import pytest

from searchbench.cases.tests.conftest import World, data_dir, tiny_index, world  # noqa: F401


@pytest.fixture
def book(world: World) -> Any:  # noqa: F811
    from searchbench.books.models import Book, Pair

    book = Book.objects.create(
        name="Boots book", owner=world.owner, scale=[0, 1, 2, 3], labels={"0": "Poor"}
    )
    book.teams.add(world.team)
    book.cases.add(world.case)
    for n, doc_id in enumerate(["b1", "b2", "b3"], start=1):
        Pair.objects.create(
            book=book, query_text="red boots", doc_id=doc_id, position=n, doc_fields={}
        )
    Pair.objects.create(book=book, query_text="tent", doc_id="t1", position=1)
    return book
