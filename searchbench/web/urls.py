from django.contrib import admin
from django.urls import include, path, register_converter

from searchbench.api.api import api
from searchbench.web import views
from searchbench.web.ids import IdConverter

# <id:…> in the apps' patterns: registered here, before the includes below read them.
register_converter(IdConverter, "id")

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accounts/tokens/", include("searchbench.accounts.token_urls")),
    path("accounts/", include("searchbench.accounts.urls")),
    path("api/v1/", api.urls),
    path("teams/", include("searchbench.accounts.team_urls")),
    path("admin/", admin.site.urls),
    path("explain/", include("searchbench.explain.urls")),
    path("books/", include("searchbench.books.urls")),
    path("", include("searchbench.indexes.urls")),
    path("", include("searchbench.jobs.urls")),
    path("", include("searchbench.cases.urls")),
]
