from django.urls import path

from searchbench.indexes import views

app_name = "indexes"

urlpatterns = [
    path("indexes/", views.index_list, name="list"),
    path("indexes/new", views.index_new, name="new"),
    path("indexes/<id:index_id>/", views.index_detail, name="detail"),
    path("indexes/<id:index_id>/fields", views.index_fields, name="fields"),
    path("indexes/<id:index_id>/teams", views.index_teams, name="teams"),
    path("indexes/<id:index_id>/delete", views.index_delete, name="delete"),
]
