"""A tiny HTML selector helper for view tests (stdlib html.parser; no lxml, no bs4).

Supports selectors made of ``tag``, ``#id``, ``.class`` and ``[attr]`` / ``[attr=value]`` parts,
joined by spaces (descendant). Enough to assert on structure instead of matching strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
_PART = re.compile(r"([a-zA-Z][\w-]*)|#([\w-]+)|\.([\w-]+)|\[([\w-]+)(?:=\"?([^\]\"]*)\"?)?\]")


@dataclass(eq=False)  # identity: nodes link to their parent, field equality would recurse
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        parts = list(self.texts)
        for child in self.children:
            parts.append(child.text)
        return " ".join(" ".join(parts).split())

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def iter(self) -> list[Node]:
        out: list[Node] = []
        for child in self.children:
            out.append(child)
            out.extend(child.iter())
        return out

    def select(self, selector: str) -> list[Node]:
        steps = [_compile(s) for s in selector.split()]
        found = [self]
        for step in steps:
            seen: list[Node] = []
            for node in found:
                for desc in node.iter():
                    if step(desc) and desc not in seen:
                        seen.append(desc)
            found = seen
        return found

    def one(self, selector: str) -> Node:
        found = self.select(selector)
        assert len(found) == 1, f"{selector!r}: expected one element, found {len(found)}"
        return found[0]


def _attr_is(name: str, value: str | None) -> Callable[[Node], bool]:
    if value is None:
        return lambda node: name in node.attrs
    return lambda node: node.attrs.get(name) == value


def _tag_is(tag: str) -> Callable[[Node], bool]:
    return lambda node: node.tag == tag


def _has_class(cls: str) -> Callable[[Node], bool]:
    return lambda node: cls in node.classes


def _compile(simple: str) -> Callable[[Node], bool]:
    tests: list[Callable[[Node], bool]] = []
    for tag, id_, cls, attr, value in _PART.findall(simple):
        if tag:
            tests.append(_tag_is(tag.lower()))
        elif id_:
            tests.append(_attr_is("id", id_))
        elif cls:
            tests.append(_has_class(cls))
        elif attr:
            tests.append(_attr_is(attr, value or None))
    return lambda node: all(test(node) for test in tests)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.current.texts.append(data)


def parse(html: str | bytes) -> Node:
    builder = _Builder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    builder.close()
    return builder.root
