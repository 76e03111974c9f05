"""Periodic jobs of the search aids (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from apps.search.services import search_misses_flush, search_terms_refresh


@shared_task
def refresh_search_terms() -> bool:
    """Rebuilds suggestions and words if the catalog changed since the last build."""
    return search_terms_refresh()


@shared_task
def flush_search_misses() -> int:
    """Moves the counts of searches without results from the cache to the table."""
    return search_misses_flush()
