"""A room's configuration, the engine's answers about it, and the arithmetic they share."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

# The key goes inside the Redis hash tag `{room:<key>}`: a brace would end the tag early
# and scatter one room's keys across cluster slots.
_KEY_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# How often a page waiting in line asks again: often enough that an admitted shopper
# notices before much of the pass has gone, rarely enough that a crowd is not a flood.
MIN_RETRY_SECONDS = 5
MAX_RETRY_SECONDS = 30
# A room nobody has checked for a day is forgotten by either store.
ROOM_IDLE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class RoomConfig:
    """One sale's waiting room: how many shoppers at once, how fast, and from when."""

    key: str
    capacity: int
    admit_per_minute: int | None = None
    pass_ttl_seconds: int = 600
    opens_at: datetime | None = None
    # Cloudflare's "queue all": nobody new is admitted (an emergency brake, or a sale
    # that has not been released yet); shoppers already inside keep their passes.
    queue_everyone: bool = False

    def __post_init__(self) -> None:
        if not _KEY_PATTERN.fullmatch(self.key):
            raise ValueError(f"Room key {self.key!r} must match {_KEY_PATTERN.pattern}.")
        if self.capacity < 0:
            raise ValueError("A room's capacity cannot be negative.")
        if self.admit_per_minute is not None and self.admit_per_minute < 0:
            raise ValueError("admit_per_minute cannot be negative.")
        if self.pass_ttl_seconds <= 0:
            raise ValueError("pass_ttl_seconds must be positive.")
        if self.opens_at is not None and self.opens_at.tzinfo is None:
            raise ValueError("opens_at must be an aware datetime.")

    def is_open(self, now: datetime) -> bool:
        """Whether the pre-queue is over (admission may start)."""
        return self.opens_at is None or now >= self.opens_at


@dataclass(frozen=True)
class Decision:
    """Whether one visitor may go in now, and if not, their place in line."""

    admitted: bool
    ticket: str
    position: int | None
    estimated_wait_seconds: int | None
    # When to ask again (the page's refresh and the API's Retry-After); 0 when admitted.
    retry_after_seconds: int = 0


@dataclass(frozen=True)
class RoomStats:
    """What staff watch during a sale."""

    queued: int
    active: int
    # Admissions in the current calendar minute (the window admit_per_minute counts).
    admitted_last_minute: int
    estimated_wait_seconds: int | None
    # False when the store could not be read (Redis down): the zeros mean "unknown".
    available: bool = True


def admissions_per_minute(config: RoomConfig) -> float:
    """The pace the line moves at, at worst: every shopper holds the pass its full TTL."""
    per_minute = config.capacity * 60 / config.pass_ttl_seconds
    if config.admit_per_minute is not None:
        per_minute = min(per_minute, config.admit_per_minute)
    return per_minute


def estimated_wait(config: RoomConfig, position: int, now: datetime) -> int | None:
    """Seconds until `position` is admitted; None when nobody is being admitted."""
    per_minute = admissions_per_minute(config)
    if config.queue_everyone or per_minute <= 0:
        return None
    until_open = 0.0
    if config.opens_at is not None:
        until_open = max(0.0, (config.opens_at - now).total_seconds())
    return math.ceil(until_open + position * 60 / per_minute)


def retry_after(
    config: RoomConfig,
    wait: int | None,
    position: int | None = None,
    now: datetime | None = None,
) -> int:
    """When a visitor waiting `wait` seconds, at `position` in line, should ask again."""
    # A third of the pass at most: admission happens on anybody's check, so a shopper's
    # pass can start ticking before their own page comes back.
    ceiling = max(1, min(MAX_RETRY_SECONDS, config.pass_ttl_seconds // 3))
    admitting = not config.queue_everyone and (now is None or config.is_open(now))
    if position is not None and admitting:
        # A slot that frees up goes to the head of the line and stays idle until they come
        # back: the head asks every second. The line moves up to a capacity's worth of
        # places per turn of the room, and a turn takes a second at least (an add and a
        # checkout), so the rest ask again after about the seconds it would take them to
        # reach the head at that pace, and at the ceiling at most. Asking by the estimate
        # instead (which assumes every pass held its whole life) left free slots idle
        # while the crowd behind the head waited out 30 s (docs/BENCHMARKS.md).
        return max(1, min(ceiling, math.ceil(position / max(1, config.capacity))))
    if wait is None:
        return ceiling
    return max(min(MIN_RETRY_SECONDS, ceiling), min(wait, ceiling))


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch: the stores' one unit of time."""
    return int(moment.timestamp() * 1000)
