from __future__ import annotations

import hashlib
import json

from searchbench.demo import corpus


def _digest(products):
    return hashlib.sha256("\n".join(corpus.iter_jsonl(products)).encode()).hexdigest()


def test_it_is_deterministic_for_a_seed():
    assert _digest(corpus.generate(300, seed=7)) == _digest(corpus.generate(300, seed=7))
    assert _digest(corpus.generate(300, seed=7)) != _digest(corpus.generate(300, seed=8))


def test_products_have_the_catalogue_fields():
    products = corpus.generate(50)
    assert len({p.id for p in products}) == 50
    for p in products:
        doc = json.loads(json.dumps(p.to_json()))
        assert set(doc) >= {"id", "title", "brand", "category", "description", "price", "image"}
        assert p.category in p.title and p.color in p.title
        assert doc["image"].startswith("data:image/svg+xml,")
        assert 9 <= p.price <= 450


def test_grades_follow_the_attributes():
    query = corpus.DemoQuery("blue waterproof jacket", "jacket", ("blue", "waterproof"), "")
    base = dict(brand="B", material="nylon", audience="unisex", description="", price=1.0, image="")
    make = lambda **kw: corpus.Product(id="x", title="t", **{**base, **kw})  # noqa: E731
    assert query.grade(make(category="tent", color="blue", features=("waterproof",))) == 0
    assert query.grade(make(category="jacket", color="red", features=())) == 1
    assert query.grade(make(category="jacket", color="blue", features=())) == 2
    assert query.grade(make(category="jacket", color="blue", features=("waterproof",))) == 3


def test_demo_queries_all_have_perfect_and_partial_answers():
    products = corpus.generate()
    truth = corpus.ground_truth(products)
    assert len(truth) == len(corpus.demo_queries()) == 20
    for text, grades in truth.items():
        assert 3 in grades.values(), text
        assert 1 in grades.values(), text
        assert all(g in (1, 2, 3) for g in grades.values())


def test_write_jsonl_round_trips(tmp_path):
    products = corpus.generate(10)
    path = corpus.write_jsonl(tmp_path / "p.jsonl", products)
    lines = path.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [p.id for p in products]
