"""Shared fixtures: personas, service gating, eager Celery and a clean cache per test."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import cache

from apps.accounts.models import User
from apps.sales import selectors as sales_selectors
from config.celery import app as celery_app
from tests.factories import UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "a-long-test-password-42"


def _require(service: str, available: bool, how: str) -> None:
    if available:
        return
    message = f"needs {service} ({how})"
    if IN_CI:
        pytest.fail(f"{message}: CI=true requires every service", pytrace=False)
    pytest.skip(message)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres"):
        _require("PostgreSQL", settings.IS_POSTGRES, "set DATABASE_URL=postgres://...")
    if item.get_closest_marker("redis"):
        _require("Redis", bool(settings.REDIS_URL), "set REDIS_URL=redis://...")


@pytest.fixture(autouse=True)
def _plain_static_storage(settings) -> None:
    # The manifest storage needs collectstatic to have run; tests render templates without.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _catalog_cache_off(settings) -> None:
    # Query budgets and most behaviour are tested against the database; the cache tests
    # switch it on (tests/catalog/test_cache.py).
    settings.CATALOG_CACHE = False


@pytest.fixture(autouse=True)
def _temporary_media_root(settings, tmp_path_factory) -> None:
    # Uploads made by factories land in a temporary folder, never in the repo's media/.
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _eager_celery() -> Iterator[None]:
    """Tasks run in-process unless a test starts a real worker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _no_sales_scheduled(monkeypatch) -> None:
    # Each process keeps a copy of the sales schedule for a few seconds; in tests it
    # starts empty and stays put, so no test sees another's sales and no query budget
    # pays for a refresh it did not ask for. Tests that make sales call schedule_forget().
    monkeypatch.setattr(sales_selectors, "SCHEDULE_SECONDS", 3600.0)
    monkeypatch.setattr(sales_selectors, "_cached", (time.monotonic(), []))


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    # Only this project's keys: with Redis, FLUSHDB would wipe whatever else shares the db.
    _cache_clear()
    yield
    _cache_clear()


def _cache_clear() -> None:
    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture
def no_cache(settings) -> None:
    """Query budgets count real work: no cache may hide it."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.fixture
def redis_down(settings) -> None:
    """The default cache on a closed port, configured as in production (errors ignored)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def shopper(db: None) -> User:
    return UserFactory(email="shopper@example.com", password=PASSWORD)


@pytest.fixture
def other_shopper(db: None) -> User:
    return UserFactory(email="other@example.com", password=PASSWORD)


@pytest.fixture
def staff(db: None) -> User:
    return UserFactory(
        email="staff@example.com", password=PASSWORD, is_staff=True, is_superuser=True
    )


class _DeadBroker:
    """Points the Celery app at a port where nothing listens, until restored."""

    def __init__(self) -> None:
        self.original = celery_app.conf.broker_url
        celery_app.conf.task_always_eager = False
        celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
        self._drop_pools()

    def restore(self) -> None:
        celery_app.conf.broker_url = self.original
        celery_app.conf.task_always_eager = True
        self._drop_pools()

    @staticmethod
    def _drop_pools() -> None:
        # Forget the cached pools so the next publish builds one for the current broker_url;
        # kombu keeps each URL's pool in its own registry, so nothing else is disturbed.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


@pytest.fixture
def dead_broker() -> Iterator[_DeadBroker]:
    broker = _DeadBroker()
    yield broker
    broker.restore()
