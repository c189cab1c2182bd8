from __future__ import annotations

import pytest

from searchbench.domain.templating import (
    TemplateContext,
    TemplateError,
    curator_variables,
    escape_lucene,
    escape_tantivy,
    keywords,
    render,
    render_json,
    render_params,
    render_query_string,
    template_kind,
    validate,
)


def ctx(query: str = "star wars", **kw: object) -> TemplateContext:
    return TemplateContext(query=query, **kw)  # type: ignore[arg-type]


def test_it_splits_solr_params_before_substituting_so_user_text_cannot_add_params() -> None:
    params = render_params("q=#$query##&defType=edismax&qf=title^2 body", ctx("a&rows=1000=x"))
    assert params == [("q", "a&rows=1000=x"), ("defType", "edismax"), ("qf", "title^2 body")]


def test_it_url_encodes_the_query_in_a_query_string() -> None:
    assert render_query_string("q=#$query##&fq=kind:film", ctx("c++ & more")) == (
        "q=c%2B%2B+%26+more&fq=kind%3Afilm"
    )


def test_it_accepts_line_breaks_and_a_leading_question_mark_between_params() -> None:
    template = "?q=#$query##\n&defType=edismax\nmm=2<75%"
    assert render_params(template, ctx("x")) == [
        ("q", "x"),
        ("defType", "edismax"),
        ("mm", "2<75%"),
    ]


def test_it_gives_keywords_split_on_spaces_and_commas_and_empty_when_missing() -> None:
    assert keywords(" star, wars  episode ") == ["star", "wars", "episode"]
    params = render_params("a=#$keyword1##&b=#$keyword2##&c=#$keyword3##", ctx("star,wars"))
    assert params == [("a", "star"), ("b", "wars"), ("c", "")]


def test_it_uses_the_default_when_a_keyword_or_option_is_missing() -> None:
    params = render_params("a=#$keyword3|none##&b=#$qOption.mm|75%##", ctx("one two"))
    assert params == [("a", "none"), ("b", "75%")]


def test_it_reads_nested_query_options() -> None:
    c = ctx("x", options={"boost": {"title": 3}})
    assert render_params("qf=title^#$qOption.boost.title##", c) == [("qf", "title^3")]


def test_it_refuses_an_option_that_is_not_set_naming_it() -> None:
    with pytest.raises(TemplateError, match="'a.b' is not set") as err:
        render_params("q=#$qOption.a.b##", ctx("x", options={"a": {}}))
    assert err.value.position == 2


def test_it_substitutes_curator_variables() -> None:
    c = ctx("x", curator_vars={"tb": 0.3})
    assert render_params("tie=##tb##", c) == [("tie", "0.3")]
    assert curator_variables("a=##x##&b=#$query##&c=##y##&d=##x##") == ["x", "y"]


def test_it_refuses_a_curator_variable_without_a_value() -> None:
    with pytest.raises(TemplateError, match="##tb##") as err:
        render_params("q=#$query##&tie=##tb##", ctx("x"))
    assert err.value.position == 16


def test_it_points_at_an_unknown_placeholder() -> None:
    with pytest.raises(TemplateError, match=r"unknown placeholder #\$qury##") as err:
        render_params("q=#$qury##", ctx())
    assert err.value.position == 2
    with pytest.raises(TemplateError):
        validate('{"q": "#$nope##"}')


def test_it_points_at_an_unterminated_placeholder() -> None:
    with pytest.raises(TemplateError, match="unterminated") as err:
        render_params("fq=a&q=#$query", ctx())
    assert err.value.position == 7


def test_it_json_escapes_the_query_inside_a_json_string() -> None:
    body = render_json('{"query": {"match": {"title": "#$query## now"}}}', ctx('say "hi" \\ there'))
    assert body == {"query": {"match": {"title": 'say "hi" \\ there now'}}}


