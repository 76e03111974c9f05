"""Background jobs for the shared plumbing."""

from __future__ import annotations

from celery import shared_task

from apps.core.idempotency import idempotency_purge


@shared_task
def purge_idempotency_records() -> int:
    """Deletes Idempotency-Key records past their retention (see apps.core.idempotency)."""
    return idempotency_purge()
