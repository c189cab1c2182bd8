from __future__ import annotations

import pytest

from searchbench.cases.builtins import MEASURE_SCORERS, sync_builtin_scorers
from searchbench.cases.models import Scorer
from searchbench.domain.scorers import SCORERS
from searchbench.domain.scoring import ScorerRef, check_scorer


@pytest.mark.django_db
def test_every_registry_scorer_has_a_row_after_migrate():
    names = set(Scorer.objects.filter(kind="builtin").values_list("name", flat=True))
    assert names == set(SCORERS) | set(MEASURE_SCORERS)
    for name in names:
        check_scorer(name)  # score_case accepts every built-in row's name


@pytest.mark.django_db
def test_sync_restores_scale_and_labels_and_is_idempotent():
    row = Scorer.objects.get(name="quepid:P@10")
    row.scale = [0, 5]
    row.save()
    assert sync_builtin_scorers() == 1
    row.refresh_from_db()
    assert row.scale == [0.0, 1.0]
    assert row.scale_with_labels()[0][0] == 0.0
    assert sync_builtin_scorers() == 0


@pytest.mark.django_db
def test_custom_scorers_are_handed_over_as_code_and_builtins_by_name():
    custom = Scorer.objects.create(name="mine", kind="custom", scale=[0, 1], code="setScore(1);")
    assert custom.ref == ScorerRef.javascript("setScore(1);", "mine")
    assert Scorer.objects.get(name="nDCG@10").ref == ScorerRef("measure", "nDCG@10")
    assert Scorer.objects.get(name="quepid:AP@10").ref == ScorerRef("quepid", "quepid:AP@10")
