from django.apps import AppConfig


class ExplainConfig(AppConfig):
    name = "searchbench.explain"
    label = "explain"
    verbose_name = "Score explanations"
