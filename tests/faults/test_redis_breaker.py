"""Redis or the broker hung or dead: the shop still answers, fast, from the database.

Each test starts a throwaway redis-server (tests/faults/redis_support.py) and points the
cache, or the Celery broker, at it, configured as in production, then hangs it (SIGSTOP:
connections accepted, nothing answered) or kills it. The shared Redis is never touched.
"""

from __future__ import annotations

import math
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_redis.pool import ConnectionFactory
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.core import breaker as breakers
from apps.orders.models import Notification, Order
from apps.orders.tasks import sweep_notifications
from apps.waitingroom.selectors import room_stats
from apps.waitingroom.services import room_check
from config.celery import app as celery_app
from tests.api.support import token_client
from tests.factories import (
    CartFactory,
    CartLineFactory,
    CategoryFactory,
    ProductFactory,
    ShippingMethodFactory,
    UserFactory,
    VariantFactory,
)
from tests.faults.redis_support import ThrowawayRedis
from tests.waitingroom.conftest import T0, make_room

PAGES = ["/", "/catalog/", "/catalog/kitchen/", "/products/copper-kettle/"]
API_READS = ["/api/v1/products/", "/api/v1/products/copper-kettle/"]
ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "1 Analytical Way",
    "city": "London",
    "postal_code": "N1 1AA",
    "country": "GB",
}
# As in production (config/settings.py), so that the timeouts measured are the real ones.
PRODUCTION_OPTIONS = {
    "SOCKET_CONNECT_TIMEOUT": 0.5,
    "SOCKET_TIMEOUT": 0.5,
    "IGNORE_EXCEPTIONS": True,
    "REDIS_CLIENT_CLASS": "apps.core.breaker.BreakerRedis",
}


@pytest.fixture
def throwaway() -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    server.start()
    yield server
    server.kill()


def _forget_pools(url: str) -> None:
    # django-redis keeps one pool per URL for the whole process; the next test's server
    # on the same port must not inherit connections to this one.
    pool = ConnectionFactory._pools.pop(url, None)
    if pool is not None:
        pool.disconnect()


@pytest.fixture
def breakers_fresh() -> Iterator[None]:
    # Made again from the settings of the test (the reset time), and nothing carried over.
    breakers.BREAKERS.clear()
    yield
    breakers.BREAKERS.clear()


@pytest.fixture
def cache_on_throwaway(throwaway, breakers_fresh) -> Iterator[ThrowawayRedis]:
    """The default cache on the throwaway server, with the catalog cache on."""
    url = throwaway.url(0)
    configured = settings.CACHES["default"]
    # With REDIS_URL set (CI) the very OPTIONS of the settings; without, the same by hand.
    production = "django_redis" in configured["BACKEND"]
    options = dict(configured["OPTIONS"] if production else PRODUCTION_OPTIONS)
    assert options["REDIS_CLIENT_CLASS"] == "apps.core.breaker.BreakerRedis"
    caches = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "faults",
            "OPTIONS": options,
        }
    }
    # override_settings, not the settings fixture: restored when this fixture ends, so the
    # shared clean-up after the test talks to the usual cache, not to a dead server.
    with override_settings(
        CACHES=caches, CATALOG_CACHE=True, REDIS_BREAKER_FAILURES=3, REDIS_BREAKER_RESET_SECONDS=2
    ):
        yield throwaway
        _forget_pools(url)


@pytest.fixture
def kettle(db: None) -> None:
    category = CategoryFactory(slug="kitchen", name="Kitchen")
    product = ProductFactory(
        title="Copper Kettle", slug="copper-kettle", category=category, price=Decimal("30.00")
    )
    VariantFactory(product=product, price=Decimal("30.00"), stock=20, sku="KET-1")


def _timed(get: Callable[[str], Any], urls: list[str], rounds: int) -> list[float]:
    """Seconds taken by each request of `rounds` passes over `urls` (each must be a 200)."""
    took = []
    for _ in range(rounds):
        for url in urls:
            started = time.perf_counter()
            response = get(url)
            took.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
    return took


