from __future__ import annotations

import pytest
from django.core.management import call_command

from searchbench.cases.models import SearchEndpoint, engine_kind_choices
from searchbench.engines import ENGINES


@pytest.mark.django_db
def test_models_and_migrations_agree():
    # Exits non-zero (SystemExit) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_engine_choices_come_from_the_registry():
    assert [kind for kind, _label in engine_kind_choices()] == list(ENGINES)
    field = SearchEndpoint._meta.get_field("kind")
    assert dict(field.choices) == {k: e.label for k, e in ENGINES.items()}
