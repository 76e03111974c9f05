"""Failed sign-ins are limited per account and per address, in the shared cache."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "3/10m"
    settings.LOGIN_RATE_PER_IP = "5/10m"


def _login(client, email, password, ip="203.0.113.7"):
    return client.post(
        reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR=ip
    )


def test_account_is_blocked_after_repeated_failures_and_recovers(client, shopper, password):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            assert _login(client, shopper.email, "wrong").status_code == 200

        # The right password is refused too while the account is blocked.
        response = _login(client, shopper.email, password)
        assert response.status_code == 429
        assert "Too many failed sign-in attempts" in response.content.decode()
        assert "_auth_user_id" not in client.session

        # Another address is blocked too: the limit follows the account.
        assert _login(client, shopper.email, password, ip="198.51.100.1").status_code == 429

        clock.shift(timedelta(minutes=21))
        response = _login(client, shopper.email, password)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(shopper.pk)


def test_one_address_is_blocked_after_failures_across_accounts(client, shopper, password):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(5):
            _login(client, f"guess{n}@example.com", "wrong")
        assert _login(client, shopper.email, password).status_code == 429
        # A shopper elsewhere is unaffected.
        assert _login(client, shopper.email, password, ip="198.51.100.1").status_code == 302

        clock.shift(timedelta(minutes=21))
        client.logout()
        assert _login(client, shopper.email, password).status_code == 302


def test_the_limit_is_case_insensitive_on_the_email(client, shopper, password):
    for email in ["SHOPPER@example.com", "shopper@EXAMPLE.com", "Shopper@Example.com"]:
        _login(client, email, "wrong")
    assert _login(client, shopper.email, password, ip="198.51.100.9").status_code == 429
