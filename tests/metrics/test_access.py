"""/metrics answers only configured addresses or the bearer token; a 404 for the rest."""

from __future__ import annotations

import pytest

from tests.metrics.conftest import TOKEN

pytestmark = pytest.mark.django_db

STRANGER = "203.0.113.9"


@pytest.fixture
def closed(settings) -> None:
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = ""


def test_metrics_are_a_404_when_nothing_is_configured(closed, client):
    response = client.get("/metrics")
    assert response.status_code == 404
    assert b"shopfront_" not in response.content


def test_metrics_are_served_to_an_allowed_address(settings, client):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert b"# TYPE shopfront_orders_placed_total counter" in response.content


def test_an_allowed_network_lets_its_addresses_in_and_no_others(settings, client):
    settings.METRICS_ALLOWED_IPS = ["10.1.0.0/16", "2001:db8::/32"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.200.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="2001:db8::5").status_code == 200
    # How a dual-stack socket shows an IPv4 client.
    assert client.get("/metrics", REMOTE_ADDR="::ffff:10.1.0.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.2.0.1").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_the_bearer_token_lets_any_address_in(settings, client):
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = TOKEN
    response = client.get(
        "/metrics", REMOTE_ADDR=STRANGER, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer",
        "Bearer ",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Token {TOKEN}",
        f"Basic {TOKEN}",
    ],
)
def test_a_wrong_or_missing_token_is_a_404(settings, client, authorization):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    settings.METRICS_TOKEN = TOKEN
    headers = {"Authorization": authorization} if authorization else {}
    assert client.get("/metrics", REMOTE_ADDR=STRANGER, headers=headers).status_code == 404


def test_without_a_configured_token_no_bearer_value_gets_in(closed, client):
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 404


def test_a_forwarded_address_is_not_believed_without_a_trusted_proxy(settings, client):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.1"]
    settings.TRUSTED_PROXY_COUNT = 0
    response = client.get("/metrics", REMOTE_ADDR=STRANGER, HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert response.status_code == 404


def test_a_strangers_post_is_a_404_not_a_csrf_page(closed, client):
    client.handler.enforce_csrf_checks = True
    assert client.post("/metrics").status_code == 404


def test_an_allowed_client_may_only_read(settings, client):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    assert client.post("/metrics").status_code == 405
    assert client.head("/metrics").status_code == 200
