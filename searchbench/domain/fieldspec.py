"""Field specs in Quepid's syntax: which fields of a result doc to fetch and how to show them.

``id:_id, title:title, overview, thumb:poster_path`` — tokens are split on spaces or commas; a token
is ``type:field`` (several types may be stacked: ``title:hl:name``), a bare field (the title if there
is none yet, else a sub field), ``*`` (all fields as subs), or a JSON object such as
``{"name": "poster_path", "type": "thumb", "prefix": "https://img.example/", "height": 250}`` for
display options (as Quepid: every key besides name and type is an option of that field). A blank spec means ``id:id title:id *``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from searchbench.domain import safejson
from searchbench.domain.errors import PositionedError

# type name -> canonical type. The aliases follow Quepid.
FIELD_TYPES: dict[str, str] = {
    "id": "id",
    "title": "title",
    "thumb": "thumb",
    "image": "image",
    "media": "media",
    "translate": "translate",
    "unabridged": "unabridged",
    "highlight": "highlight",
    "hl": "highlight",
    "function": "function",
    "func": "function",
    "f": "function",
    "sub": "sub",
}

DEFAULT_SPEC = "id:id title:id *"
# Options of a JSON field token that we check; other keys are kept as they are (Quepid passes
# them to the UI, e.g. width).
_OPTION_TYPES: dict[str, tuple[type, ...]] = {
    "prefix": (str,),
    "label": (str,),
    "height": (int, float),
    "width": (int, float),
}


class FieldSpecError(PositionedError):
    """A field spec that cannot be parsed; ``position`` is a 0-based offset into it."""


@dataclass(frozen=True)
class FieldRef:
    """One field of the spec with its display role."""

    name: str
    type: str
    prefix: str = ""  # prepended to thumb/image values that are relative paths
    label: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # every JSON key but name and type


@dataclass
class FieldSpec:
    text: str
    id: str = "id"
    title: str | None = None
    thumb: FieldRef | None = None
    image: FieldRef | None = None
    media: list[str] = field(default_factory=list)
    translate: list[str] = field(default_factory=list)
    unabridged: list[str] = field(default_factory=list)
    highlights: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    subs: list[str] = field(default_factory=list)
    all_fields: bool = False  # `*`: every stored field is shown as a sub
    refs: list[FieldRef] = field(default_factory=list)

    @property
    def title_field(self) -> str:
        return self.title or self.id

    def field_names(self) -> list[str]:
        """Source fields to fetch, without duplicates, id first. Functions are not fields."""
        names: list[str] = [self.id]
        for ref in self.refs:
            if ref.type != "function" and ref.name not in names:
                names.append(ref.name)
        if self.title_field not in names:
            names.append(self.title_field)
        return names

    def fetch_all(self) -> bool:
        return self.all_fields

    def display_fields(self, available: list[str]) -> list[str]:
        """Sub fields to show for a doc that has ``available`` fields (``*`` expands to them)."""
        shown = {self.id, self.title_field}
        if self.all_fields:
            return [f for f in available if f not in shown]
        return [f for f in self.subs if f not in shown]


def _tokens(text: str) -> list[tuple[str, int]]:
    """Split on spaces/commas, keeping ``{…}`` JSON objects (with their spaces) whole."""
    out: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch == ",":
            i += 1
            continue
        start = i
        if ch == "{":
            try:
                _obj, i = safejson.raw_decode(text, start)
            except json.JSONDecodeError as exc:
                if exc.pos >= n:
                    raise FieldSpecError(
                        "unterminated JSON field object: missing '}'", start
                    ) from None
                raise FieldSpecError(f"bad JSON field object: {exc.msg}", exc.pos) from None
        else:
            while i < n and not (text[i].isspace() or text[i] == ","):
                i += 1
        out.append((text[start:i], start))
    return out


def _parse_json_token(token: str, pos: int) -> FieldRef:
    try:
        obj: Any = json.loads(token)
    except json.JSONDecodeError as exc:
        raise FieldSpecError(f"bad JSON field object: {exc.msg}", pos + exc.pos) from None
    if not isinstance(obj, dict):
        raise FieldSpecError("a JSON field must be an object", pos)
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        raise FieldSpecError('a JSON field needs a "name" string', pos)
    kind = obj.get("type", "sub")
    if not isinstance(kind, str) or kind not in FIELD_TYPES:
        raise FieldSpecError(f"unknown field type {kind!r} (known: {_known()})", pos)
    options = {k: v for k, v in obj.items() if k not in ("name", "type")}
    for key, types in _OPTION_TYPES.items():
        if key in options and (
            not isinstance(options[key], types) or isinstance(options[key], bool)
        ):
            wanted = "a string" if types == (str,) else "a number"
            raise FieldSpecError(f'"{key}" of field {name!r} must be {wanted}', pos)
    return FieldRef(
        name, FIELD_TYPES[kind], options.get("prefix", ""), options.get("label"), options
    )


def _known() -> str:
    return ", ".join(FIELD_TYPES)


def parse_field_spec(text: str | None) -> FieldSpec:
    """Parse a field spec; raise FieldSpecError naming the bad token and its position."""
    source = text if text and text.strip() else DEFAULT_SPEC
    tokens = _tokens(source)
    if tokens and tokens[0][0] == "*":
        source, tokens = DEFAULT_SPEC, _tokens(DEFAULT_SPEC)  # Quepid: a leading * is the default
    spec = FieldSpec(text=source)
    id_set = False
    for token, pos in tokens:
        if token.startswith("{"):
            refs = [_parse_json_token(token, pos)]
        elif token == "*":
            spec.all_fields = True
            continue
        else:
            parts = token.split(":")
            name = parts[-1]
            if not name:
                raise FieldSpecError(f"{token!r} names no field after ':'", pos)
            kinds = parts[:-1]
            if not kinds:
                kinds = ["sub" if spec.title is not None else "title"]
            refs = []
            for kind in kinds:
                if kind not in FIELD_TYPES:
                    raise FieldSpecError(
                        f"unknown field type {kind!r} in {token!r} (known: {_known()})", pos
                    )
                refs.append(
                    FieldRef(
                        name.removeprefix("$") if FIELD_TYPES[kind] == "function" else name,
                        FIELD_TYPES[kind],
                    )
                )
        for ref in refs:
            _add(spec, ref, pos, id_set)
            if ref.type == "id":
                id_set = True
    return spec


def _add(spec: FieldSpec, ref: FieldRef, pos: int, id_set: bool) -> None:
    kind = ref.type
    if kind == "id":
        if id_set:
            raise FieldSpecError(f"a second id field {ref.name!r}: a spec has one id", pos)
        spec.id = ref.name
    elif kind == "title":
        if spec.title is None:
            spec.title = ref.name
        else:
            spec.subs.append(ref.name)
    elif kind in ("thumb", "image"):
        if getattr(spec, kind) is None:
            setattr(spec, kind, ref)
    elif kind == "highlight":
        spec.highlights.append(ref.name)
    elif kind == "function":
        spec.functions.append(ref.name)
    elif kind == "sub":
        if ref.name == "*":
            spec.all_fields = True
            return
        spec.subs.append(ref.name)
    else:
        getattr(spec, kind).append(ref.name)
    spec.refs.append(ref)
