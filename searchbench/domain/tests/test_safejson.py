from __future__ import annotations

import json
import math

import pytest

from searchbench.domain import safejson
from searchbench.domain.safejson import (
    JSONLimitError,
    json_problem,
    loads,
    parse_number,
    raw_decode,
)


def test_it_parses_plain_json() -> None:
    text = '{"a": [1, 2.5, -3e2, "x]{", true, null], "b": {"c": "\\"["}}'
    assert loads(text) == json.loads(text)


@pytest.mark.parametrize(
    ("text", "words", "pos"),
    [
        ('{"a": NaN}', "NaN", 6),
        ('{"a": Infinity}', "Infinity", 6),
        ('{"a": -Infinity}', "Infinity", 6),
        ("[1e309]", "out of range", 1),
        ("[0, -1E400]", "out of range", 4),
        ("[" + "1" * 5000 + "]", "5000 characters", 1),
    ],
)
def test_it_refuses_what_json_has_no_number_for(text: str, words: str, pos: int) -> None:
    with pytest.raises(JSONLimitError, match=words) as info:
        loads(text)
    assert isinstance(info.value, json.JSONDecodeError)  # callers' JSON error handling applies
    assert info.value.pos == pos


def test_nan_inside_a_string_is_text() -> None:
    assert loads('{"NaN": "Infinity 1e999 [[["}') == {"NaN": "Infinity 1e999 [[["}


def test_it_refuses_deep_nesting_before_python_recurses() -> None:
    text = "[" * 100_000 + "]" * 100_000
    with pytest.raises(JSONLimitError, match="nested deeper than 64 levels") as info:
        loads(text)
    assert (info.value.lineno, info.value.colno) == (1, 65)
    assert loads("[" * 64 + "]" * 64) is not None


def test_it_refuses_long_texts() -> None:
    with pytest.raises(JSONLimitError, match="at most 10 characters"):
        loads('"' + "x" * 20 + '"', max_chars=10)


def test_syntax_errors_are_plain_json_errors() -> None:
    with pytest.raises(json.JSONDecodeError) as info:
        loads('{"a": }')
    assert not isinstance(info.value, JSONLimitError) and info.value.colno == 7


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"a": [1, {"b": math.nan}]}, "a[1].b: NaN is not a JSON number"),
        ({"a": math.inf}, "a: infinity is not a JSON number"),
        ({"a": 10**400}, "a: a whole number longer than 100 digits"),
        ({1: "x"}, "1: keys must be text"),
        ({"d": __import__("datetime").date(2024, 1, 2)}, "d: a date is not a JSON value"),
    ],
)
def test_json_problem_names_the_place(value: object, problem: str) -> None:
    assert (json_problem(value) or "").startswith(problem)


def test_json_problem_catches_recursive_values() -> None:
    loop: list[object] = []
    loop.append(loop)
    assert "nested deeper than" in (json_problem({"a": loop}) or "")
    assert json_problem({"a": [1, "x", None, True, 2.5, {"b": []}]}) is None
    assert safejson.MAX_DEPTH == 64


@pytest.mark.parametrize("text", ["nan", "NaN", " inf", "-Infinity", "1e309", "1" * 5000, "x", ""])
def test_parse_number_takes_finite_numbers_only(text: str) -> None:
    with pytest.raises(ValueError, match="is not a finite number"):
        parse_number(text)
    assert parse_number(" 2.5 ") == 2.5 and parse_number("-1e3") == -1000.0


def test_raw_decode_checks_only_the_embedded_value() -> None:
    text = 'title:NaN {"name": "x", "n": [1]} sub:Infinity'
    assert raw_decode(text, 10) == ({"name": "x", "n": [1]}, 33)
    with pytest.raises(JSONLimitError, match="NaN is not JSON") as info:
        raw_decode('a {"h": NaN} b', 2)
    assert info.value.pos == 8
    with pytest.raises(JSONLimitError, match="nested deeper"):
        raw_decode("x " + "{" * 100_000, 2)


# The domain's other JSON readers go through it too: their own errors, with positions.


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ('id {"name": "img", "type": "thumb", "height": ' + "[" * 100_000, "nested deeper"),
        ('id {"name": "img", "type": "thumb", "height": NaN}', "NaN is not JSON"),
        ('id {"name": "img", "height": ' + "9" * 5000 + "}", "a number of 5000"),
    ],
)
def test_field_spec_json_objects_obey_the_limits(spec: str, words: str) -> None:
    from searchbench.domain.fieldspec import FieldSpecError, parse_field_spec

    with pytest.raises(FieldSpecError, match=words):
        parse_field_spec(spec)


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ('{"q": "#$query##", "boost": NaN}', "NaN is not JSON"),
        ('{"q": "#$query##", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested deeper"),
    ],
)
def test_json_templates_obey_the_limits(template: str, words: str) -> None:
    from searchbench.domain.templating import TemplateContext, TemplateError, render_json

    with pytest.raises(TemplateError, match=words):
        render_json(template, TemplateContext(query="boots"))


def test_the_decoder_class_has_the_same_limits() -> None:
    assert json.loads('{"a": [1]}', cls=safejson.Decoder) == {"a": [1]}
    for text in ('{"a": NaN}', "[" * 100_000):
        with pytest.raises(JSONLimitError):
            json.loads(text, cls=safejson.Decoder)
