"""The built-in engine reads `computer-ready` as Lucene's classic query parser does: its terms,
joined with the operator (autoGeneratePhraseQueries=false, Lucene's default since 4.0), not a
phrase as tantivy's QueryParser would; quoted phrases stay phrases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchbench.engines import EndpointConfig, QueryContext, TryConfig, make_engine
from searchbench.engines.local import create_index
from searchbench.engines.local.query import split_compound_words

DOCS = [
    {"id": "adjacent", "body": "a computer ready to fly, e.g. a glider; boundary layer"},
    {
        "id": "apart",
        "body": "ready for the wind tunnel: a computer; g and e; layer on the boundary",
    },
    {"id": "computer", "body": "a computer, nothing else; e only; boundary"},
    {"id": "neither", "body": "lift and drag"},
]


@pytest.fixture
def index(tmp_path: Path, data_dir: Path) -> str:
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    create_index("tiny", source, "id", ["body"])
    return "tiny"


def found(query: str, operator: str = "or", escape: bool = True) -> set[str]:
    engine = make_engine(EndpointConfig(kind="local", url="local://tiny"))
    template = json.dumps({"query": "#$query##", "operator": operator})
    result = engine.search(QueryContext(query), TryConfig(template=template, escape=escape))
    assert result.error is None, result.error
    return {d.id for d in result.docs}


@pytest.mark.parametrize("query", ["computer-ready", "e.g.", "boundary-layer"])
def test_a_split_word_is_any_of_its_terms_with_operator_or(index: str, query: str) -> None:
    # A phrase would find "adjacent" alone.
    assert found(query) == {"adjacent", "apart", "computer"}


@pytest.mark.parametrize("query", ["computer-ready", "e.g.", "boundary-layer"])
def test_a_split_word_is_all_of_its_terms_with_operator_and(index: str, query: str) -> None:
    assert found(query, operator="and") == {"adjacent", "apart"}


def test_the_same_without_escaping_and_a_quoted_phrase_stays_a_phrase(index: str) -> None:
    assert found("computer-ready", escape=False) == {"adjacent", "apart", "computer"}
    assert found('"computer-ready"', escape=False) == {"adjacent"}
    assert found("body:boundary-layer^2 -ready-to-fly", escape=False) == {"computer"}


@pytest.mark.parametrize(
    ("text", "rewritten"),
    [
        ("computer\\-ready", "(computer ready)"),  # as the template's escaping sends it
        ("e\\.g\\.", "(e g)"),
        ("title:boundary-layer^2", "title:(boundary layer)^2"),
        ("+computer-ready -e.g.", "+(computer ready) -(e g)"),
        ("NOT boundary-layer", "NOT (boundary layer)"),
        ("rock-AND-roll", "(rock \\AND roll)"),  # a term that is an operator stays a term
        # unchanged: one term, phrases, ranges, boosts, the user's own syntax
        ("flat plate", "flat plate"),
        ("c\\+\\+", "c\\+\\+"),
        ('"computer-ready"~2', '"computer-ready"~2'),
        ("'e.g.'", "'e.g.'"),
        ("title:[a-b TO c-d]", "title:[a-b TO c-d]"),
        ("title: IN [x-y z]", "title: IN [x-y z]"),
        ("wing^1.5", "wing^1.5"),
        ("comp*-x a~2", "comp*-x a~2"),
        ("title:(wing", "title:(wing"),  # tantivy still reports the unbalanced parenthesis
    ],
)
def test_only_split_words_are_rewritten(text: str, rewritten: str) -> None:
    assert split_compound_words(text) == rewritten
