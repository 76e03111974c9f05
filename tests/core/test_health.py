"""/healthz touches nothing; /readyz names what is down."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any database access in this request raises inside pytest-django.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_readyz_answers_200_when_every_service_is_up(client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
        "down": [],
    }


@pytest.mark.django_db
def test_readyz_answers_503_naming_the_cache_when_redis_is_unreachable(client, settings):
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                "IGNORE_EXCEPTIONS": True,  # as configured in production
            },
        }
    }
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["cache"]
    assert body["checks"]["cache"] == "down"
    assert body["checks"]["database"] == "ok"


def test_favicon_ico_sends_browsers_to_the_shops_icon(client):
    # Pages that name no icon (the admin's) make browsers ask for /favicon.ico.
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"].startswith(settings.STATIC_URL)
    assert response["Location"].endswith("favicon.svg")
