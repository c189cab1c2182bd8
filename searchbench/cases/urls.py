from django.urls import path

from searchbench.cases import transfer_views, try_views, views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("cases/<id:case_id>/", views.case_detail, name="detail"),
    path("cases/import", transfer_views.case_import, name="import_new"),
    path("cases/<id:case_id>/history/", views.case_history, name="history"),
    path("cases/<id:case_id>/run", views.case_run, name="run"),
    path("cases/<id:case_id>/import", transfer_views.case_import, name="import"),
    path("cases/<id:case_id>/export", transfer_views.case_export, name="export"),
    path("cases/<id:case_id>/settings", views.case_settings, name="settings"),
    path("cases/<id:case_id>/queries/add", views.query_add, name="query_add"),
    path("cases/<id:case_id>/queries/<id:query_id>/", views.query_detail, name="query"),
    path(
        "cases/<id:case_id>/queries/<id:query_id>/delete", views.query_delete, name="query_delete"
    ),
    path("cases/<id:case_id>/queries/<id:query_id>/rate", views.rate, name="rate"),
    path("cases/<id:case_id>/queries/<id:query_id>/notes", views.query_notes, name="query_notes"),
    path("cases/<id:case_id>/queries/<id:query_id>/panel", views.query_panel, name="query_panel"),
    path("cases/<id:case_id>/queries/<id:query_id>/move", views.query_move, name="query_move"),
    path("cases/<id:case_id>/tries/new", views.try_new, name="try_new"),
    path("cases/<id:case_id>/tries/", try_views.try_list, name="tries"),
    path("cases/<id:case_id>/tries/<id:number>/", try_views.try_detail, name="try"),
    path("cases/<id:case_id>/tries/<id:number>/switch", try_views.try_switch, name="try_switch"),
    path(
        "cases/<id:case_id>/tries/<id:number>/duplicate",
        try_views.try_duplicate,
        name="try_duplicate",
    ),
    path("cases/<id:case_id>/tries/<id:number>/rename", try_views.try_rename, name="try_rename"),
    path("cases/<id:case_id>/compare", try_views.compare, name="compare"),
    path("cases/<id:case_id>/snapshots/new", views.snapshot_create, name="snapshot_new"),
    path(
        "cases/<id:case_id>/snapshots/<id:snapshot_id>/",
        views.snapshot_detail,
        name="snapshot",
    ),
    path(
        "cases/<id:case_id>/snapshots/<id:snapshot_id>/endpoint",
        views.snapshot_endpoint,
        name="snapshot_endpoint",
    ),
    path("scorers/", views.scorer_list, name="scorers"),
    path("scorers/new", views.scorer_edit, name="scorer_new"),
    path("scorers/test", views.scorer_test, name="scorer_test"),
    path("scorers/<id:scorer_id>/edit", views.scorer_edit, name="scorer_edit"),
    path("endpoints/", views.endpoint_list, name="endpoints"),
    path("endpoints/new", views.endpoint_edit, name="endpoint_new"),
    path("endpoints/<id:endpoint_id>/edit", views.endpoint_edit, name="endpoint_edit"),
    path("endpoints/<id:endpoint_id>/ping", views.endpoint_ping, name="endpoint_ping"),
]
