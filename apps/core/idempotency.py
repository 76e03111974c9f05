"""Idempotency-Key handling for API writes: same key and body, the same answer again."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from apps.core.errors import ApplicationError, Conflict
from apps.core.models import IdempotencyRecord

KEY_MAX_LENGTH = 255
RETENTION = timedelta(hours=24)


class IdempotencyKeyReused(ApplicationError):
    """The key was already used for a different request."""

    code = "idempotency_key_reused"
    status_code = 422


class IdempotencyKeyInvalid(ApplicationError):
    """The Idempotency-Key header is empty or too long."""

    code = "invalid"


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

    Called inside the transaction of the work it guards, the claim commits or rolls back
    with that work: a worker that dies mid-request leaves no claim behind, and a second
    request with the key waits on the unique index until the first one ends, then
    replays its answer.
    """
    if not key or len(key) > KEY_MAX_LENGTH:
        raise IdempotencyKeyInvalid(
            f"Idempotency-Key must be 1 to {KEY_MAX_LENGTH} characters.",
            fields={"Idempotency-Key": ["Invalid length."]},
        )
    claimed = _claim(scope=scope, key=key, fingerprint=fingerprint)
    if claimed is not None:
        return claimed
    existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
    if existing is not None and existing.created_at < timezone.now() - RETENTION:
        # Past retention, the key is free again. Old records are deleted by the periodic
        # purge, not here: a new key (nearly every request) then costs one INSERT.
        IdempotencyRecord.objects.filter(pk=existing.pk).delete()
        return idempotency_begin(scope=scope, key=key, fingerprint=fingerprint)
    if existing is None:  # the other request failed and released the key meanwhile
        raise IdempotencyInProgress("A request with this Idempotency-Key is being processed.")
    return _replay_of(existing, fingerprint=fingerprint)


def _claim(*, scope: str, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """The new record for the key, or None if the key is taken.

    INSERT ... ON CONFLICT DO NOTHING answers "taken" without raising, so a caller's
    transaction needs no savepoint (two round trips) to survive it. Raw SQL because the
    ORM's bulk_create(ignore_conflicts=True) does not say whether the row went in.
    """
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    created_at = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, key, fingerprint, state, created_at) "  # noqa: S608 - the table name is the model's own
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (scope, key) DO NOTHING RETURNING id",
            [
                scope,
                key,
                fingerprint,
                IdempotencyRecord.State.IN_PROGRESS,
                connection.ops.adapt_datetimefield_value(created_at),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return IdempotencyRecord(
        pk=row[0],
        scope=scope,
        key=key,
        fingerprint=fingerprint,
        state=IdempotencyRecord.State.IN_PROGRESS,
        created_at=created_at,
    )


def _replay_of(existing: IdempotencyRecord, *, fingerprint: str) -> Replay:
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request."
        )
    if existing.state != IdempotencyRecord.State.COMPLETED or existing.response_status is None:
        raise IdempotencyInProgress(
            "A request with this Idempotency-Key is still being processed; retry shortly."
        )
    return Replay(status=existing.response_status, body=existing.response_body)


def idempotency_refusal_store(
    *, scope: str, key: str, fingerprint: str, status: int, body: Any
) -> Replay | None:
    """Keeps a refusal as the key's outcome, after the work's transaction rolled back
    (the claim with it); None if stored, else the outcome of a request with the key
    that finished first meanwhile, to answer instead."""
    claimed = _claim(scope=scope, key=key, fingerprint=fingerprint)
    if claimed is not None:
        idempotency_complete(record=claimed, status=status, body=body)
        return None
    existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
    if existing is None or existing.state != IdempotencyRecord.State.COMPLETED:
        return None  # still running (or gone): this refusal is the answer for now
    return _replay_of(existing, fingerprint=fingerprint)


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
