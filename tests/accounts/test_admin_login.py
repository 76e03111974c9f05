"""The admin sign-in is limited like the shop's: same limits, same counters, logged."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.backends import ModelBackend
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Dozens of sign-ins per test: the hasher's cost is not what is under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def small_limits(settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "3/10m"
    settings.LOGIN_RATE_PER_IP = "5/10m"


@pytest.fixture
def password_checks(monkeypatch) -> list[str]:
    """The accounts whose password the backend was asked to check."""
    checked: list[str] = []
    authenticate = ModelBackend.authenticate

    def counting_authenticate(self, request, username=None, password=None, **kwargs):
        checked.append(str(username))
        return authenticate(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting_authenticate)
    return checked


def _admin_login(client, email, password, ip=ADDRESS):
    return client.post(
        reverse("admin:login"),
        {"username": email, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=ip,
    )


def _wait_minutes(response) -> int:
    match = re.search(r"try again in (\d+) minutes?", response.content.decode())
    assert match, "the refusal says how long to wait"
    return int(match.group(1))


def test_thirty_wrong_admin_sign_ins_from_one_address_end_in_a_refusal(
    client, staff, password, password_checks
):
    # The configured limits, not test ones: this is the attack the limit exists for.
    with time_machine.travel(timezone.now(), tick=False):
        statuses = [
            _admin_login(client, f"guess{n}@example.com", "wrong").status_code for n in range(30)
        ]
        assert statuses[0] == 200
        assert statuses[-1] == 429
        first_refusal = statuses.index(429)
        assert set(statuses[first_refusal:]) == {429}

        # Once limited, the right password is refused without being checked.
        password_checks.clear()
        response = _admin_login(client, staff.email, password)

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert _wait_minutes(response) >= 1
    assert password_checks == []
    assert "_auth_user_id" not in client.session


def test_admin_account_is_limited_across_addresses(client, staff, password, small_limits):
    with time_machine.travel(timezone.now(), tick=False):
        # One address each, and the e-mail's case varied: neither escapes the account limit.
        for n, email in enumerate([staff.email, "STAFF@example.com", "Staff@Example.com"]):
            assert _admin_login(client, email, "wrong", ip=f"198.51.100.{n}").status_code == 200

        response = _admin_login(client, staff.email, password, ip="203.0.113.99")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_lockout_ends_after_the_window(client, staff, password, small_limits):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            assert _admin_login(client, staff.email, "wrong").status_code == 200
        refused = _admin_login(client, staff.email, password)
        assert refused.status_code == 429
        assert 1 <= _wait_minutes(refused) <= 10

        clock.shift(timedelta(minutes=11))
        response = _admin_login(client, staff.email, password)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_shop_and_admin_sign_ins_share_the_counters(client, staff, password, small_limits):
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(3):
            client.post(
                reverse("accounts:login"),
                {"username": staff.email, "password": "wrong"},
                REMOTE_ADDR=ADDRESS,
            )
        assert _admin_login(client, staff.email, password, ip="198.51.100.1").status_code == 429


def test_admin_refusal_is_logged_with_address_and_account(
    client, staff, password, small_limits, caplog
):
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(3):
            _admin_login(client, staff.email, "wrong")
        with caplog.at_level(logging.WARNING):
            assert _admin_login(client, "Staff@Example.com", password).status_code == 429

    refusals = [r for r in caplog.records if r.name == "apps.accounts.admin_site"]
    assert len(refusals) == 1
    assert refusals[0].levelno == logging.WARNING
    message = refusals[0].getMessage()
    assert ADDRESS in message
    assert staff.email in message
    assert password not in message


def test_admin_sign_in_below_the_limit_still_works(client, staff, password, small_limits):
    for _ in range(2):
        assert _admin_login(client, staff.email, "wrong").status_code == 200

    response = _admin_login(client, staff.email, password)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)
