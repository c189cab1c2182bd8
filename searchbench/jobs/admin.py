from django.contrib import admin

from searchbench.jobs.models import CaseSchedule, Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "case", "status", "done", "total", "failed", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = ["started_at", "finished_at", "created_at"]
    raw_id_fields = ["case", "try_ref", "created_by"]


@admin.register(CaseSchedule)
class CaseScheduleAdmin(admin.ModelAdmin):
    list_display = ["case", "nightly", "updated_at"]
    raw_id_fields = ["case", "updated_by"]
