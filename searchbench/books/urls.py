from django.urls import path

from searchbench.books import judge_views, report_views, views
from searchbench.books.transfer_views import book_export, book_import

app_name = "books"

urlpatterns = [
    path("", views.book_list, name="list"),
    path("judges/", judge_views.judge_list, name="judges"),
    path("judges/new", judge_views.judge_new, name="judge_new"),
    path("judges/<id:judge_id>/", judge_views.judge_detail, name="judge_detail"),
    path("judges/<id:judge_id>/edit", judge_views.judge_edit, name="judge_edit"),
    path("judges/<id:judge_id>/test", judge_views.judge_test, name="judge_test"),
    path("<id:book_id>/llm", judge_views.book_llm, name="llm"),
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
    path("<id:book_id>/calibration/<id:judge_id>", report_views.calibration, name="calibration"),
]
