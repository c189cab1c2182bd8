from django.apps import AppConfig


class BooksConfig(AppConfig):
    name = "searchbench.books"
    label = "books"
    verbose_name = "Judgement books"
