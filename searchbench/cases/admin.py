from typing import Any, ClassVar

from django.contrib import admin
from django.db import models

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
from searchbench.domain import safejson


class ModelAdmin(admin.ModelAdmin):
    """Staff type JSON here too: read with the limits of the app's forms (no NaN or Infinity,
    bounded nesting and numbers), so a value the database refuses is a form error, not a 500."""

    formfield_overrides: ClassVar[dict[Any, dict[str, Any]]] = {
        models.JSONField: {"decoder": safejson.Decoder}
    }


@admin.register(SearchEndpoint)
class SearchEndpointAdmin(ModelAdmin):
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
class ScorerAdmin(ModelAdmin):
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
class CaseAdmin(ModelAdmin):
    list_display = ["name", "owner", "scorer", "public", "archived", "updated_at"]
    list_filter = ["archived", "public"]
    search_fields = ["name"]
    inlines = [TryInline]


@admin.register(Query)
class QueryAdmin(ModelAdmin):
    list_display = ["text", "case", "position"]
    search_fields = ["text"]


@admin.register(Rating)
class RatingAdmin(ModelAdmin):
    list_display = ["query", "doc_id", "rating", "rated_by", "rated_at"]
    search_fields = ["doc_id"]


@admin.register(Snapshot)
class SnapshotAdmin(ModelAdmin):
    list_display = ["name", "case", "score", "created_at"]


@admin.register(ScoreHistory)
class ScoreHistoryAdmin(ModelAdmin):
    list_display = [
        "case",
        "scorer_name",
        "score",
        "run_score",
        "num_queries",
        "num_errors",
        "trigger",
        "created_at",
        "rated_at",
    ]
    list_filter = ["trigger"]
