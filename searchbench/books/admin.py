from django.contrib import admin

from searchbench.books.models import Book, BookSync, Judge, Judgement, Pair
from searchbench.cases.admin import ModelAdmin


@admin.register(Book)
class BookAdmin(ModelAdmin):
    list_display = ["name", "owner", "aggregation", "target_judgements", "updated_at"]
    list_filter = ["aggregation"]
    search_fields = ["name"]
    filter_horizontal = ["teams", "cases"]


@admin.register(Pair)
class PairAdmin(ModelAdmin):
    list_display = ["query_text", "doc_id", "book", "position", "judged"]
    search_fields = ["query_text", "doc_id"]
    raw_id_fields = ["book"]


@admin.register(Judge)
class JudgeAdmin(ModelAdmin):
    list_display = ["name", "model", "base_url", "owner"]
    search_fields = ["name", "model"]
    filter_horizontal = ["teams"]
    # api_key_encrypted is not editable: the key changes through the judge's form only.


@admin.register(Judgement)
class JudgementAdmin(ModelAdmin):
    list_display = ["pair", "rater_key", "state", "rating", "judged_at"]
    list_filter = ["state"]
    search_fields = ["rater_key", "pair__query_text", "pair__doc_id"]
    raw_id_fields = ["pair", "rater", "judge"]


@admin.register(BookSync)
class BookSyncAdmin(ModelAdmin):
    list_display = ["book", "case", "rule", "written", "unchanged", "skipped", "created_at"]
    list_filter = ["rule"]
    raw_id_fields = ["book", "case", "synced_by"]
