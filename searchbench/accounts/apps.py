from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "searchbench.accounts"
    label = "accounts"
    verbose_name = "Accounts and teams"
