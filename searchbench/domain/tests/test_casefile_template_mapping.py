"""A JSON template may be written as YAML: `try.template` as a mapping becomes the JSON text.

Placeholders live in its string values, as in a JSON template; errors name their own line.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from searchbench.domain.casefile import CaseFileError, load_case
from searchbench.domain.templating import TemplateContext, render_json

HEAD = """\
case: Mapping
endpoint: {engine: elasticsearch, url: "http://localhost:9200/products"}
"""
TAIL = """\
scorer: nDCG@10
queries:
  - boundary layer
"""


def load(tmp_path: Path, try_section: str) -> object:
    path = tmp_path / "case.yaml"
    path.write_text(HEAD + textwrap.dedent(try_section).lstrip() + TAIL)
    return load_case(path)


def test_a_mapping_is_the_json_template(tmp_path: Path) -> None:
    case = load(
        tmp_path,
        """
        try:
          template:
            query:
              multi_match:
                query: "#$query##"
                fields: ["title^2", body]
                tie_breaker: "##tie##"
            size: 10
            _source: true
          curator_vars: {tie: 0.3}
        """,
    )
    template = case.try_.template  # type: ignore[attr-defined]
    assert json.loads(template) == {
        "query": {
            "multi_match": {
                "query": "#$query##",
                "fields": ["title^2", "body"],
                "tie_breaker": "##tie##",
            }
        },
        "size": 10,
        "_source": True,
    }
    body = render_json(template, TemplateContext('say "hi" \\ there', curator_vars={"tie": 0.3}))
    # The query stays one JSON string, quotes and all; a lone placeholder gets its typed value.
    assert body["query"]["multi_match"]["query"] == 'say "hi" \\ there'
    assert body["query"]["multi_match"]["tie_breaker"] == 0.3


def test_placeholders_inside_longer_strings_still_work(tmp_path: Path) -> None:
    case = load(
        tmp_path,
        """
        try:
          template: {query: "title:(#$query##) OR #$keyword1##", fields: [title]}
        """,
    )
    body = render_json(case.try_.template, TemplateContext("flat plate"))  # type: ignore[attr-defined]
    assert body == {"query": "title:(flat plate) OR flat", "fields": ["title"]}


def test_anchors_and_merge_keys_work_as_in_the_rest_of_the_file(tmp_path: Path) -> None:
    case = load(
        tmp_path,
        """
        options: {common: &common {fields: [title], operator: and}}
        try:
          template:
            <<: *common
            query: "#$query##"
        """,
    )
    assert json.loads(case.try_.template) == {  # type: ignore[attr-defined]
        "fields": ["title"],
        "operator": "and",
        "query": "#$query##",
    }


def test_the_line_of_a_bad_placeholder_is_its_own(tmp_path: Path) -> None:
    with pytest.raises(CaseFileError) as err:
        load(
            tmp_path,
            """
            try:
              template:
                query: "#$query##"
                fields:
                  - title
                  - "#$qurey##"
            """,
        )
    assert str(err.value).startswith(
        f"{tmp_path / 'case.yaml'}:8: try.template.fields[1]: unknown placeholder #$qurey##"
    )


def test_an_unquoted_placeholder_is_named_not_sent_as_null(tmp_path: Path) -> None:
    # YAML reads `query: #$query##` as an empty value and a comment.
    with pytest.raises(CaseFileError) as err:
        load(
            tmp_path,
            """
            try:
              template:
                fields: [title]
                query: #$query##
            """,
        )
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'case.yaml'}:6: try.template.query: no value")
    assert 'quote it, e.g. query: "#$query##"' in message


def test_values_must_be_json(tmp_path: Path) -> None:
    with pytest.raises(
        CaseFileError, match=r"case.yaml:5: try.template: min_score: NaN is not a JSON number"
    ):
        load(
            tmp_path,
            """
            try:
              template:
                query: "#$query##"
                min_score: .nan
            """,
        )


def test_text_templates_are_unchanged(tmp_path: Path) -> None:
    case = load(tmp_path, """try: {template: '{"query": "#$query##"}'}\n""")
    assert case.try_.template == '{"query": "#$query##"}'  # type: ignore[attr-defined]
