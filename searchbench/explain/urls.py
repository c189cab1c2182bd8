from django.urls import path

from searchbench.explain import views

app_name = "explain"

# Doc ids go in the query string (?doc=…): they may contain slashes or anything else.
urlpatterns = [
    path("cases/<id:case_id>/queries/<id:query_id>/", views.query_explain, name="query"),
    path("cases/<id:case_id>/queries/<id:query_id>/doc", views.doc_explain, name="doc"),
    path("cases/<id:case_id>/queries/<id:query_id>/compare", views.compare_docs, name="compare"),
    path("cases/<id:case_id>/queries/<id:query_id>/moved", views.doc_moved, name="moved"),
]
