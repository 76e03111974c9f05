"""How many Celery messages wait in the broker, read when Prometheus scrapes."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import redis
from django.conf import settings

# Celery's default queue: the project routes every task there (no CELERY_TASK_ROUTES).
QUEUE = "celery"
# kombu's Redis transport keeps delivered, not yet acknowledged messages in this hash.
UNACKED_KEY = "unacked"


@functools.cache
def _client(url: str) -> Any:
    # A hung broker must not hang the scrape: short timeouts, one pool per process.
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def broker_depth() -> tuple[int, int | None]:
    """(messages waiting in the queue, messages delivered and not yet acknowledged).

    Redis: LLEN of the queue's list and HLEN of kombu's unacked hash, one round trip.
    The embedded folder broker: the queue's message files (it keeps no unacked count).
    Raises redis.RedisError / OSError when the broker cannot be read.
    """
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
        return sum(1 for _ in folder.glob(f"*.{QUEUE}.msg")), None
    pipe = _client(url).pipeline(transaction=False)
    pipe.llen(QUEUE)
    pipe.hlen(UNACKED_KEY)
    waiting, unacked = pipe.execute()
    return int(waiting), int(unacked)
