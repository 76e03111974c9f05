"""How far an import's check or run has read its file, kept in the cache.

Not in the job's row: the import writes in one transaction, and a row updated inside it
would stay invisible to the admin page until the very end.
"""

from __future__ import annotations

from django.core.cache import cache

PROGRESS_TIMEOUT = 6 * 60 * 60


def _key(job_id: int) -> str:
    return f"catalog-import:{job_id}:progress"


def import_progress_set(*, job_id: int, read: int, size: int) -> int:
    """Records `read` bytes of `size` as a whole percentage (99 at most until it ends)."""
    percent = min(99, read * 100 // max(size, 1))
    cache.set(_key(job_id), percent, PROGRESS_TIMEOUT)
    return percent


def import_progress_clear(*, job_id: int) -> None:
    cache.delete(_key(job_id))


def import_progress(*, job_id: int) -> int | None:
    """The percentage read so far, or None before the worker has started on it."""
    value = cache.get(_key(job_id))
    return value if isinstance(value, int) else None
