"""Errors in the app's forms stand beside the field they are about: the field's input says it
is invalid (aria-invalid) and points at its error list (aria-describedby → ``<id>_error``),
which sits in the field's own group, not in a message at the top of the page; errors about no
one field come first in the form. Django's form rendering (``form.as_div``) does this; these
tests hold every form of the app to it, and the try editor's template errors say where."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from searchbench.cases.forms import TryForm
from searchbench.cases.models import Try
from searchbench.cases.tests.htmlquery import Node, parse
from searchbench.cases.tests.test_views import client_for

pytestmark = pytest.mark.django_db


def error_beside(page: Node, name: str) -> str:
    """The error text of field ``name``, checked to be beside its input and announced by it."""
    inputs = [n for n in page.iter() if n.attrs.get("name") == name and n.tag != "form"]
    assert inputs, f"no input named {name!r}"
    field = inputs[0]
    error_id = f"{field.attrs['id']}_error"
    assert field.attrs.get("aria-invalid") == "true", field.attrs
    assert error_id in field.attrs.get("aria-describedby", "").split(), field.attrs
    error = page.one(f"#{error_id}")
    assert "errorlist" in error.classes
    assert error.parent is field.parent, "the error is not in the field's group"
    assert not page.select("ul.messages li.error"), "the error is (also) a page message"
    return error.text


def _post(client: Any, url: str, data: dict[str, Any]) -> Node:
    response = client.post(url, data)
    assert response.status_code == 200, response.status_code  # the form again, not a redirect
    return parse(response.content)


TRY = {"name": "", "field_spec": "id:id title:title", "rows": "10", "escape": "",
       "curator_vars": ""}  # fmt: skip


@pytest.mark.parametrize(
    ("template", "curator", "expected"),
    [
        ('{"query": "#$query##",\n "size": 10,,\n}', "", "line 2, column 13"),
        ('{"query": "#$nope##"}', "", "qOption.PATH) — line 1, column 12"),
        ('{"query": "#$query##", "boost": ##b##}', "", "##b## has no value in this try"),
        ('{"query": "#$query##", "boost": ##b##}', '{"b": "x"}', "not valid JSON"),
    ],
)
def test_the_try_editor_shows_a_template_error_at_its_line_and_column(
    world: Any, template: str, curator: str, expected: str
) -> None:
    url = reverse("cases:try_new", args=[world.case.pk])
    data = {**TRY, "query_template": template, "curator_vars": curator,
            "endpoint": str(world.endpoint.pk)}  # fmt: skip
    page = _post(client_for(world.owner), url, data)
    text = error_beside(page, "query_template")
    assert expected in text
    assert text.rstrip().endswith("^")  # a caret under the place
    assert Try.objects.filter(case=world.case).count() == 1  # nothing saved


def test_a_good_template_with_options_and_curator_variables_is_accepted(world: Any) -> None:
    url = reverse("cases:try_new", args=[world.case.pk])
    template = '{"query": "#$query##", "boost": ##b##, "filter": #$qOption.filter.terms##}'
    data = {**TRY, "query_template": template, "curator_vars": '{"b": "2"}',
            "endpoint": str(world.endpoint.pk)}  # fmt: skip
    response = client_for(world.owner).post(url, data)
    assert response.status_code == 302
    assert Try.objects.filter(case=world.case).count() == 2


def test_the_new_case_form_checks_the_first_template_too(world: Any) -> None:
    data = {"name": "c", "scorer": str(world.case.scorer_id), "endpoint": str(world.endpoint.pk),
            "query_template": '{"q": "#$qery##"}', "field_spec": "id"}  # fmt: skip
    page = _post(client_for(world.owner), reverse("cases:list"), data)
    assert "unknown placeholder #$qery##" in error_beside(page, "query_template")


def test_case_settings_endpoint_and_scorer_forms_show_errors_beside_the_field(world: Any) -> None:
    owner = client_for(world.owner)
    settings = {"name": world.case.name, "scorer": str(world.case.scorer_id),
                "unrated_queries": world.case.unrated_queries, "options": "{not json"}  # fmt: skip
    page = _post(owner, reverse("cases:settings", args=[world.case.pk]), settings)
    assert "not valid JSON" in error_beside(page, "options")

    endpoint = {"name": "e", "kind": "solr", "url": "http://solr.example/solr/x/select",
                "method": "GET", "headers": "[1, 2]", "options": "", "requests_per_minute": "0",
                "timeout": "10"}  # fmt: skip
    page = _post(owner, reverse("cases:endpoint_new"), endpoint)
    assert "expected a JSON object" in error_beside(page, "headers")

    scorer = {"name": "mine", "description": "", "scale_text": "0, 0", "labels": "",
              "code": "setScore(1)"}  # fmt: skip
    page = _post(owner, reverse("cases:scorer_new"), scorer)
    assert error_beside(page, "scale_text")


def test_errors_about_no_one_field_come_first_in_the_form(world: Any) -> None:
    form = TryForm({**TRY, "query_template": "q=#$query##"}, user=world.owner)
    form.is_valid()
    form.add_error(None, "the case changed meanwhile")
    html = parse(f"<form>{form.as_div()}</form>")
    first = html.one("form").children[0]
    assert first.tag == "ul" and {"errorlist", "nonfield"} <= first.classes
    assert first.text == "the case changed meanwhile"
