from django.urls import path

from searchbench.books import views
from searchbench.books.transfer_views import book_export, book_import

app_name = "books"

urlpatterns = [
    path("", views.book_list, name="list"),
    path("new", views.book_new, name="new"),
    path("<id:book_id>/", views.book_detail, name="detail"),
    path("<id:book_id>/settings", views.book_settings, name="settings"),
    path("<id:book_id>/populate", views.book_populate, name="populate"),
    path("<id:book_id>/sync", views.book_sync, name="sync"),
    path("<id:book_id>/judge", views.judge_next, name="judge"),
    path("<id:book_id>/judge/<id:pair_id>", views.judge_pair, name="judge_pair"),
    path("import", book_import, name="import_new"),
    path("<id:book_id>/import", book_import, name="import"),
    path("<id:book_id>/export", book_export, name="export"),
]
