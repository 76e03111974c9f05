"""The production store: one room's state in Redis, changed by one Lua script per check.

Keys of one room share the hash tag `{room:<key>}`, so they sit in one slot and the
script may touch all of them on Redis Cluster:
  queue   sorted set, visitor -> arrival score. Pre-queue arrivals get a random score in
          [0, 1); later arrivals get 1 + a counter, so they line up behind the pre-queue
          in the order they came.
  active  sorted set, visitor -> last activity (ms). Members older than the pass TTL are
          removed at the start of every check, which is what frees capacity.
  seq     the arrival counter.
  minute:<n>  admissions in minute n (expires after two minutes).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.cache import cache
from django_redis import get_redis_connection

from apps.waitingroom.rooms import ROOM_IDLE_SECONDS, RoomConfig, epoch_ms

# KEYS: queue, active, seq, minute counter.
# ARGV: visitor, now (ms), capacity, per-minute limit (-1: none), pass TTL (ms),
#       opens at (ms, -1: open), queue everyone (0/1), pre-queue score, idle TTL (ms).
# Returns {1} when the visitor is admitted, {0, position} when they wait.
_CHECK = """
local queue, active, seq, minute = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local visitor, now = ARGV[1], tonumber(ARGV[2])
local capacity, per_minute = tonumber(ARGV[3]), tonumber(ARGV[4])
local ttl, opens = tonumber(ARGV[5]), tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', active, '-inf', now - ttl)
if redis.call('ZSCORE', active, visitor) then
  redis.call('ZADD', active, ARGV[2], visitor)
else
  local is_open = opens < 0 or now >= opens
  if not redis.call('ZSCORE', queue, visitor) then
    if is_open then
      redis.call('ZADD', queue, 1 + redis.call('INCR', seq), visitor)
    else
      redis.call('ZADD', queue, ARGV[8], visitor)
    end
  end
  if is_open and ARGV[7] == '0' then
    local free = capacity - redis.call('ZCARD', active)
    if per_minute >= 0 then
      free = math.min(free, per_minute - tonumber(redis.call('GET', minute) or '0'))
    end
    if free > 0 then
      local heads = redis.call('ZRANGE', queue, 0, free - 1)
      for _, head in ipairs(heads) do
        redis.call('ZADD', active, ARGV[2], head)
      end
      if #heads > 0 then
        redis.call('ZREMRANGEBYRANK', queue, 0, #heads - 1)
        redis.call('INCRBY', minute, #heads)
        redis.call('EXPIRE', minute, 120)
      end
    end
  end
end
redis.call('PEXPIRE', queue, ARGV[9])
redis.call('PEXPIRE', active, ARGV[9])
redis.call('PEXPIRE', seq, ARGV[9])
local rank = redis.call('ZRANK', queue, visitor)
if rank then return {0, rank + 1} end
return {1}
"""

_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""

# Scripts registered per client (one per connection pool): redis-py then sends EVALSHA,
# loading the script only the first time a server has not seen it.
_scripts: dict[tuple[int, str], Any] = {}


def uses_redis() -> bool:
    """Whether the default cache is django-redis (else the cache store is used)."""
    return hasattr(getattr(cache, "client", None), "get_client")


def room_keys(config: RoomConfig, now: datetime) -> list[str]:
    """The room's keys in the script's KEYS order, under the cache's prefix."""
    tag = f"waitingroom:{{room:{config.key}}}"
    minute = epoch_ms(now) // 60_000
    names = ("queue", "active", "seq", f"minute:{minute}")
    # make_key puts the prefix ("shopfront:1:") first; the tag is still the first {...}.
    return [cache.make_key(f"{tag}:{name}") for name in names]


def _script(source: str) -> Any:
    client = get_redis_connection("default")
    script = _scripts.get((id(client), source))
    if script is None or script.registered_client is not client:
        script = _scripts[(id(client), source)] = client.register_script(source)
    return script


def check(*, config: RoomConfig, visitor: str, now: datetime, prequeue_score: float) -> int | None:
    """The visitor's position in line, or None if admitted: one EVALSHA."""
    args = [
        visitor,
        epoch_ms(now),
        config.capacity,
        -1 if config.admit_per_minute is None else config.admit_per_minute,
        config.pass_ttl_seconds * 1000,
        -1 if config.opens_at is None else epoch_ms(config.opens_at),
        int(config.queue_everyone),
        repr(prequeue_score),
        ROOM_IDLE_SECONDS * 1000,
    ]
    reply = _script(_CHECK)(keys=room_keys(config, now), args=args)
    return None if int(reply[0]) == 1 else int(reply[1])


def leave(*, config: RoomConfig, visitor: str, now: datetime) -> None:
    """Takes the visitor out of the line and the room (their slot is free at once)."""
    _script(_LEAVE)(keys=room_keys(config, now)[:2], args=[visitor])


def stats(*, config: RoomConfig, now: datetime) -> tuple[int, int, int]:
    """(queued, active, admitted this minute), read in one pipelined round trip."""
    queue, active, _seq, minute = room_keys(config, now)
    cutoff = epoch_ms(now) - config.pass_ttl_seconds * 1000
    pipe = get_redis_connection("default").pipeline(transaction=False)
    pipe.zcard(queue)
    pipe.zcount(active, f"({cutoff}", "+inf")
    pipe.get(minute)
    queued, active_count, admitted = pipe.execute()
    return int(queued), int(active_count), int(admitted or 0)
