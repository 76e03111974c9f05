"""Idempotency-Key handling for API writes: same key and body, the same answer again."""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.errors import ApplicationError, Conflict
from apps.core.models import IdempotencyRecord

KEY_MAX_LENGTH = 255
RETENTION = timedelta(hours=24)


class IdempotencyKeyReused(ApplicationError):
    """The key was already used for a different request."""

    code = "idempotency_key_reused"
    status_code = 422


class IdempotencyInProgress(Conflict):
    """A request with this key is still being processed."""

    code = "idempotency_in_progress"


@dataclass(frozen=True)
class Replay:
    """The stored outcome of the first request made with the key."""

    status: int
    body: Any


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def idempotency_begin(*, scope: str, key: str, fingerprint: str) -> IdempotencyRecord | Replay:
    """Claims `key` for this request, or returns the earlier outcome to replay.

    Raises IdempotencyKeyReused (422) when the key came with a different request, and
    IdempotencyInProgress (409) while the first request with the key is still running.
    """
    if not key or len(key) > KEY_MAX_LENGTH:
        raise ApplicationError(
            f"Idempotency-Key must be 1 to {KEY_MAX_LENGTH} characters.",
            fields={"Idempotency-Key": ["Invalid length."]},
        )
    # Inside a transaction, a savepoint lets it survive the IntegrityError; on its own the
    # INSERT is atomic already, and BEGIN and COMMIT around it would be two round trips.
    in_transaction = transaction.get_connection().in_atomic_block
    try:
        with transaction.atomic() if in_transaction else nullcontext():
            return IdempotencyRecord.objects.create(scope=scope, key=key, fingerprint=fingerprint)
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
    if existing is not None and existing.created_at < timezone.now() - RETENTION:
        # Past retention, the key is free again. Old records are deleted by the periodic
        # purge, not here: a new key (nearly every request) then costs one INSERT.
        IdempotencyRecord.objects.filter(pk=existing.pk).delete()
        return idempotency_begin(scope=scope, key=key, fingerprint=fingerprint)
    if existing is None:  # the other request failed and released the key meanwhile
        raise IdempotencyInProgress("A request with this Idempotency-Key is being processed.")
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request."
        )
    if existing.state != IdempotencyRecord.State.COMPLETED or existing.response_status is None:
        raise IdempotencyInProgress(
            "A request with this Idempotency-Key is still being processed; retry shortly."
        )
    return Replay(status=existing.response_status, body=existing.response_body)


def idempotency_complete(*, record: IdempotencyRecord, status: int, body: Any) -> None:
    """Stores the outcome so that a retry with the same key gets the same answer."""
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        state=IdempotencyRecord.State.COMPLETED, response_status=status, response_body=body
    )


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Forgets the key after an unexpected failure, so the client may retry with it."""
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def idempotency_purge() -> int:
    """Deletes records past the retention window; returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - RETENTION
    ).delete()
    return deleted
