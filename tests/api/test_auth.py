"""API tokens: obtained with e-mail and password, hashed at rest, expiring, revocable."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from apps.accounts.api.serializers import BAD_CREDENTIALS
from apps.accounts.tasks import purge_expired_tokens
from tests.api.support import assert_error, assert_matches_schema, token_client

TOKEN = "/api/v1/auth/token/"
LOGOUT = "/api/v1/auth/logout/"
LOGOUT_ALL = "/api/v1/auth/logout-all/"
CART = "/api/v1/cart/"

pytestmark = pytest.mark.django_db


def _obtain(client: APIClient, email: str, password: str):
    return client.post(TOKEN, {"email": email, "password": password}, format="json")


def _with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_good_credentials_get_a_token_that_is_stored_only_as_a_hash(anonymous, shopper, password):
    response = _obtain(anonymous, "Shopper@Example.com ", password)

    assert response.status_code == 200, response.content
    assert_matches_schema(response, TOKEN, "post")
    body = response.json()
    stored = AuthToken.objects.get(user=shopper)
    assert body["token"] not in {stored.digest, stored.token_key}
    assert not AuthToken.objects.filter(digest=body["token"]).exists()
    assert abs(stored.expiry - (timezone.now() + settings.REST_KNOX["TOKEN_TTL"])) < timedelta(
        minutes=1
    )
    assert _with_token(body["token"]).get(CART).status_code == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("shopper@example.com", "not-the-password"),
        ("nobody@example.com", "a-long-test-password-42"),
    ],
)
def test_bad_credentials_are_a_400_that_does_not_say_which_part_was_wrong(
    anonymous, shopper, email, password
):
    error = assert_error(_obtain(anonymous, email, password), 400, code="invalid")
    assert error["message"] == BAD_CREDENTIALS
    assert not AuthToken.objects.exists()


def test_an_inactive_account_gets_no_token(anonymous, shopper, password):
    shopper.is_active = False
    shopper.save(update_fields=["is_active"])
    error = assert_error(_obtain(anonymous, shopper.email, password), 400)
    assert error["message"] == BAD_CREDENTIALS
    assert not AuthToken.objects.exists()


def test_a_token_stops_working_when_its_user_is_deactivated(api, shopper):
    shopper.is_active = False
    shopper.save(update_fields=["is_active"])
    assert_error(api.get(CART), 401)


def test_malformed_credentials_name_the_field(anonymous):
    response = anonymous.post(TOKEN, {"email": "not-an-address"}, format="json")
    error = assert_error(response, 400, field="email")
    assert "password" in error["fields"]


def test_logout_revokes_only_the_token_it_was_sent_with(shopper):
    first, second = token_client(shopper), token_client(shopper)

    response = first.post(LOGOUT)

    assert response.status_code == 204
    assert_error(first.get(CART), 401, code="authentication_failed")
    assert second.get(CART).status_code == 200
    assert AuthToken.objects.filter(user=shopper).count() == 1


def test_logout_all_revokes_every_token_of_the_user_and_no_one_elses(shopper, other_shopper):
    first, second = token_client(shopper), token_client(shopper)
    someone_else = token_client(other_shopper)

    assert first.post(LOGOUT_ALL).status_code == 204

    assert_error(first.get(CART), 401)
    assert_error(second.get(CART), 401)
    assert someone_else.get(CART).status_code == 200


def test_logout_needs_a_token(anonymous, shopper):
    assert_error(anonymous.post(LOGOUT), 401, code="not_authenticated")
    session = APIClient()
    session.force_login(shopper)
    # A browser session is not a token: there is nothing for this endpoint to revoke.
    assert_error(session.post(LOGOUT), 401)


def test_an_expired_token_is_refused_and_deleted(anonymous, shopper, password):
    token = _obtain(anonymous, shopper.email, password).json()["token"]
    ttl = settings.REST_KNOX["TOKEN_TTL"]

    with time_machine.travel(timezone.now() + ttl - timedelta(minutes=1), tick=False):
        assert _with_token(token).get(CART).status_code == 200
    with time_machine.travel(timezone.now() + ttl + timedelta(minutes=1), tick=False):
        assert_error(_with_token(token).get(CART), 401, code="authentication_failed")

    assert not AuthToken.objects.filter(user=shopper).exists()


def test_a_made_up_token_is_refused(anonymous):
    assert_error(_with_token("f" * 64).get(CART), 401, code="authentication_failed")


def test_a_request_looks_its_token_up_once_and_not_the_users_other_tokens(
    django_assert_num_queries, shopper
):
    client = token_client(shopper)
    for _ in range(5):
        token_client(shopper)  # other devices of the same user
    # The token with its user, then the cart: knox's own class would also load all of
    # the user's tokens to sweep the expired ones, on every request.
    with django_assert_num_queries(2):
        assert client.get(CART).status_code == 200


def test_expired_tokens_are_purged_by_the_task_and_a_second_run_finds_none(shopper):
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    with time_machine.travel(timezone.now() - ttl - timedelta(days=1), tick=False):
        AuthToken.objects.create(user=shopper)
    live = token_client(shopper)

    assert purge_expired_tokens() == 1
    assert purge_expired_tokens() == 0
    assert AuthToken.objects.filter(user=shopper).count() == 1
    assert live.get(CART).status_code == 200
