"""What every catalog ModelAdmin shares: edits made here invalidate the cached pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.catalog.cache import catalog_changed


class CatalogChangesAdmin:
    """Any add, edit or delete made here invalidates the cached catalog pages.

    The admin writes some fields directly (titles, descriptions, flags), so its save and
    delete hooks bump the catalog version, after commit, like the services do.
    """

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        catalog_changed()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        catalog_changed()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)  # type: ignore[misc]
        catalog_changed()

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        catalog_changed()
