"""Where searches without results are counted between flushes: never the database.

With Redis, one hash (phrase -> count) takes one HINCRBY per miss, through a small script
that stops taking new phrases past MAX_PHRASES, so a flood of random phrases between two
flushes cannot grow it without bound. A flush renames the hash first, so counts arriving
meanwhile start a new one, and deletes the renamed copy only after the database has the
counts (a flush that dies in between is resumed by the next one).

Without Redis (the embedded mode's file cache) the counts are one cache entry, read and
written back: two workers counting at the same instant can lose a count, which the
embedded mode accepts for its counters (docs/ARCHITECTURE.md, "Decisions").
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

KEY = "search:misses"
FLUSHING = "search:misses:flushing"
MAX_PHRASES = 10_000

_COUNT = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1
    or redis.call('HLEN', KEYS[1]) < tonumber(ARGV[2]) then
  return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
end
return 0
"""
_scripts: dict[int, Any] = {}


def _redis() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def count(phrase: str) -> None:
    """One more search for `phrase` found nothing (a lost count is logged, never raised)."""
    if not settings.REDIS_URL:
        counts: dict[str, int] = cache.get(KEY) or {}
        if phrase in counts or len(counts) < MAX_PHRASES:
            counts[phrase] = counts.get(phrase, 0) + 1
            cache.set(KEY, counts, timeout=None)
        return
    try:
        client = _redis()
        script = _scripts.get(id(client))
        if script is None or script.registered_client is not client:
            script = _scripts[id(client)] = client.register_script(_COUNT)
        script(keys=[cache.make_key(KEY)], args=[phrase, MAX_PHRASES])
    except RedisError:
        # Redis down: the shopper's page matters more than one count in the log.
        logger.warning("search miss not counted: Redis unavailable")


def take() -> dict[str, int]:
    """The counts gathered since the last flush (resuming one that did not finish)."""
    if not settings.REDIS_URL:
        counts: dict[str, int] = cache.get(KEY) or {}
        cache.delete(KEY)
        return counts
    client = _redis()
    key, flushing = cache.make_key(KEY), cache.make_key(FLUSHING)
    if not client.exists(flushing) and client.exists(key):
        client.rename(key, flushing)
    return {field.decode(): int(value) for field, value in client.hgetall(flushing).items()}


def taken() -> None:
    """The counts from `take()` are in the database: forget them."""
    if settings.REDIS_URL:
        _redis().delete(cache.make_key(FLUSHING))
