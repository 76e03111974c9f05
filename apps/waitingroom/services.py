"""The waiting room's engine: check a visitor in, let them out, and how it fails.

State lives in Redis when the default cache is django-redis (redis_store: one Lua script,
one round trip per check, exact under any burst), otherwise in Django's cache under a
lock (cache_store: the embedded mode's file cache, where a burst across processes can
slip past the lock, so the capacity is approximate there).

When the store is unreachable the room fails OPEN: every visitor is admitted and a
warning is logged (at most once a minute, not once per request of a crowd). A hung Redis
costs a check its socket timeout only until the server's circuit breaker opens
(apps/core/breaker.py); then the store raises at once and the room admits. That is
safe because the room protects capacity, not stock: checkout claims stock with a
conditional UPDATE (`... WHERE stock >= n`), so a flood of admitted shoppers can make
the shop slow but never oversell. Failing closed would turn a Redis outage into a sale
nobody can enter; an exception would turn it into a 500.
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import datetime

from django.utils import timezone
from redis.exceptions import RedisError

from apps.waitingroom import cache_store, redis_store
from apps.waitingroom.rooms import Decision, RoomConfig, estimated_wait, retry_after
from apps.waitingroom.tickets import ticket_issue

logger = logging.getLogger(__name__)

# What a store raises when it cannot answer: Redis errors, the file cache's disk, a lock
# nobody released.
STORE_ERRORS = (RedisError, OSError, cache_store.RoomBusy)

_warned_minute: int | None = None
_warned_lock = threading.Lock()


def room_check(*, config: RoomConfig, visitor: str, now: datetime | None = None) -> Decision:
    """Admits `visitor` to the room or tells them their place in line (one per visitor)."""
    now = now or timezone.now()
    # Random and secret, drawn only before opening: arriving at 11:59:59 or at 11:00
    # gives the same chance of being first, and nobody can predict a draw.
    score = secrets.randbits(52) / 2**52 if not config.is_open(now) else 0.0
    try:
        store = redis_store if redis_store.uses_redis() else cache_store
        position = store.check(config=config, visitor=visitor, now=now, prequeue_score=score)
    except STORE_ERRORS:
        warn_unavailable(config, now)
        position = None
    if position is None:
        ticket = ticket_issue(config=config, visitor=visitor, admitted=True, now=now)
        return Decision(admitted=True, ticket=ticket, position=None, estimated_wait_seconds=None)
    wait = estimated_wait(config, position, now)
    return Decision(
        admitted=False,
        ticket=ticket_issue(config=config, visitor=visitor, admitted=False, now=now),
        position=position,
        estimated_wait_seconds=wait,
        retry_after_seconds=retry_after(config, wait, position, now),
    )


def room_leave(*, config: RoomConfig, visitor: str, now: datetime | None = None) -> None:
    """Frees the visitor's slot (an order placed) or place in line, before the pass expires."""
    now = now or timezone.now()
    try:
        store = redis_store if redis_store.uses_redis() else cache_store
        store.leave(config=config, visitor=visitor, now=now)
    except STORE_ERRORS:
        # The pass then runs out on its own; nothing for the visitor to see.
        warn_unavailable(config, now)


def warn_unavailable(config: RoomConfig, now: datetime) -> None:
    """Logs that the room failed open, once per minute per process."""
    global _warned_minute
    minute = int(now.timestamp()) // 60
    with _warned_lock:
        if _warned_minute == minute:
            return
        _warned_minute = minute
    logger.warning(
        "Waiting room %s cannot reach its store; admitting everyone", config.key, exc_info=True
    )
