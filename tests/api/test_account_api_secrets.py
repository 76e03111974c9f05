"""The account API's secrets: password change and reset, sign-in limits, tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from apps.accounts.api.views import RESET_ACCEPTED
from apps.accounts.selectors import token_id
from apps.accounts.services import token_create
from tests.api.account_support import (
    ME,
    NEW_PASSWORD,
    PASSWORD,
    RESET,
    RESET_CONFIRM,
    SIGNUP,
    TOKEN,
    TOKEN_DETAIL,
    TOKENS,
    _client,
    _url,
)
from tests.api.support import assert_error, assert_matches_schema, token_client
from tests.concurrency import run_together
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- Password change ---------------------------------------------------------------------


def test_password_change_sets_the_new_password_and_revokes_only_the_other_tokens(
    shopper, other_shopper, password
):
    this_device, other_device = token_client(shopper), token_client(shopper)
    someone_else = token_client(other_shopper)

    response = this_device.post(
        PASSWORD, {"current_password": password, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 204, response.content
    shopper.refresh_from_db()
    assert shopper.check_password(NEW_PASSWORD)
    assert this_device.get(ME).status_code == 200
    assert_error(other_device.get(ME), 401)
    assert someone_else.get(ME).status_code == 200


def test_password_change_from_a_browser_session_keeps_that_session(shopper, password):
    session = APIClient(enforce_csrf_checks=False)
    session.force_login(shopper)

    response = session.post(
        PASSWORD, {"current_password": password, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 204, response.content
    assert session.get(ME).status_code == 200


def test_password_change_refuses_a_wrong_current_password(api, shopper, password):
    response = api.post(
        PASSWORD, {"current_password": "not-it", "new_password": NEW_PASSWORD}, format="json"
    )

    assert_error(response, 400, code="password_incorrect", field="current_password")
    assert_matches_schema(response, PASSWORD, "post")
    shopper.refresh_from_db()
    assert shopper.check_password(password)


def test_password_change_refuses_a_new_password_the_validators_reject(api, shopper, password):
    response = api.post(
        PASSWORD, {"current_password": password, "new_password": "shopper"}, format="json"
    )

    error = assert_error(response, 400, code="invalid", field="new_password")
    assert len(error["fields"]["new_password"]) >= 2  # too short, and too like the e-mail
    assert_matches_schema(response, PASSWORD, "post")
    shopper.refresh_from_db()
    assert shopper.check_password(password)


# --- Password reset ----------------------------------------------------------------------


def _reset_parts(message: mail.EmailMessage) -> tuple[str, str]:
    match = re.search(r"/accounts/password/reset/([^/\s]+)/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(1), match.group(2)


def _request_reset(client: APIClient, email: str, capture) -> object:
    with capture(execute=True):
        return client.post(RESET, {"email": email}, format="json")


def test_reset_request_answers_the_same_for_known_and_unknown_addresses(
    anonymous, shopper, django_capture_on_commit_callbacks
):
    known = _request_reset(anonymous, "Shopper@Example.com", django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    unknown = _request_reset(anonymous, "nobody@example.com", django_capture_on_commit_callbacks)

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json() == {"detail": RESET_ACCEPTED}
    assert_matches_schema(known, RESET, "post")
    assert_matches_schema(unknown, RESET, "post")
    # Only the known address got the page's own reset e-mail.
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [shopper.email]
    assert "/accounts/password/reset/" in mail.outbox[0].body


def test_reset_request_refuses_a_malformed_address(anonymous):
    response = anonymous.post(RESET, {"email": "not-an-address"}, format="json")

    assert_error(response, 400, code="invalid", field="email")
    assert_matches_schema(response, RESET, "post")


def test_reset_confirm_with_the_emailed_link_sets_the_password_revokes_tokens_and_works_once(
    anonymous, shopper, django_capture_on_commit_callbacks
):
    stolen = token_client(shopper)
    _request_reset(anonymous, shopper.email, django_capture_on_commit_callbacks)
    uid, token = _reset_parts(mail.outbox[0])
    body = {"uid": uid, "token": token, "new_password": NEW_PASSWORD}

    response = anonymous.post(RESET_CONFIRM, body, format="json")

    assert response.status_code == 204, response.content
    shopper.refresh_from_db()
    assert shopper.check_password(NEW_PASSWORD)
    assert_error(stolen.get(ME), 401)
    again = anonymous.post(RESET_CONFIRM, {**body, "new_password": "yet-another-pass-3"})
    assert_error(again, 400, code="password_reset_link_invalid")
    shopper.refresh_from_db()
    assert shopper.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("uid", "token"),
    [("MQ", "not-a-token"), ("!!!", "not-a-token"), ("OTk5OTk5", "c3d4-abcdef")],
)
def test_reset_confirm_with_a_bad_link_is_a_400_and_changes_nothing(
    anonymous, shopper, password, uid, token
):
    response = anonymous.post(
        RESET_CONFIRM, {"uid": uid, "token": token, "new_password": NEW_PASSWORD}, format="json"
    )

    assert_error(response, 400, code="password_reset_link_invalid")
    assert_matches_schema(response, RESET_CONFIRM, "post")
    shopper.refresh_from_db()
    assert shopper.check_password(password)


def test_reset_confirm_refuses_a_weak_password_and_the_link_still_works(
    anonymous, shopper, django_capture_on_commit_callbacks
):
    _request_reset(anonymous, shopper.email, django_capture_on_commit_callbacks)
    uid, token = _reset_parts(mail.outbox[0])

    weak = anonymous.post(
        RESET_CONFIRM, {"uid": uid, "token": token, "new_password": "123"}, format="json"
    )

    assert_error(weak, 400, code="invalid", field="new_password")
    assert_matches_schema(weak, RESET_CONFIRM, "post")
    good = anonymous.post(
        RESET_CONFIRM, {"uid": uid, "token": token, "new_password": NEW_PASSWORD}, format="json"
    )
    assert good.status_code == 204


# --- Rate limits -------------------------------------------------------------------------


def _sign_in(email: str, password: str, ip: str):
    return APIClient(REMOTE_ADDR=ip).post(
        TOKEN, {"email": email, "password": password}, format="json"
    )


def test_api_sign_in_failures_are_limited_per_account_whatever_the_address(
    settings, shopper, other_shopper, password
):
    settings.LOGIN_RATE_PER_ACCOUNT = "3/10m"
    settings.LOGIN_RATE_PER_IP = "100/10m"
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(3):
            assert _sign_in("Shopper@Example.com", "wrong", f"203.0.113.{n}").status_code == 400

        # The right password is refused too, from a fresh address: the limit follows the
        # account, and says nothing about whether the password was right.
        refused = _sign_in(shopper.email, password, "198.51.100.7")
        assert_error(refused, 429, code="throttled")
        assert_matches_schema(refused, TOKEN, "post")
        assert int(refused["Retry-After"]) > 0
        assert not AuthToken.objects.filter(user=shopper).exists()
        # Another account from the same address is unaffected.
        assert _sign_in(other_shopper.email, password, "198.51.100.7").status_code == 200

        clock.shift(timedelta(minutes=21))
        assert _sign_in(shopper.email, password, "198.51.100.7").status_code == 200


def test_failures_on_the_sign_in_page_count_against_the_api_sign_in(
    client, settings, shopper, password
):
    settings.LOGIN_RATE_PER_ACCOUNT = "2/10m"
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(2):
            client.post(
                reverse("accounts:login"),
                {"username": shopper.email, "password": "wrong"},
                REMOTE_ADDR="203.0.113.50",
            )

        assert_error(_sign_in(shopper.email, password, "198.51.100.8"), 429)


def test_signup_and_reset_requests_share_the_sign_in_throttle_per_address(
    rates, anonymous, password
):
    rates(auth="2/min")
    elsewhere = APIClient(REMOTE_ADDR="203.0.113.99")
    with time_machine.travel(timezone.now().replace(second=5), tick=False):
        signup = {"email": "new@example.com", "password": password}
        assert anonymous.post(SIGNUP, signup, format="json").status_code == 201
        assert anonymous.post(RESET, {"email": "a@example.com"}, format="json").status_code == 202

        throttled = anonymous.post(RESET, {"email": "a@example.com"}, format="json")
        assert_error(throttled, 429, code="throttled")
        assert_matches_schema(throttled, RESET, "post")
        assert_error(anonymous.post(SIGNUP, {**signup, "email": "b@example.com"}), 429)
        assert elsewhere.post(RESET, {"email": "a@example.com"}, format="json").status_code == 202


# --- Tokens ------------------------------------------------------------------------------


def test_a_sign_in_past_the_token_cap_revokes_the_oldest_tokens(settings, shopper, password):
    settings.API_TOKEN_LIMIT_PER_USER = 3
    start = timezone.now()
    secrets = []
    for minutes in range(3):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            secrets.append(token_create(user=shopper)[1])

    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        response = _sign_in(shopper.email, password, "203.0.113.20")

        assert response.status_code == 200, response.content
        assert AuthToken.objects.filter(user=shopper).count() == 3
        assert_error(_client(secrets[0]).get(ME), 401)
        assert all(_client(secret).get(ME).status_code == 200 for secret in secrets[1:])
        assert _client(response.json()["token"]).get(ME).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sign_ins_at_the_same_moment_never_leave_more_tokens_than_the_cap(settings):
    settings.API_TOKEN_LIMIT_PER_USER = 2
    user = UserFactory()

    results, errors = run_together([lambda: token_create(user=user) for _ in range(6)])

    assert errors == []
    assert len(results) == 6
    assert AuthToken.objects.filter(user=user).count() == 2


def test_token_list_shows_your_working_tokens_without_their_secrets(
    shopper, other_shopper, settings
):
    start = timezone.now()
    with time_machine.travel(start - settings.REST_KNOX["TOKEN_TTL"] - timedelta(days=1)):
        AuthToken.objects.create(user=shopper)  # expired, awaiting the purge
    with time_machine.travel(start - timedelta(hours=1)):
        older, older_secret = AuthToken.objects.create(user=shopper)
    token_client(other_shopper)
    client = token_client(shopper)

    response = client.get(TOKENS)

    assert response.status_code == 200
    assert_matches_schema(response, TOKENS)
    listed = response.json()
    current = AuthToken.objects.filter(user=shopper).order_by("-created").first()
    assert current is not None
    assert [(t["id"], t["current"]) for t in listed] == [
        (token_id(current), True),
        (token_id(older), False),
    ]
    text = response.content.decode()
    assert older_secret not in text
    assert older_secret[:8] not in text
    assert older.token_key not in text
    assert older.digest not in text


def test_token_list_makes_as_many_queries_for_20_tokens_as_for_2(
    shopper, django_assert_num_queries
):
    client = token_client(shopper)
    token_client(shopper)
    with django_assert_num_queries(2):  # the token with its user, then the tokens
        assert len(client.get(TOKENS).json()) == 2
    for _ in range(18):
        token_client(shopper)
    with django_assert_num_queries(2):
        assert len(client.get(TOKENS).json()) == 20


def test_revoking_one_of_your_tokens_stops_only_that_one(shopper):
    client = token_client(shopper)
    lost_phone = token_client(shopper)
    lost = AuthToken.objects.filter(user=shopper).order_by("-created").first()
    assert lost is not None

    response = client.delete(_url(TOKEN_DETAIL, token_id(lost)))

    assert response.status_code == 204
    assert_error(lost_phone.get(ME), 401)
    assert client.get(ME).status_code == 200


@pytest.mark.parametrize("shape", ["exact", "prefix"])
def test_another_users_token_id_is_not_found_and_keeps_working(shopper, other_shopper, shape):
    client = token_client(shopper)
    theirs = token_client(other_shopper)
    their_token = AuthToken.objects.get(user=other_shopper)
    their_id = token_id(their_token) if shape == "exact" else their_token.digest[:4]

    response = client.delete(_url(TOKEN_DETAIL, their_id))

    assert_error(response, 404, code="not_found")
    if shape == "exact":
        assert_matches_schema(response, TOKEN_DETAIL, "delete")
    assert theirs.get(ME).status_code == 200
