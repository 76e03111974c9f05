"""Rooms to test in, on each store: Redis (as in production) and the embedded file cache."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from apps.waitingroom.rooms import RoomConfig

# A minute boundary, so per-minute windows start with the test.
T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.redis), pytest.param("file_cache")])
def store(request, settings, tmp_path) -> str:
    """Runs the test once on Redis (REDIS_URL) and once on the file cache of embedded mode."""
    if request.param == "file_cache":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "cache"),
            }
        }
    return request.param


@pytest.fixture
def room_key() -> str:
    return f"sale-{uuid.uuid4().hex[:12]}"


def make_room(key: str, **options: Any) -> RoomConfig:
    """A room of 5 with one-minute passes, unless told otherwise."""
    return RoomConfig(key=key, **{"capacity": 5, "pass_ttl_seconds": 60, **options})
