"""Reads for staff: how long the line is and how fast it moves."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from apps.waitingroom import cache_store, redis_store
from apps.waitingroom.rooms import RoomConfig, RoomStats, estimated_wait
from apps.waitingroom.services import STORE_ERRORS, warn_unavailable


def room_stats(config: RoomConfig, *, now: datetime | None = None) -> RoomStats:
    """Queued and active visitors, this minute's admissions, and the wait at the back."""
    now = now or timezone.now()
    try:
        store = redis_store if redis_store.uses_redis() else cache_store
        queued, active, admitted = store.stats(config=config, now=now)
    except STORE_ERRORS:
        warn_unavailable(config, now)
        return RoomStats(
            queued=0, active=0, admitted_last_minute=0, estimated_wait_seconds=None, available=False
        )
    return RoomStats(
        queued=queued,
        active=active,
        admitted_last_minute=admitted,
        estimated_wait_seconds=estimated_wait(config, queued + 1, now) if queued else 0,
    )
