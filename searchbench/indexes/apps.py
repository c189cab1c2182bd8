from django.apps import AppConfig


class IndexesConfig(AppConfig):
    name = "searchbench.indexes"
    label = "indexes"
    verbose_name = "Built-in engine indexes"
