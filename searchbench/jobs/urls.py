from django.urls import path

from searchbench.jobs import views

app_name = "jobs"

urlpatterns = [
    path("jobs/<id:job_id>.json", views.job_status, name="status"),
    path("jobs/<id:job_id>/cancel", views.job_cancel, name="cancel"),
    path("cases/<id:case_id>/nightly", views.case_nightly, name="nightly"),
]
