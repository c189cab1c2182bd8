from __future__ import annotations

import pytest

from searchbench.domain.fieldspec import parse_field_spec
from searchbench.engines.base import EngineError, build_doc

SOURCE = {
    "sku": ["p1", "p1-old"],
    "name": "red shoe",
    "brand": {"name": "acme"},
    "img": "p1.jpg",
    "price": 10,
}


def test_it_fills_the_field_spec_roles_from_the_source() -> None:
    spec = parse_field_spec("id:sku title:name brand.name thumb:img")
    doc = build_doc(spec, 3, SOURCE, score=1.5, highlights={"name": ["red"]})
    assert (doc.id, doc.position, doc.title, doc.score, doc.thumb) == (
        "p1",
        3,
        "red shoe",
        1.5,
        "p1.jpg",
    )
    assert doc.fields == {
        "sku": ["p1", "p1-old"],
        "name": "red shoe",
        "brand.name": "acme",
        "img": "p1.jpg",
    }
    assert doc.highlights == {"name": ["red"]}


def test_each_spec_object_gets_its_own_plan_even_with_the_same_text() -> None:
    # build_doc works a plan out once per spec object; a spec with other roles must not reuse it
    first = parse_field_spec("id:sku title:name")
    assert build_doc(first, 0, SOURCE).fields == {"sku": ["p1", "p1-old"], "name": "red shoe"}
    other = parse_field_spec("id:sku title:name")
    other.title = "img"
    assert build_doc(other, 0, SOURCE).title == "p1.jpg"
    every = parse_field_spec("id:sku *")
    assert build_doc(every, 0, SOURCE).fields == SOURCE
    for _ in range(300):  # more specs than the plan cache holds: still right after it is cleared
        build_doc(parse_field_spec("id:sku title:name"), 0, SOURCE)
    assert build_doc(first, 0, SOURCE).title == "red shoe"


def test_a_missing_id_names_the_result_and_the_fields() -> None:
    with pytest.raises(EngineError, match=r"result #2 has no id field 'id' \(fields: brand, img"):
        build_doc(parse_field_spec("id:id"), 1, SOURCE)
