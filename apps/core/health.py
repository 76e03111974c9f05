"""Readiness checks: each answers quickly whether one backing service responds."""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import current_app
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def database_ok() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def cache_ok() -> None:
    cache.set("readyz:probe", "1", timeout=10)
    if cache.get("readyz:probe") != "1":
        raise RuntimeError("cache did not return the value just written")


def broker_ok() -> None:
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)


CHECKS: dict[str, Callable[[], None]] = {
    "database": database_ok,
    "cache": cache_ok,
    "broker": broker_ok,
}


def readiness() -> dict[str, str]:
    """Runs every check; maps each service name to "ok" or "down"."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # any failure at all means "not ready"; the log has the cause
            logger.exception("Readiness check failed: %s", name)
            results[name] = "down"
        else:
            results[name] = "ok"
    return results
