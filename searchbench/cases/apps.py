from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_scorers(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from searchbench.cases.builtins import sync_builtin_scorers

    sync_builtin_scorers(using=using)


class CasesConfig(AppConfig):
    name = "searchbench.cases"
    label = "cases"
    verbose_name = "Relevance cases"

    def ready(self) -> None:
        # After every migrate the built-in scorer rows match the registries (new scorers appear,
        # changed scales update) without a data migration per registry change.
        post_migrate.connect(_sync_scorers, sender=self, dispatch_uid="cases.sync_scorers")
