"""Throttles: per user, per client address, and tighter scopes for sign-in and checkout."""

from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.api.support import assert_error, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    """Sets tiny rates: DRF reads THROTTLE_RATES once, onto the class, at import time."""

    def set_rates(**overrides: str) -> None:
        configured = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**configured, **overrides})

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