def _p99(samples: list[float]) -> float:
    return sorted(samples)[math.ceil(0.99 * len(samples)) - 1]


def _wait_for(condition: Callable[[], bool], *, timeout: float, step: float = 0.1) -> None:
    """Polls `condition` until it holds; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        time.sleep(step)


def _server_breaker() -> Any:
    # Names are "redis host:port/db" (apps/core/breaker.py).
    [name] = [name for name in breakers.BREAKERS if name.startswith("redis 127.0.0.1:6391/")]
    return breakers.BREAKERS[name]


# --- A hung Redis ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_hung_redis_costs_a_few_timeouts_then_pages_answer_fast_from_the_database(
    cache_on_throwaway, kettle
):
    client, api = Client(), APIClient()

    def get(url: str) -> Any:
        return (api if url.startswith("/api/") else client).get(url)

    _timed(get, PAGES + API_READS, rounds=2)  # warm: every page now comes from the cache
    assert cache_on_throwaway.client().dbsize() > 0

    cache_on_throwaway.hang()
    # The first request pays the timeouts that open the breaker (three half seconds).
    first = _timed(get, PAGES[:1], rounds=1)[0]
    assert _server_breaker().current_state == "open"
    assert first < 3

    took = _timed(get, PAGES + API_READS, rounds=5)  # 30 requests, the breaker open
    assert len(took) == 30
    assert _p99(took) < 1.0, sorted(took)
    # Most paid no timeout at all (a probe, every two seconds, pays one).
    assert statistics.median(took) < 0.25, sorted(took)


@pytest.mark.django_db
def test_once_redis_answers_again_the_cache_is_used_after_the_reset_time(
    cache_on_throwaway, kettle
):
    client, page = Client(), "/products/copper-kettle/"
    cache_on_throwaway.hang()
    _timed(client.get, [page], rounds=2)
    assert _server_breaker().current_state == "open"

    cache_on_throwaway.resume()
    server = cache_on_throwaway.client()
    server.flushdb()  # the throwaway's own; what it held was written before the hang
    # After the reset time (2 s) a probe finds Redis, the breaker closes, and the page's
    # entries are written again.
    _wait_for(
        lambda: bool(_timed(client.get, [page], rounds=1)) and server.dbsize() > 0, timeout=15
    )
    assert _server_breaker().current_state == "closed"
    client.get(page)  # whatever the probe's request missed is stored now
    with CaptureQueriesContext(connection) as captured:
        assert client.get(page).status_code == 200
    assert [q["sql"] for q in captured.captured_queries if "catalog_" in q["sql"]] == []


def test_with_redis_hung_the_waiting_room_admits_and_checks_cost_nothing_once_open(
    cache_on_throwaway,
):
    room = make_room(f"sale-{uuid.uuid4().hex[:12]}", capacity=1)
    assert room_check(config=room, visitor="first", now=T0).admitted
    assert not room_check(config=room, visitor="second", now=T0).admitted  # Redis counts

    cache_on_throwaway.hang()
    # Until the breaker opens each check waits out one timeout; from then on none does.
    decisions, took = [], []
    for n in range(30):
        started = time.perf_counter()
        decisions.append(room_check(config=room, visitor=f"crowd-{n}", now=T0))
        took.append(time.perf_counter() - started)
    assert all(decision.admitted for decision in decisions)  # fails open, as when down
    assert _server_breaker().current_state == "open"
    assert sum(took[:3]) < 3, took
    assert max(took[3:]) < 0.1, took
    assert room_stats(room, now=T0).available is False


# --- A dead Redis ------------------------------------------------------------------------


@pytest.fixture
def tiny_rates(settings) -> None:
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "user": "2/min", "anon": "2/min", "checkout": "1/min"},
    }


def _cart_for(user: User) -> dict[str, Any]:
    variant = VariantFactory(price=Decimal("12.50"), stock=5)
    CartLineFactory(cart=CartFactory(user=user), variant=variant, quantity=2)
    return {"shipping_address": ADDRESS, "shipping_method": ShippingMethodFactory().pk}


@pytest.mark.django_db
def test_with_redis_killed_pages_answer_checkout_places_orders_and_limits_fail_open(
    cache_on_throwaway, kettle, tiny_rates
):
    shopper = UserFactory(email="buyer@example.com")
    api, anonymous, client = token_client(shopper), APIClient(), Client()
    cache_on_throwaway.kill()

    took = _timed(client.get, PAGES, rounds=2) + _timed(anonymous.get, API_READS, rounds=2)
    assert _p99(took) < 1.0, sorted(took)
    # Past the limits (two a minute): nothing counts them, so nothing is refused.
    for _ in range(4):
        assert api.get("/api/v1/cart/").status_code == 200

    response = api.post("/api/v1/checkout/", _cart_for(shopper), format="json")
    assert response.status_code == 201, response.content
    assert Order.objects.filter(number=response.json()["number"], user=shopper).exists()
    assert _server_breaker().current_state == "open"


# --- A hung broker -----------------------------------------------------------------------


@pytest.fixture
def broker_on_throwaway(throwaway, breakers_fresh, settings) -> Iterator[ThrowawayRedis]:
    """The Celery broker on the throwaway server (db 1), publishing for real (not eager)."""
    settings.BROKER_BREAKER_FAILURES = 2
    # Long enough that no probe falls among the checkouts a test times.
    settings.BROKER_BREAKER_RESET_SECONDS = 30
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = throwaway.url(1)
    celery_app.conf.task_always_eager = False
    _drop_broker_pools()
    yield throwaway
    celery_app.conf.broker_url = original
    celery_app.conf.task_always_eager = True
    _drop_broker_pools()


def _drop_broker_pools() -> None:
    # As tests/conftest.py's dead broker does: the next publish builds a pool for the URL.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _checkout(email: str) -> tuple[str, float]:
    """Places an order through the API as a new shopper: (its number, seconds taken)."""
    shopper = UserFactory(email=email)
    started = time.perf_counter()
    response = token_client(shopper).post("/api/v1/checkout/", _cart_for(shopper), format="json")
    took = time.perf_counter() - started
    assert response.status_code == 201, response.content
    return response.json()["number"], took


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_hung_checkout_answers_fast_and_the_outbox_sends_later(
    broker_on_throwaway,
):
    broker_on_throwaway.hang()
    # Real commits (a transactional test): each order's e-mail is published from its request.
    numbers, took = zip(*(_checkout(f"buyer{n}@example.com") for n in range(4)), strict=True)

    publishing = breakers.BREAKERS[f"broker {broker_on_throwaway.url(1)}"]
    assert publishing.current_state == "open"
    # Two publishes fail, each waiting out the broker's timeouts; then they are skipped.
    assert sum(took[:2]) < 15, took
    assert max(took[2:]) < 1.0, took
    owed = Notification.objects.filter(order__number__in=numbers, sent_at__isnull=True)
    assert owed.count() == 4
    assert mail.outbox == []

    broker_on_throwaway.resume()
    _drop_broker_pools()  # the connections that timed out are closed; start afresh
    publishing.reset_timeout = 0  # the next publish probes now, not in 30 s
    owed.update(created_at=timezone.now() - timedelta(minutes=5))  # as the sweep finds them
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert sweep_notifications() == 4  # beat's job, run here; sent through Redis
        _wait_for(lambda: len(mail.outbox) == 4, timeout=20)
        # A new order's e-mail goes straight out again: the probe closed the breaker.
        _checkout("buyer4@example.com")
        _wait_for(lambda: len(mail.outbox) == 5, timeout=20)
    assert publishing.current_state == "closed"
    assert sorted(m.to[0] for m in mail.outbox) == [f"buyer{n}@example.com" for n in range(5)]
    assert not Notification.objects.filter(sent_at__isnull=True).exists()
