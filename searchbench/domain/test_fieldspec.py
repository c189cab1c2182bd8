from __future__ import annotations

import pytest

from searchbench.domain.fieldspec import FieldSpecError, parse_field_spec


def test_it_parses_the_quepid_example() -> None:
    spec = parse_field_spec("id:_id, title:title, overview, thumb:poster_path")
    assert spec.id == "_id"
    assert spec.title == "title"
    assert spec.subs == ["overview"]
    assert spec.thumb is not None and spec.thumb.name == "poster_path"
    assert spec.field_names() == ["_id", "title", "overview", "poster_path"]


def test_it_makes_the_first_bare_token_the_title_and_the_rest_subs() -> None:
    spec = parse_field_spec("name  description,price")
    assert (spec.id, spec.title, spec.subs) == ("id", "name", ["description", "price"])


def test_a_blank_spec_means_id_title_id_and_all_fields() -> None:
    for text in ("", "   ", None, "*"):
        spec = parse_field_spec(text)
        assert (spec.id, spec.title_field, spec.all_fields) == ("id", "id", True)


def test_it_knows_every_type_and_alias() -> None:
    spec = parse_field_spec(
        "id:sku title:name hl:body highlight:abstract f:$popularity func:rank function:x "
        "media:video translate:text_fr unabridged:full image:img sub:extra"
    )
    assert spec.id == "sku"
    assert spec.highlights == ["body", "abstract"]
    assert spec.functions == ["popularity", "rank", "x"]
    assert spec.media == ["video"]
    assert spec.translate == ["text_fr"]
    assert spec.unabridged == ["full"]
    assert spec.image is not None and spec.image.name == "img"
    assert spec.subs == ["extra"]
    assert "popularity" not in spec.field_names()


def test_it_stacks_types_on_one_field() -> None:
    spec = parse_field_spec("title:hl:name")
    assert spec.title == "name" and spec.highlights == ["name"]


def test_it_accepts_json_tokens_with_spaces_and_a_prefix() -> None:
    spec = parse_field_spec(
        'title, {"name": "poster_path", "type": "thumb", "prefix": "https://img/x, y/"} body'
    )
    assert spec.thumb is not None
    assert (spec.thumb.name, spec.thumb.prefix) == ("poster_path", "https://img/x, y/")
    assert spec.subs == ["body"]


def test_it_names_an_unknown_type_and_its_position() -> None:
    with pytest.raises(FieldSpecError, match="unknown field type 'thumbnail'") as err:
        parse_field_spec("title thumbnail:img")
    assert err.value.position == 6


def test_it_refuses_bad_json_tokens() -> None:
    with pytest.raises(FieldSpecError, match="missing '}'"):
        parse_field_spec('title {"name": "x"')
    with pytest.raises(FieldSpecError, match="\"prefix\" of field 'x' must be a string"):
        parse_field_spec('{"name": "x", "type": "thumb", "prefix": 3}')
    with pytest.raises(FieldSpecError, match="unknown field type 'pic'"):
        parse_field_spec('{"name": "x", "type": "pic"}')
    with pytest.raises(FieldSpecError, match='"name"'):
        parse_field_spec('{"type": "thumb"}')


def test_it_refuses_two_ids_and_empty_names() -> None:
    with pytest.raises(FieldSpecError, match="second id"):
        parse_field_spec("id:a id:b")
    with pytest.raises(FieldSpecError, match="names no field"):
        parse_field_spec("title:")


def test_star_among_other_fields_shows_every_field() -> None:
    spec = parse_field_spec("id:id title:name *")
    assert spec.all_fields
    assert spec.display_fields(["id", "name", "a", "b"]) == ["a", "b"]


def test_it_keeps_quepids_json_image_options() -> None:
    spec = parse_field_spec(
        'id:foo_id atitlefield {"name": "image_url", "type":"image", '
        '"prefix": "http://example.org/images", "height": 250} subfield2'
    )
    assert (spec.id, spec.title, spec.subs) == ("foo_id", "atitlefield", ["subfield2"])
    assert spec.image is not None and spec.image.name == "image_url"
    assert spec.image.options == {"prefix": "http://example.org/images", "height": 250}
