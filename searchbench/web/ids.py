"""Database ids from paths and query strings, parsed in one place.

A value is an id only if every database can hold it: ASCII digits, 1 to 2**63 - 1. Anything else
is no id — the caller answers 404 — never an OverflowError from the database driver
(``?snapshot=99999999999999999999999``) or a ValueError from ``int()`` (``"²".isdigit()`` is true).
Path segments go through :class:`IdConverter` (``<id:case_id>``), query strings through
:func:`parse_id`.
"""

from __future__ import annotations

import re

MAX_ID = 2**63 - 1  # a BigAutoField, signed 64 bits on every backend
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(value: object) -> int | None:
    """The id ``value`` spells, or None when it spells none a database could hold."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


class IdConverter:
    """``<id:name>`` in a URL pattern: digits that parse_id accepts, else no match (a 404)."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:  # ValueError tells Django the route does not match: a 404
            raise ValueError(f"{value[:30]} is not a database id")
        return number

    def to_url(self, value: int) -> str:
        return str(value)
