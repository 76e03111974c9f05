from __future__ import annotations

from django.apps import AppConfig


class SearchConfig(AppConfig):
    """Search aids over the catalog: suggestions, "did you mean" and the searches that missed."""

    name = "apps.search"
    label = "search"

    def ready(self) -> None:
        # The catalog is below this app and cannot import it; it asks whatever handler was
        # registered when one of its searches finds nothing (apps.catalog.search_hooks).
        from apps.catalog.search_hooks import on_search_miss
        from apps.search.services import search_miss

        on_search_miss(search_miss)
