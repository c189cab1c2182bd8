"""Result thumbnails: only absolute http(s) URLs become an <img src>."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from searchbench.cases import services
from searchbench.cases.tests.htmlquery import parse

# doc id -> the engine's thumbnail value, and what the page may load from it (None: no <img>).
THUMBS = {
    "p1": ("https://img.example/1.png", "https://img.example/1.png"),
    "p2": ("http://img.example/2.png", "http://img.example/2.png"),
    "p3": ("javascript:alert(1)", None),
    "p4": (" JaVaScRiPt:alert(1)", None),
    "p5": ("java\tscript:alert(1)", None),
    "p6": ("data:image/svg+xml;base64,PHN2Zy8+", None),
    "p7": ("/accounts/logout/", None),  # relative: would load from this app, as the viewer
    "p8": ("//img.example/8.png", None),  # no scheme of its own
    "p9": ("http://[127.0.0.1]/x.png", None),  # not a URL urllib can split
}


@pytest.mark.django_db
def test_only_web_urls_become_thumbnails(world, data_dir):
    from searchbench.cases.models import SearchEndpoint
    from searchbench.engines.local import create_index

    source = data_dir / "pics.jsonl"
    docs = [{"id": d, "title": "red boots", "img": raw} for d, (raw, _) in THUMBS.items()]
    source.write_text("".join(json.dumps(d) + "\n" for d in docs))
    create_index("pics", source, id_field="id", fields=["title"], data_dir=data_dir)
    endpoint = SearchEndpoint.objects.create(
        name="pics", kind="local", url="local://pics", owner=world.owner
    )
    services.create_try(
        world.case,
        parent=world.try_,
        query_template='{"query": "#$query##", "fields": ["title"]}',
        field_spec="id:id title:title thumb:img",
        endpoint=endpoint,
    )
    client = Client()
    client.force_login(world.owner)
    page = parse(client.get(reverse("cases:query", args=[world.case.pk, world.q_boots.pk])).content)
    rows = page.select("#results li.doc")
    assert len(rows) == len(THUMBS)
    shown = {}
    for row in rows:
        images = row.select("img.thumb")
        shown[row.attrs["data-doc-id"]] = images[0].attrs["src"] if images else None
    assert shown == {doc: src for doc, (_raw, src) in THUMBS.items()}
