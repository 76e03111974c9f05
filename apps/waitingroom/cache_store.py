"""The embedded store: one room's state as one entry of Django's cache, under a lock.

The same rules as the Redis script (redis_store.py), in Python, on a dict read and
written back while holding a mutex taken with `cache.add`. Exactness under a burst is
weaker than on Redis: the file cache's `add` is a check then a write, so two processes
can both take the lock at the same instant, and a lock outliving LOCK_SECONDS is taken
over. The embedded mode is a one-machine demo; production runs on Redis.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.core.cache import cache

from apps.waitingroom.rooms import ROOM_IDLE_SECONDS, RoomConfig, epoch_ms

LOCK_SECONDS = 5
# Longer than any one check holds the lock, short enough that a stuck lock costs a
# request a fraction of a second before the room fails open.
LOCK_WAIT_SECONDS = 2.0
_POLL_SECONDS = 0.005


class RoomBusy(Exception):
    """The room's lock could not be taken in time."""


def _key(config: RoomConfig) -> str:
    return f"waitingroom:{config.key}:state"


@contextmanager
def _locked(config: RoomConfig) -> Iterator[None]:
    lock, token = f"{_key(config)}:lock", secrets.token_hex(8)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not cache.add(lock, token, timeout=LOCK_SECONDS):
        if time.monotonic() > deadline:
            raise RoomBusy(config.key)
        time.sleep(_POLL_SECONDS)
    try:
        yield
    finally:
        # Only our own lock: if it timed out and another check took it, leave it be.
        if cache.get(lock) == token:
            cache.delete(lock)


def _load(config: RoomConfig) -> dict[str, Any]:
    state = cache.get(_key(config))
    if not isinstance(state, dict):
        state = {"queue": {}, "active": {}, "seq": 0, "minutes": {}}
    return state


def _save(config: RoomConfig, state: dict[str, Any]) -> None:
    cache.set(_key(config), state, timeout=ROOM_IDLE_SECONDS)


def _expire(state: dict[str, Any], config: RoomConfig, now_ms: int) -> None:
    cutoff = now_ms - config.pass_ttl_seconds * 1000
    state["active"] = {v: last for v, last in state["active"].items() if last > cutoff}
    minute = now_ms // 60_000
    state["minutes"] = {m: n for m, n in state["minutes"].items() if m >= minute - 1}


def _line(state: dict[str, Any]) -> list[str]:
    # Ties broken by the visitor id, as a Redis sorted set does.
    return sorted(state["queue"], key=lambda visitor: (state["queue"][visitor], visitor))


def check(*, config: RoomConfig, visitor: str, now: datetime, prequeue_score: float) -> int | None:
    """The visitor's position in line, or None if admitted."""
    now_ms = epoch_ms(now)
    with _locked(config):
        state = _load(config)
        _expire(state, config, now_ms)
        if visitor in state["active"]:
            state["active"][visitor] = now_ms
        else:
            is_open = config.is_open(now)
            if visitor not in state["queue"]:
                if is_open:
                    state["seq"] += 1
                    state["queue"][visitor] = 1 + state["seq"]
                else:
                    state["queue"][visitor] = prequeue_score
            if is_open and not config.queue_everyone:
                _admit(state, config, now_ms)
        _save(config, state)
    if visitor in state["active"]:
        return None
    return _line(state).index(visitor) + 1


def _admit(state: dict[str, Any], config: RoomConfig, now_ms: int) -> None:
    minute = now_ms // 60_000
    free = config.capacity - len(state["active"])
    if config.admit_per_minute is not None:
        free = min(free, config.admit_per_minute - state["minutes"].get(minute, 0))
    if free <= 0:
        return
    heads = _line(state)[:free]
    for head in heads:
        del state["queue"][head]
        state["active"][head] = now_ms
    state["minutes"][minute] = state["minutes"].get(minute, 0) + len(heads)


def leave(*, config: RoomConfig, visitor: str, now: datetime) -> None:
    """Takes the visitor out of the line and the room."""
    with _locked(config):
        state = _load(config)
        state["queue"].pop(visitor, None)
        state["active"].pop(visitor, None)
        _save(config, state)


def stats(*, config: RoomConfig, now: datetime) -> tuple[int, int, int]:
    """(queued, active, admitted this minute), read without the lock."""
    now_ms = epoch_ms(now)
    state = _load(config)
    _expire(state, config, now_ms)
    return len(state["queue"]), len(state["active"]), state["minutes"].get(now_ms // 60_000, 0)
