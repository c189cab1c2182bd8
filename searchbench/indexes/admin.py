from django.contrib import admin

from searchbench.indexes.models import LocalIndex


@admin.register(LocalIndex)
class LocalIndexAdmin(admin.ModelAdmin):
    """Where the operator assigns an owner to an index built without one (or hands it over)."""

    list_display = ["name", "owner", "updated_at"]
    search_fields = ["name"]
    filter_horizontal = ["teams"]
