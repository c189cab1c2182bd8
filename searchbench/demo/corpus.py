"""A deterministic outdoor-gear catalogue with known ground truth, for the demo and tests.

Every product is a category plus attributes (colour, material, features). Demo queries ask for a
category with one or two attributes; a product's grade for a query follows from what it matches:

    3  right category and every asked attribute
    2  right category and some of the attributes
    1  right category, none of the attributes
    0  another category

Descriptions mention a companion product of another category ("pairs well with a blue tent"), so
a plain keyword search ranks some wrong products high: the demo has real relevance work to do.
All words are the project's own; nothing is fetched or copied from elsewhere.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

CORPUS_VERSION = 1
DEFAULT_SEED = 20240601
DEFAULT_SIZE = 3000

CATEGORIES = (
    "boots",
    "jacket",
    "backpack",
    "tent",
    "sleeping bag",
    "headlamp",
    "water bottle",
    "trail shoes",
    "gloves",
    "socks",
    "rain pants",
    "fleece",
    "hat",
    "trekking poles",
)
COLORS = ("red", "blue", "black", "green", "orange", "grey", "yellow", "purple")
MATERIALS = ("leather", "nylon", "wool", "cotton", "polyester", "aluminium", "canvas")
FEATURES = ("waterproof", "lightweight", "insulated", "packable", "breathable", "reflective")
AUDIENCES = ("men's", "women's", "kids'", "unisex")
BRANDS = (
    "Northvale",
    "Cobaltline",
    "Ridgeway & Co",
    "Alder Finch",
    "Summitcraft",
    "Pebblebrook",
    "Tundrix",
    "Kestrel Works",
    "Mossgate",
    "Larchmont Outfitters",
)
PALETTE = {
    "red": "#c62828",
    "blue": "#1e5bb8",
    "black": "#222222",
    "green": "#2e7d32",
    "orange": "#ef6c00",
    "grey": "#7a7f87",
    "yellow": "#f2b705",
    "purple": "#6a3fa0",
}
OPENERS = (
    "Built for long days outside,",
    "Made for the weekend hiker,",
    "A trail favourite:",
    "Designed with guides in mind,",
    "Simple and sturdy,",
    "Our best seller this season,",
)
USES = (
    "alpine scrambles",
    "rainy city commutes",
    "multi-day treks",
    "family camping trips",
    "winter walks",
    "summer festivals",
    "early-morning runs",
)


@dataclass(frozen=True)
class Product:
    id: str
    title: str
    brand: str
    category: str
    color: str
    material: str
    features: tuple[str, ...]
    audience: str
    description: str
    price: float
    image: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "brand": self.brand,
            "category": self.category,
            "color": self.color,
            "material": self.material,
            "features": list(self.features),
            "audience": self.audience,
            "description": self.description,
            "price": self.price,
            "image": self.image,
        }

    def attributes(self) -> set[str]:
        return {self.color, self.material, *self.features}


@dataclass(frozen=True)
class DemoQuery:
    text: str
    category: str
    attributes: tuple[str, ...]
    information_need: str

    def grade(self, product: Product) -> int:
        if product.category != self.category:
            return 0
        hits = sum(1 for a in self.attributes if a in product.attributes())
        if hits == len(self.attributes):
            return 3
        return 2 if hits else 1


# (attributes, category). Chosen to mix easy, ambiguous and companion-polluted cases.
_QUERY_SPECS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("waterproof",), "boots"),
    (("red",), "jacket"),
    (("lightweight",), "tent"),
    (("insulated",), "gloves"),
    (("wool",), "socks"),
    (("leather",), "boots"),
    (("orange",), "backpack"),
    (("reflective",), "headlamp"),
    (("breathable",), "rain pants"),
    (("aluminium",), "water bottle"),
    (("packable",), "sleeping bag"),
    (("green", "fleece"), "fleece"),
    (("blue", "waterproof"), "jacket"),
    (("black", "lightweight"), "trail shoes"),
    (("grey", "wool"), "hat"),
    (("insulated", "purple"), "sleeping bag"),
    (("yellow", "nylon"), "backpack"),
    (("canvas", "packable"), "hat"),
    (("aluminium", "lightweight"), "trekking poles"),
    (("red", "insulated"), "boots"),
)


def demo_queries() -> list[DemoQuery]:
    queries = []
    for attributes, category in _QUERY_SPECS:
        attrs = tuple(a for a in attributes if a != category)
        text = " ".join([*attrs, category])
        need = f"Any {category}; best if " + " and ".join(attrs) + "."
        queries.append(
            DemoQuery(text=text, category=category, attributes=attrs, information_need=need)
        )
    return queries


def thumbnail(category: str, color: str) -> str:
    """A small inline SVG (data: URL): the product's colour and its category's initials."""
    initials = "".join(word[0] for word in category.split()).upper()
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="10" fill="{PALETTE[color]}"/>'
        '<text x="32" y="41" font-family="sans-serif" font-size="24" font-weight="700" '
        f'fill="#fff" text-anchor="middle">{initials}</text></svg>'
    )
    return "data:image/svg+xml," + quote(svg, safe="")


def _product(rng: random.Random, number: int) -> Product:
    category = rng.choice(CATEGORIES)
    color = rng.choice(COLORS)
    material = rng.choice(MATERIALS)
    features = tuple(sorted(rng.sample(FEATURES, k=rng.choice((0, 1, 1, 2, 2, 3)))))
    audience = rng.choice(AUDIENCES)
    brand = rng.choice(BRANDS)
    title_bits = [brand]
    if features and rng.random() < 0.7:
        title_bits.append(features[0])
    title_bits += [color, material if rng.random() < 0.5 else "", category]
    title = " ".join(b for b in title_bits if b)
    companion = rng.choice([c for c in CATEGORIES if c != category])
    companion_color = rng.choice(COLORS)
    feature_text = (
        f"It is {', '.join(features[:-1]) + ' and ' + features[-1] if len(features) > 1 else features[0]}."
        if features
        else "No frills, just a dependable design."
    )
    description = (
        f"{rng.choice(OPENERS)} this {audience} {category} by {brand} is made of {material} "
        f"in {color}. {feature_text} Great for {rng.choice(USES)}. "
        f"Pairs well with our {companion_color} {companion}."
    )
    price = round(rng.uniform(9, 450), 2)
    return Product(
        id=f"P{number:05d}",
        title=title,
        brand=brand,
        category=category,
        color=color,
        material=material,
        features=features,
        audience=audience,
        description=description,
        price=price,
        image=thumbnail(category, color),
    )


def generate(size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED) -> list[Product]:
    """The same products for the same (size, seed), on every machine and Python >= 3.11."""
    rng = random.Random(seed)
    return [_product(rng, n) for n in range(1, size + 1)]


def ground_truth(
    products: list[Product], queries: list[DemoQuery] | None = None
) -> dict[str, dict[str, int]]:
    """{query text: {product id: grade}} for every product graded above 0."""
    truth: dict[str, dict[str, int]] = {}
    for query in queries if queries is not None else demo_queries():
        graded = {p.id: query.grade(p) for p in products}
        truth[query.text] = {pid: g for pid, g in graded.items() if g > 0}
    return truth


def iter_jsonl(products: list[Product]) -> Iterator[str]:
    for product in products:
        yield json.dumps(product.to_json(), ensure_ascii=False, sort_keys=True)


def write_jsonl(path: Path, products: list[Product]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for line in iter_jsonl(products):
            fh.write(line + "\n")
    tmp.replace(path)
    return path
