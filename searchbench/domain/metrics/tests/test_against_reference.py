"""Random qrels and runs (ids of mixed lengths, score ties, unjudged docs) against a plain-Python
re-statement of trec_eval's definitions, written here independently of the numpy code."""

from __future__ import annotations

import math
import random

import pytest

from searchbench.domain.metrics import evaluate


def ranked_grades(judged: dict[str, int], scored: dict[str, float]) -> list[int | None]:
    order = sorted(scored, key=lambda d: (scored[d], d.encode()), reverse=True)
    return [judged.get(d) for d in order]


def reference(judged: dict[str, int], scored: dict[str, float], k: int) -> dict[str, float]:
    grades = ranked_grades(judged, scored)
    rel = [g is not None and g >= 1 for g in grades]
    num_rel = sum(1 for g in judged.values() if g >= 1)
    hits, ap = 0, 0.0
    for i, r in enumerate(rel):
        if r:
            hits += 1
            ap += hits / (i + 1)
    first = next((i for i, r in enumerate(rel) if r), None)
    gains = [max(g or 0, 0) for g in grades]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains[:k]))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return {
        f"P_{k}": sum(rel[:k]) / k,
        "map": ap / num_rel if num_rel else 0.0,
        "recip_rank": 1 / (first + 1) if first is not None else 0.0,
        f"ndcg_cut_{k}": dcg / idcg if idcg else 0.0,
        f"recall_{k}": sum(rel[:k]) / num_rel if num_rel else 0.0,
    }


@pytest.mark.parametrize("seed", range(8))
def test_random_cases_match_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    pool = [
        ("d" * rng.randint(1, 3)) + str(rng.randint(0, 10 ** rng.randint(1, 9))) for _ in range(300)
    ]
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for q in range(25):
        docs = rng.sample(pool, 60)
        qrels[f"q{q}"] = {d: rng.choice([-1, 0, 0, 1, 2, 3]) for d in docs[: rng.randint(1, 30)]}
        run[f"q{q}"] = {d: float(rng.randint(0, 8)) for d in docs[rng.randint(0, 10) :]}
    k = rng.choice([1, 5, 10, 20])
    names = [f"P_{k}", "map", "recip_rank", f"ndcg_cut_{k}", f"recall_{k}"]
    ev = evaluate(qrels, run, names)
    for qid in qrels:
        expected = reference(qrels[qid], run[qid], k)
        for name in names:
            assert ev.per_query[name][qid] == pytest.approx(expected[name], abs=1e-12), (qid, name)
