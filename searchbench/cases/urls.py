from django.urls import path

from searchbench.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("cases/<int:case_id>/", views.case_detail, name="detail"),
    path("cases/<int:case_id>/run", views.case_run, name="run"),
    path("cases/<int:case_id>/settings", views.case_settings, name="settings"),
    path("cases/<int:case_id>/queries/add", views.query_add, name="query_add"),
    path("cases/<int:case_id>/queries/<int:query_id>/", views.query_detail, name="query"),
    path(
        "cases/<int:case_id>/queries/<int:query_id>/delete", views.query_delete, name="query_delete"
    ),
    path("cases/<int:case_id>/queries/<int:query_id>/rate", views.rate, name="rate"),
    path("cases/<int:case_id>/queries/<int:query_id>/notes", views.query_notes, name="query_notes"),
    path("cases/<int:case_id>/tries/new", views.try_new, name="try_new"),
    path("cases/<int:case_id>/snapshots/new", views.snapshot_create, name="snapshot_new"),
    path(
        "cases/<int:case_id>/snapshots/<int:snapshot_id>/",
        views.snapshot_detail,
        name="snapshot",
    ),
    path(
        "cases/<int:case_id>/snapshots/<int:snapshot_id>/endpoint",
        views.snapshot_endpoint,
        name="snapshot_endpoint",
    ),
    path("scorers/", views.scorer_list, name="scorers"),
    path("scorers/new", views.scorer_edit, name="scorer_new"),
    path("scorers/<int:scorer_id>/edit", views.scorer_edit, name="scorer_edit"),
    path("endpoints/", views.endpoint_list, name="endpoints"),
    path("endpoints/new", views.endpoint_edit, name="endpoint_new"),
    path("endpoints/<int:endpoint_id>/edit", views.endpoint_edit, name="endpoint_edit"),
    path("endpoints/<int:endpoint_id>/ping", views.endpoint_ping, name="endpoint_ping"),
]
