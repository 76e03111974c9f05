"""Throttles: per user, per client address, and tighter scopes for sign-in and checkout."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from apps.core.throttling import parse_rate
from tests.api.support import assert_error, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mid_window() -> Iterator[None]:
    """Starts each test 20 seconds into a minute: the windows are fixed, and a test that
    crossed a minute's end half-way would see its count start again."""
    start = datetime.now(UTC).replace(second=20, microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(start, tick=True):
        yield


@pytest.fixture
def rates(settings):
    """Sets tiny rates: the throttles read them from the settings on every request."""

    def set_rates(**overrides: str) -> None:
        configured = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**configured, **overrides},
        }

    return set_rates


def test_token_requests_are_limited_per_client_address(rates, shopper, password):
    rates(auth="2/min")
    client, elsewhere = APIClient(), APIClient(REMOTE_ADDR="203.0.113.9")
    body = {"email": shopper.email, "password": "wrong"}

    for _ in range(2):
        assert client.post("/api/v1/auth/token/", body, format="json").status_code == 400
    good = {"email": shopper.email, "password": password}
    throttled = client.post("/api/v1/auth/token/", good, format="json")

    assert_error(throttled, 429, code="throttled")
    assert int(throttled["Retry-After"]) > 0
    assert elsewhere.post("/api/v1/auth/token/", good, format="json").status_code == 200


def test_checkout_is_limited_per_user(rates, shopper, other_shopper):
    rates(checkout="2/min")
    mine, theirs = token_client(shopper), token_client(other_shopper)

    for _ in range(2):
        assert mine.post("/api/v1/checkout/", {}, format="json").status_code == 400

    assert_error(mine.post("/api/v1/checkout/", {}, format="json"), 429, code="throttled")
    assert mine.get("/api/v1/cart/").status_code == 200  # only the checkout scope is spent
    assert theirs.post("/api/v1/checkout/", {}, format="json").status_code == 400


def test_signed_in_calls_are_limited_per_user_whatever_the_address(rates, shopper, other_shopper):
    rates(user="3/min")
    here = token_client(shopper)
    there = token_client(shopper)
    there.defaults["REMOTE_ADDR"] = "198.51.100.7"

    for client in (here, here, there):
        assert client.get("/api/v1/cart/").status_code == 200

    assert_error(here.get("/api/v1/cart/"), 429, code="throttled")
    assert_error(there.get("/api/v1/cart/"), 429)
    assert token_client(other_shopper).get("/api/v1/cart/").status_code == 200


def test_anonymous_calls_are_limited_per_client_address(rates, settings):
    rates(anon="2/min")
    client, elsewhere = APIClient(), APIClient(REMOTE_ADDR="203.0.113.9")

    for _ in range(2):
        assert client.get("/api/v1/shipping-methods/").status_code == 200

    assert_error(client.get("/api/v1/shipping-methods/"), 429, code="throttled")
    # X-Forwarded-For is not trusted without a configured proxy: it cannot pick a new bucket.
    spoofed = client.get("/api/v1/shipping-methods/", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert spoofed.status_code == 429
    assert elsewhere.get("/api/v1/shipping-methods/").status_code == 200


def test_paying_shares_the_checkout_rate(rates, shopper):
    rates(checkout="1/min")
    client = token_client(shopper)
    assert client.post("/api/v1/checkout/", {}, format="json").status_code == 400
    paying = client.post("/api/v1/orders/SF-NONE/pay/", {}, format="json")
    assert_error(paying, 429, code="throttled")


# --- the fixed window (apps/core/throttling.py) ----------------------------------------------


@pytest.fixture
def into_a_minute() -> datetime:
    """20 seconds into the next minute: a per-minute window then has 40 seconds left."""
    return datetime.now(UTC).replace(second=20, microsecond=0) + timedelta(minutes=1)


@pytest.fixture(params=["configured cache", "embedded file cache"])
def counting_cache(request, settings, tmp_path) -> None:
    """The throttles count in the configured cache (Redis in CI) and in the file cache
    of the embedded defaults, whose INCR is a read and a write."""
    if request.param == "embedded file cache":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "cache"),
            }
        }


def test_past_the_limit_the_answer_is_429_with_the_seconds_left_in_the_window(
    rates, shopper, into_a_minute, counting_cache
):
    rates(user="2/min")
    client = token_client(shopper)
    with time_machine.travel(into_a_minute, tick=False):
        for _ in range(2):
            assert client.get("/api/v1/cart/").status_code == 200
        throttled = client.get("/api/v1/cart/")
    assert_error(throttled, 429, code="throttled")
    assert throttled["Retry-After"] == "40"


def test_the_count_starts_again_in_the_next_window(rates, shopper, into_a_minute):
    rates(user="2/min")
    client = token_client(shopper)
    with time_machine.travel(into_a_minute, tick=False):
        for _ in range(2):
            assert client.get("/api/v1/cart/").status_code == 200
        assert client.get("/api/v1/cart/").status_code == 429
    with time_machine.travel(into_a_minute + timedelta(seconds=39), tick=False):
        assert client.get("/api/v1/cart/").status_code == 429
    with time_machine.travel(into_a_minute + timedelta(seconds=40), tick=False):
        assert client.get("/api/v1/cart/").status_code == 200


def test_an_anonymous_call_is_counted_by_the_anonymous_rate_only(rates):
    # The user rate is for signed-in callers: an anonymous one must not spend it, or an
    # anonymous request would pay for two counters.
    rates(anon="3/min", user="1/min")
    client = APIClient()
    for _ in range(3):
        assert client.get("/api/v1/shipping-methods/").status_code == 200
    assert client.get("/api/v1/shipping-methods/").status_code == 429


@pytest.mark.redis
def test_a_signed_in_call_is_counted_once_per_rate_in_one_cache_round_trip(
    rates, shopper, monkeypatch
):
    rates(user="5/min", checkout="5/min")
    client = token_client(shopper)
    client.get("/api/v1/cart/")  # the window's first request creates the counter
    calls: list[str] = []
    for name in ("get", "set", "add", "incr"):
        original = getattr(cache, name)
        monkeypatch.setattr(
            cache, name, lambda *a, _n=name, _o=original, **k: calls.append(_n) or _o(*a, **k)
        )
    assert client.get("/api/v1/cart/").status_code == 200
    assert calls == ["incr"]


def test_the_scoped_rate_counts_apart_from_the_user_rate(rates, shopper):
    rates(user="3/min", checkout="1/min")
    client = token_client(shopper)
    assert client.post("/api/v1/checkout/", {}, format="json").status_code == 400
    assert client.post("/api/v1/checkout/", {}, format="json").status_code == 429
    assert client.get("/api/v1/cart/").status_code == 200
    assert client.get("/api/v1/cart/").status_code == 429  # the user rate: 3 calls spent


@pytest.mark.redis
def test_throttles_let_requests_through_when_redis_is_down(rates, redis_down, shopper):
    rates(user="1/min", anon="1/min")
    client, anonymous = token_client(shopper), APIClient()
    for _ in range(3):
        assert client.get("/api/v1/cart/").status_code == 200
        assert anonymous.get("/api/v1/shipping-methods/").status_code == 200


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("300/min", (300, 60)), ("30/m", (30, 60)), ("100000/s", (100000, 1)), ("20/15m", (20, 900))],
)
def test_rates_are_read_as_drf_writes_them(rate, parsed):
    assert parse_rate(rate) == parsed


def test_a_malformed_rate_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured):
        parse_rate("lots/min")