def test_it_replaces_a_string_that_is_exactly_one_placeholder_by_the_typed_value() -> None:
    c = ctx("x", options={"size": 5, "exact": True, "filter": {"term": {"kind": "film"}}})
    body = render_json(
        '{"size": "#$qOption.size##", "exact": "#$qOption.exact##", '
        '"filter": "#$qOption.filter##", "words": "#$keyword##", "label": "n=#$qOption.size##"}',
        ctx("star wars", options=c.options),
    )
    assert body == {
        "size": 5,
        "exact": True,
        "filter": {"term": {"kind": "film"}},
        "words": ["star", "wars"],
        "label": "n=5",
    }


def test_it_types_curator_variables_outside_strings_as_written() -> None:
    body = render_json(
        '{"tie_breaker": ##tb##, "q": "#$query##"}', ctx("x", curator_vars={"tb": "0.3"})
    )
    assert body == {"tie_breaker": 0.3, "q": "x"}


def test_it_reports_invalid_json_after_substitution() -> None:
    with pytest.raises(TemplateError, match="not valid JSON"):
        render_json('{"boost": ##b##}', ctx("x", curator_vars={"b": "not a number"}))
    with pytest.raises(TemplateError, match="not valid JSON"):
        render_json('{"q": "#$query##",}', ctx("x"))


@pytest.mark.parametrize(
    ("template", "curator", "at"),
    [
        # after substitutions: the same character of the template (the second comma)
        ('{"query": "#$query##",\n "size": 10,,\n "x": ##b##}', {"b": "1"}, 35),
        # a bad value: the placeholder that put it there
        ('{"q": "#$query##", "boost": ##b##}', {"b": "not a number"}, 28),
        # before any substitution
        ('{"q" "#$query##"}', {}, 5),
    ],
)
def test_an_invalid_json_error_points_at_its_place_in_the_template(
    template: str, curator: dict[str, str], at: int
) -> None:
    with pytest.raises(TemplateError) as caught:
        render_json(template, ctx("a long query text", curator_vars=curator))
    assert caught.value.position == at, template[caught.value.position or 0 :]


def test_it_escapes_lucene_syntax_when_asked() -> None:
    assert escape_lucene('c++ a:b "q" (x) path\\') == 'c\\+\\+ a\\:b \\"q\\" \\(x\\) path\\\\'
    assert render_params("q=#$query##", ctx("a:b", escape=True)) == [("q", "a\\:b")]
    assert render_params("q=#$keyword1##", ctx("a:b c", escape=True)) == [("q", "a\\:b")]
    assert render_params("q=#$query##", ctx("a:b", escape=False)) == [("q", "a:b")]


def test_it_tells_json_templates_from_param_templates() -> None:
    assert template_kind('  {"query": 1}') == "json"
    assert template_kind("q=#$query##") == "params"
    assert render("q=#$query##", ctx("x")) == [("q", "x")]
    assert render('{"q": "#$query##"}', ctx("x")) == {"q": "x"}


def test_it_leaves_lone_hashes_alone() -> None:
    assert render_params("q=#$query## #1&fq=tag:##", ctx("x")) == [("q", "x #1"), ("fq", "tag:##")]


def test_it_refuses_a_param_without_equals_sign() -> None:
    with pytest.raises(TemplateError, match="no '='") as err:
        render_params("q=x&defType", ctx())
    assert err.value.position == 4


def test_it_escapes_slashes_pipes_and_bare_operators_for_lucene() -> None:
    assert escape_lucene("a /boat-tail/ x|y") == "a \\/boat\\-tail\\/ x\\|y"
    assert escape_lucene("wing AND OR NOT ANDY and") == "wing \\AND \\OR \\NOT ANDY and"


def test_it_escapes_tantivy_syntax_when_the_engine_says_so() -> None:
    assert escape_tantivy("biot's <b> IN TO $x") == "biot\\'s \\<b\\> \\IN \\TO \\$x"
    c = ctx("biot's", escape=True, syntax="tantivy")
    assert render_json('{"query": "#$query##"}', c) == {"query": "biot\\'s"}
