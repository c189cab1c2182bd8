"""Quepid custom scorers in the sandbox: the API's semantics, agreement with native, limits."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from searchbench.domain.scorers import JsScorer, RankedDoc, ScorerError, ScoringInput, get_scorer

# A custom scorer written by a Quepid user to the AP@10 definition, in Quepid's style.
AP_AT_10 = """\
var k = 10; // @Rank
var count = 0;
var totalRel = 0;
total = 0;
k = numReturned() < k ? numReturned() : k
eachDoc(function(doc, i) {
    if (hasDocRating(i) && docRating(i) > 0) {
        count++;
        total += count / (i + 1);
    }
}, k);
eachDocWithRating(function(doc) {
    if (doc.rating > 0) { totalRel++; }
});
setScore(total / totalRel);
"""

NDCG_AT_10 = """\
const k = 10;
const ideal = [];
eachDocWithRating(function (doc) { ideal.push(Math.trunc(doc.rating)); });
ideal.sort(function (a, b) { return b - a; });
function dcg(vals, n) {
  let s = 0;
  for (let i = 0; i < n && i < vals.length; i++) { s += (Math.pow(2, vals[i]) - 1) / Math.log2(i + 2); }
  return s;
}
const top = [];
eachDoc(function (doc, i) { top.push(hasDocRating(i) ? docRating(i) : 0); }, k);
const d = dcg(ideal, ideal.length);
setScore(d ? dcg(top, k) / d : 0);
"""


def random_query(rng: random.Random) -> ScoringInput:
    pool = [f"doc{i}" for i in range(rng.randint(0, 30))]
    rated = rng.sample(pool, rng.randint(0, len(pool)))
    ratings = {docid: float(rng.choice([0, 0, 1, 2, 3])) for docid in rated}
    returned = rng.sample(pool, rng.randint(0, min(len(pool), 15)))
    docs = [RankedDoc(d, {"title": d}, ratings.get(d)) for d in returned]
    return ScoringInput(docs=docs, ratings=ratings, num_found=len(returned) * 3)


def example() -> ScoringInput:
    docs = [
        RankedDoc("a", {"title": "Alpha", "year": 1999}, 3),
        RankedDoc("b", {"title": "Beta"}, None),
        RankedDoc("c", {"title": "Gamma"}, 1),
    ]
    return ScoringInput(
        docs=docs, ratings={"a": 3, "c": 1, "z": 2}, num_found=42, options={"boost": 7}
    )


MakeScorer = Callable[..., JsScorer]


@pytest.fixture
def scorer_for() -> Iterator[MakeScorer]:
    made: list[JsScorer] = []

    def make(code: str, time_limit_ms: int = 1000, memory_limit_mb: int = 64) -> JsScorer:
        scorer = JsScorer(code, time_limit_ms, memory_limit_mb)
        made.append(scorer)
        return scorer

    yield make
    for scorer in made:
        scorer.close()


@pytest.mark.parametrize(("code", "native"), [(AP_AT_10, "AP@10"), (NDCG_AT_10, "nDCG@10")])
def test_a_js_scorer_matches_the_native_one_on_500_random_queries(
    scorer_for: MakeScorer, code: str, native: str
) -> None:
    rng = random.Random(20261128)
    js = scorer_for(code)
    builtin = get_scorer(f"quepid:{native}")
    for _ in range(500):
        inp = random_query(rng)
        assert js.score(inp) == pytest.approx(builtin.score(inp), abs=1e-12), inp


def test_the_api_exposes_docs_fields_counts_and_options(scorer_for: MakeScorer) -> None:
    code = """
    var parts = [];
    eachDoc(function (doc, i) { parts.push(i + ':' + doc.id + ':' + doc.title); });
    parts.push(numFound(), numReturned(), docExistsAt(2), docExistsAt(3));
    parts.push(hasDocRating(0), hasDocRating(1), docRating(0), docRating(1), docRating(9));
    parts.push(JSON.stringify(docAt(9)), docAt(0).year, qOption('boost'), qOption('nope'));
    parts.push(topRatings(2).join('/'), avgRating(), avgRating(1), max);
    eachDocWithRating(function (d) { parts.push(d.id + '=' + d.rating); });
    eachDocWithRatingEqualTo(2, function (d) { parts.push('two:' + d.id); });
    eachRatedDoc(function (d, i) { parts.push('rated' + i + ':' + d.id); });
    throw new Error(parts.map(String).join(','));
    """
    with pytest.raises(ScorerError) as err:
        scorer_for(code).score(example())
    assert (
        "0:a:Alpha,1:b:Beta,2:c:Gamma,42,3,true,false,true,false,3,null,undefined,"
        "{},1999,7,null,3/2,2,3,3,a=3,z=2,c=1,two:z,rated0:a,rated1:c,rated2:z"
    ) in str(err.value)


def test_each_doc_defaults_to_10_and_honours_k(scorer_for: MakeScorer) -> None:
    docs = [RankedDoc(f"d{i}", {}, 1) for i in range(15)]
    inp = ScoringInput(docs=docs, ratings={}, num_found=15)
    count_default = scorer_for("var n = 0; eachDoc(function () { n++; }); setScore(n);")
    count_3 = scorer_for("var n = 0; eachDoc(function () { n++; }, 3); setScore(n);")
    assert count_default.score(inp) == 10
    assert count_3.score(inp) == 3


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("pass();", 100.0),
        ("fail();", 0.0),
        ("assert(1 === 1); setScore(0.25);", 0.25),
        ("assert(1 === 2); setScore(0.25);", 0.0),  # fail() settled first
        ("setScore(0.5); setScore(0.9); pass();", 0.5),  # the first settle wins
        ("setScore(0.5); throw new Error('ignored once settled');", 0.5),
        ("setScore(-3);", 0.0),
        ("setScore(0 / 0);", 0.0),
        ("setScore(null);", None),
        ("var x = 1;", None),
        ("assertOrScore(false, 0.3);", 0.3),
    ],
)
def test_the_score_settles_like_quepids_promise(
    scorer_for: MakeScorer, code: str, expected: Any
) -> None:
    assert scorer_for(code).score(example()) == expected


def test_a_non_number_score_is_an_error(scorer_for: MakeScorer) -> None:
    with pytest.raises(ScorerError, match="string"):
        scorer_for("setScore('high');").score(example())


def test_a_throwing_scorer_reports_the_line_in_the_users_code(scorer_for: MakeScorer) -> None:
    code = "var a = 1;\nvar b = 2;\nvar c = null;\nsetScore(c.length);\n"
    with pytest.raises(ScorerError) as err:
        scorer_for(code).score(example())
    assert err.value.line == 4
    assert "TypeError" in str(err.value) and "line 4" in str(err.value)


def test_a_syntax_error_is_reported_with_its_line_when_the_scorer_is_made() -> None:
    with pytest.raises(ScorerError) as err:
        JsScorer("var a = 1;\n\nsetScore(a +);\n")
    assert err.value.line == 3
    assert "SyntaxError" in str(err.value)


def test_an_endless_loop_is_stopped_within_the_limit(scorer_for: MakeScorer) -> None:
    scorer = scorer_for("while (true) {}", time_limit_ms=300)
    started = time.monotonic()
    with pytest.raises(ScorerError, match="time limit"):
        scorer.score(example())
    assert time.monotonic() - started < 2.0
    # The scorer is usable again: the stopped context was replaced.
    assert scorer_for("setScore(1)", time_limit_ms=300).score(example()) == 1.0


def test_a_memory_bomb_is_stopped(scorer_for: MakeScorer) -> None:
    code = "var a = [];\nwhile (true) { a.push(new Array(1e5).fill(a.length)); }"
    scorer = scorer_for(code, time_limit_ms=20000, memory_limit_mb=32)
    with pytest.raises(ScorerError, match="memory limit"):
        scorer.score(example())


def test_state_does_not_leak_between_queries(scorer_for: MakeScorer) -> None:
    code = """
    calls = typeof calls === 'undefined' ? 1 : calls + 1;   // an implicit global
    globalThis.seen = (globalThis.seen || 0) + 1;
    Array.prototype.sneaky = (Array.prototype.sneaky || 0) + 1;  // built-ins are frozen
    setScore(calls * 100 + seen * 10 + ([].sneaky === undefined ? 1 : 0));
    """
    scorer = scorer_for(code)
    assert [scorer.score(example()) for _ in range(3)] == [111.0, 111.0, 111.0]


def test_there_is_no_io(scorer_for: MakeScorer) -> None:
    for code in (
        "require('fs');",
        "fetch('http://example.com');",
        "setTimeout(function () {}, 1);",
        "new XMLHttpRequest();",
    ):
        with pytest.raises(ScorerError):
            scorer_for(code).score(example())


def test_a_compile_error_names_its_line_once() -> None:
    with pytest.raises(ScorerError) as err:
        JsScorer("var s = 0;\nsetScore(1 +);\n")
    assert err.value.line == 2
    assert str(err.value).count("(line 2)") == 1
    assert "(line" not in err.value.message


@pytest.mark.parametrize(
    "code",
    [
        "Promise.resolve().then(function () { while (true) {} });\nsetScore(1);",
        "}}}\nwhile (true) {}\n{{{",
    ],
)
def test_a_scorer_cannot_run_outside_its_time_limit(code: str) -> None:
    started = time.monotonic()
    with pytest.raises(ScorerError, match="time limit|does not compile"):
        scorer = JsScorer(code, time_limit_ms=200)
        try:
            scorer.score(example())
        finally:
            scorer.close()
    assert time.monotonic() - started < 1.5


def test_a_scorer_keeps_no_state_between_queries() -> None:
    code = "setScore(Map.leak === undefined ? 1 : 0);\nMap.leak = 1;"
    scorer = JsScorer(code)
    try:
        assert [scorer.score(example()) for _ in range(3)] == [1.0, 1.0, 1.0]
    finally:
        scorer.close()
