"""The case page as a workspace: many queries at once, a paginated list, a header in view."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from searchbench.cases.tests.htmlquery import parse


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def add_url(case) -> str:
    return reverse("cases:query_add", args=[case.pk])


def texts(case) -> list[str]:
    return list(case.queries.order_by("position").values_list("text", flat=True))


def messages_of(response) -> list[str]:
    return [m.text for m in parse(response.content).select("ul.messages li")]


@pytest.mark.django_db
def test_it_adds_pasted_lines_skipping_blanks_and_duplicates(world):
    pasted = "red  boots\n\nwool socks\n   \ngreen tent\r\nwool socks\nblue boots\n"
    response = client_for(world.owner).post(add_url(world.case), {"text": pasted}, follow=True)
    assert texts(world.case) == ["red boots", "tent", "wool socks", "green tent", "blue boots"]
    said = messages_of(response)
    assert "Added 3 queries." in said
    assert any(m.startswith("Skipped 2 duplicates") and "“red boots”" in m for m in said), said


@pytest.mark.django_db
def test_it_adds_the_lines_of_a_file(world):
    upload = SimpleUploadedFile("q.txt", "\ufeffhiking boots\nrain jacket\n".encode())
    response = client_for(world.owner).post(
        add_url(world.case), {"text": "", "file": upload}, follow=True
    )
    assert texts(world.case)[2:] == ["hiking boots", "rain jacket"]
    assert "Added 2 queries." in messages_of(response)


@pytest.mark.django_db
def test_a_file_that_is_not_text_adds_nothing_and_says_so(world):
    upload = SimpleUploadedFile("q.bin", b"ok\n\xff\xfe\x00bad")
    response = client_for(world.owner).post(add_url(world.case), {"file": upload}, follow=True)
    assert texts(world.case) == ["red boots", "tent"]
    assert any("q.bin: not UTF-8 text" in m for m in messages_of(response))


@pytest.mark.django_db
def test_a_line_too_long_adds_nothing_and_names_the_line(world):
    pasted = "fine\n" + "x" * 501 + "\nalso fine"
    response = client_for(world.owner).post(add_url(world.case), {"text": pasted}, follow=True)
    assert texts(world.case) == ["red boots", "tent"]
    assert any("Nothing added: line 2:" in m for m in messages_of(response))


@pytest.mark.django_db
def test_only_blank_lines_is_an_error(world):
    response = client_for(world.owner).post(add_url(world.case), {"text": "\n \n"}, follow=True)
    assert texts(world.case) == ["red boots", "tent"]
    assert any("Type or paste a query" in m for m in messages_of(response))


@pytest.mark.django_db
def test_the_add_form_is_a_textarea_and_a_file_input(world):
    page = parse(client_for(world.owner).get(reverse("cases:detail", args=[world.case.pk])).content)
    form = page.one("form#query-add")
    assert form.attrs["enctype"] == "multipart/form-data"
    assert page.one("#query-add textarea[name=text]") and page.one("#query-add input[type=file]")
