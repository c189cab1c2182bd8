from django.contrib import admin

from searchbench.cases.models import (
    Case,
    Query,
    Rating,
    ScoreHistory,
    Scorer,
    SearchEndpoint,
    Snapshot,
    StaticResultSet,
    Try,
)


@admin.register(SearchEndpoint)
class SearchEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "url", "owner"]
    list_filter = ["kind"]
    search_fields = ["name", "url"]
    # password_encrypted is not editable: credentials change through the endpoint form only.


@admin.register(StaticResultSet)
class StaticResultSetAdmin(admin.ModelAdmin):
    """Where the operator assigns an owner to a set imported without one (or renamed hands)."""

    list_display = ["name", "owner", "updated_at"]
    search_fields = ["name"]
    filter_horizontal = ["teams"]


@admin.register(Scorer)
class ScorerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "scale"]
    list_filter = ["kind"]
    search_fields = ["name"]


class TryInline(admin.TabularInline):
    model = Try
    fk_name = "case"
    extra = 0
    fields = ["number", "name", "endpoint", "rows"]
    readonly_fields = ["number"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "scorer", "public", "archived", "updated_at"]
    list_filter = ["archived", "public"]
    search_fields = ["name"]
    inlines = [TryInline]


@admin.register(Query)
class QueryAdmin(admin.ModelAdmin):
    list_display = ["text", "case", "position"]
    search_fields = ["text"]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["query", "doc_id", "rating", "rated_by", "rated_at"]
    search_fields = ["doc_id"]


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["name", "case", "score", "created_at"]


@admin.register(ScoreHistory)
class ScoreHistoryAdmin(admin.ModelAdmin):
    list_display = ["case", "scorer_name", "score", "trigger", "created_at"]
    list_filter = ["trigger"]
