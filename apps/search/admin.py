"""Staff see the searches that found nothing, most frequent first."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from apps.search.models import SearchMiss


@admin.register(SearchMiss)
class SearchMissAdmin(admin.ModelAdmin):
    """Read-only: the counts come from the flush task. Staff may delete a phrase once they
    have dealt with it (added the product, a synonym to a title), so it can come back."""

    list_display = ("phrase", "count", "first_seen", "last_seen")
    ordering = ("-count", "phrase")
    search_fields = ("phrase",)
    readonly_fields = ("phrase", "count", "first_seen", "last_seen")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SearchMiss | None = None) -> bool:
        return False
