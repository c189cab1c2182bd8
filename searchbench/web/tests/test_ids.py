from __future__ import annotations

import pytest

from searchbench.web.ids import MAX_ID, IdConverter, parse_id


@pytest.mark.parametrize("text", ["1", "42", str(MAX_ID)])
def test_it_reads_ids(text: str) -> None:
    assert parse_id(text) == int(text) == IdConverter().to_python(text)


@pytest.mark.parametrize(
    "value", [str(MAX_ID + 1), "9" * 23, "0", "-1", "+1", " 1", "1.0", "²", "١", "", None, 7]
)
def test_it_refuses_what_no_database_id_can_be(value: object) -> None:
    assert parse_id(value) is None
    if isinstance(value, str):
        with pytest.raises(ValueError):
            IdConverter().to_python(value)
