from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from searchbench.books.models import Book, BookSync, Judge, Judgement, Pair
from searchbench.books.services import recount_judged
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
    readonly_fields = ["judged"]  # counted from the judgements (books.services.recount_judged)


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

    # A judgement changed or deleted here recounts its pairs' ``judged``, as every other writer.
    def save_model(self, request: HttpRequest, obj: Judgement, form: Any, change: bool) -> None:
        before = Judgement.objects.filter(pk=obj.pk).values_list("pair_id", flat=True).first()
        super().save_model(request, obj, form, change)
        recount_judged(Pair.objects.filter(pk__in={obj.pair_id, before}))

    def delete_model(self, request: HttpRequest, obj: Judgement) -> None:
        pair_id = obj.pair_id
        super().delete_model(request, obj)
        recount_judged(Pair.objects.filter(pk=pair_id))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Judgement]) -> None:
        pair_ids = set(queryset.values_list("pair_id", flat=True))
        super().delete_queryset(request, queryset)
        recount_judged(Pair.objects.filter(pk__in=pair_ids))


@admin.register(BookSync)
class BookSyncAdmin(ModelAdmin):
    list_display = ["book", "case", "rule", "written", "unchanged", "skipped", "created_at"]
    list_filter = ["rule"]
    raw_id_fields = ["book", "case", "synced_by"]
