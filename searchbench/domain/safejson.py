"""JSON and numbers typed by people (form fields, templates, field specs), read with limits.

Python's ``json`` module is generous where that hurts a server: it accepts ``NaN`` and
``Infinity`` (not JSON — databases' JSON columns, JavaScript's ``JSON.parse`` and PostgreSQL
refuse them, so they fail later, far from the form), turns ``1e999`` into infinity, recurses once
per nesting level (100,000 levels: RecursionError) and builds ints of any length (past 4,300
digits: a bare ValueError). :func:`loads` refuses all of these up front with a
:class:`JSONLimitError` — a ``json.JSONDecodeError``, so every caller's handling of bad JSON (and
its line and column) applies unchanged. :func:`parse_number` is the same rule for one number
(a rating, a scale value): ``float()`` takes ``nan``, ``inf`` and ``1e309``.

:func:`json_problem` applies the same rules to a value that was not read from JSON text (options
from a YAML case file), since it becomes JSON later.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64  # nesting levels; real options and query DSLs stay far below
MAX_CHARS = 2_000_000  # a little under Django's request-body limit (2.5 MB)
MAX_NUMBER_CHARS = 100  # JavaScript keeps 17 significant digits; 100 characters is generous

# What matters outside strings: strings themselves (skipped, so '"[NaN"' is text), the non-JSON
# constants, numbers and brackets. Everything else (commas, true, …) is left to json.loads.
_TOKEN = re.compile(
    r'"[^"\\]*(?:\\.[^"\\]*)*"?|-?(?:NaN|Infinity)|[-0-9][-+.0-9eE]*|[\[\]{}]', re.DOTALL
)


class JSONLimitError(json.JSONDecodeError):
    """JSON that parses in Python but is refused here (NaN, huge numbers, deep nesting, size)."""


def loads(text: str, *, max_depth: int = MAX_DEPTH, max_chars: int = MAX_CHARS) -> Any:
    """``json.loads`` of text a person typed; raises json.JSONDecodeError (a JSONLimitError for
    the limits), never RecursionError or a bare ValueError."""
    if len(text) > max_chars:
        raise JSONLimitError(
            f"the text is {len(text):,} characters long; at most {max_chars:,} characters",
            text,
            max_chars,
        )
    _check_tokens(text, max_depth)
    return json.loads(text)


def raw_decode(text: str, start: int = 0, *, max_depth: int = MAX_DEPTH) -> tuple[Any, int]:
    """``json.JSONDecoder().raw_decode`` with the limits of :func:`loads`: the JSON value that
    starts at ``start`` and the index where it ends (for JSON embedded in other text)."""
    _check_tokens(text, max_depth, start, whole=False)
    return _DECODER.raw_decode(text, start)


class Decoder(json.JSONDecoder):
    """A ``json.JSONDecoder`` with the limits of :func:`loads` (but no size limit), for code that
    takes a decoder class, such as Django's ``forms.JSONField`` in the admin."""

    def decode(self, s: str, *args: Any, **kwargs: Any) -> Any:
        _check_tokens(s, MAX_DEPTH)
        return super().decode(s, *args, **kwargs)


_DECODER = json.JSONDecoder()


def _check_tokens(text: str, max_depth: int, start: int = 0, *, whole: bool = True) -> None:
    """Raise JSONLimitError at the first thing over a limit; with ``whole`` False, stop where the
    value that starts at ``start`` ends."""
    depth = 0
    seen = False
    for m in _TOKEN.finditer(text, start):
        if not whole and depth == 0 and seen:
            return
        seen = True
        token = m.group()
        first = token[0]
        if first == '"':
            continue
        if first in "[{":
            depth += 1
            if depth > max_depth:
                raise JSONLimitError(f"nested deeper than {max_depth} levels", text, m.start())
        elif first in "]}":
            depth = max(0, depth - 1)
        elif token.lstrip("-") in ("NaN", "Infinity"):
            raise JSONLimitError(
                f"{token} is not JSON (JSON has no NaN or infinity; use null or a number)",
                text,
                m.start(),
            )
        elif len(token) > MAX_NUMBER_CHARS:
            raise JSONLimitError(
                f"a number of {len(token)} characters; at most {MAX_NUMBER_CHARS}",
                text,
                m.start(),
            )
        elif any(c in token for c in ".eE") and _is_infinite(token):
            raise JSONLimitError(f"the number {token} is out of range", text, m.start())


def _is_infinite(token: str) -> bool:
    try:
        return math.isinf(float(token))
    except ValueError:
        return False  # not a number at all: json.loads says so, with its own position


def parse_number(text: str) -> float:
    """A finite number typed as text; ValueError ("'nan' is not a finite number") otherwise."""
    stripped = text.strip()
    try:
        value = float(stripped) if len(stripped) <= MAX_NUMBER_CHARS else math.inf
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        shown = stripped if len(stripped) <= 30 else stripped[:20] + "…"
        raise ValueError(f"{shown!r} is not a finite number")
    return value


def json_problem(value: Any, max_depth: int = MAX_DEPTH) -> str | None:
    """Why ``value`` is not a JSON value within the limits (``"a.b[2]: NaN is not a JSON
    number"``), or None. Catches recursive values (they nest past ``max_depth``)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        where = path or "the value"
        if isinstance(item, dict | list) and depth >= max_depth:
            return f"{where}: nested deeper than {max_depth} levels"
        if isinstance(item, dict):
            children = []
            for key, sub in item.items():
                if not isinstance(key, str):
                    return f"{_join(path, str(key))}: keys must be text, got {key!r}"
                children.append((sub, _join(path, key), depth + 1))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(sub, f"{path}[{i}]", depth + 1) for i, sub in enumerate(item)]))
        elif item is None or isinstance(item, str | bool):
            continue
        elif isinstance(item, int):
            if item.bit_length() > MAX_NUMBER_CHARS * 3.33:
                return f"{where}: a whole number longer than {MAX_NUMBER_CHARS} digits"
        elif isinstance(item, float):
            if not math.isfinite(item):
                name = "NaN" if math.isnan(item) else "infinity"
                return f"{where}: {name} is not a JSON number (use null or a number)"
        else:
            kind = type(item).__name__
            return f"{where}: a {kind} is not a JSON value (quote it to make it text)"
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
