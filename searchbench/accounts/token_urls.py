from django.urls import path

from searchbench.accounts import token_views

app_name = "tokens"

urlpatterns = [
    path("", token_views.token_list, name="list"),
    path("<id:token_id>/revoke", token_views.token_revoke, name="revoke"),
]
