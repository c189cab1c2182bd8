from django.contrib import admin
from django.urls import include, path

from searchbench.web import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("searchbench.accounts.urls")),
    path("admin/", admin.site.urls),
    path("explain/", include("searchbench.explain.urls")),
    path("", include("searchbench.cases.urls")),
]
