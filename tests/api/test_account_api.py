"""The account API: sign-up, profile and addresses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken

from apps.accounts.models import Address, User
from tests.api.account_support import (
    ADDRESS,
    ADDRESS_BODY,
    ADDRESSES,
    ME,
    PASSWORD,
    SIGNUP,
    TOKEN_DETAIL,
    TOKENS,
    _client,
    _url,
)
from tests.api.support import assert_error, assert_matches_schema
from tests.factories import AddressFactory

pytestmark = pytest.mark.django_db


# --- Sign-up -----------------------------------------------------------------------------


def test_signup_creates_an_account_and_signs_it_in_with_a_token(anonymous, password):
    body = {"email": "New.Buyer@Example.com", "password": password, "first_name": "Ada"}

    response = anonymous.post(SIGNUP, body, format="json")

    assert response.status_code == 201, response.content
    assert_matches_schema(response, SIGNUP, "post")
    data = response.json()
    user = User.objects.get()
    assert user.email == data["user"]["email"] == "new.buyer@example.com"
    assert user.check_password(password)
    assert user.last_login is not None
    assert data["user"]["first_name"] == "Ada"
    me = _client(data["token"]).get(ME)
    assert me.status_code == 200
    assert me.json()["id"] == user.pk


def test_signup_refuses_an_email_already_taken_in_any_case(anonymous, shopper, password):
    response = anonymous.post(
        SIGNUP, {"email": "SHOPPER@example.com", "password": password}, format="json"
    )

    assert_error(response, 400, code="email_taken", field="email")
    assert_matches_schema(response, SIGNUP, "post")
    assert User.objects.count() == 1
    assert not AuthToken.objects.exists()


def test_signup_refuses_a_weak_password_and_a_malformed_email_naming_both(anonymous):
    response = anonymous.post(
        SIGNUP, {"email": "not-an-address", "password": "12345678"}, format="json"
    )

    error = assert_error(response, 400, code="invalid", field="password")
    assert "email" in error["fields"]
    assert any("too common" in message for message in error["fields"]["password"])
    assert_matches_schema(response, SIGNUP, "post")
    assert not User.objects.exists()


# --- Profile -----------------------------------------------------------------------------


def test_profile_shows_the_signed_in_user(api, shopper):
    response = api.get(ME)

    assert response.status_code == 200
    assert_matches_schema(response, ME)
    assert response.json()["email"] == shopper.email


def test_profile_patch_changes_only_the_names_sent_and_never_the_email(api, shopper):
    shopper.last_name = "Byron"
    shopper.save(update_fields=["last_name"])

    response = api.patch(ME, {"first_name": "Ada", "email": "new@example.com"}, format="json")

    assert response.status_code == 200, response.content
    assert_matches_schema(response, ME, "patch")
    shopper.refresh_from_db()
    assert (shopper.first_name, shopper.last_name) == ("Ada", "Byron")
    assert shopper.email == "shopper@example.com"


def test_profile_patch_refuses_a_name_longer_than_the_page_allows(api, shopper):
    response = api.patch(ME, {"first_name": "x" * 151}, format="json")

    assert_error(response, 400, code="invalid", field="first_name")
    assert_matches_schema(response, ME, "patch")


@pytest.mark.parametrize(
    ("method", "path", "documented"),
    [
        ("get", ME, ME),
        ("patch", ME, ME),
        ("get", ADDRESSES, ADDRESSES),
        ("post", ADDRESSES, ADDRESSES),
        ("get", "/api/v1/me/addresses/1/", ADDRESS),
        ("patch", "/api/v1/me/addresses/1/", ADDRESS),
        ("delete", "/api/v1/me/addresses/1/", ADDRESS),
        ("post", PASSWORD, PASSWORD),
        ("get", TOKENS, TOKENS),
        ("delete", "/api/v1/me/tokens/0123456789abcdef/", TOKEN_DETAIL),
    ],
)
def test_own_account_endpoints_answer_401_without_a_token(anonymous, method, path, documented):
    response = getattr(anonymous, method)(path, {}, format="json")

    assert_error(response, 401, code="not_authenticated")
    assert_matches_schema(response, documented, method)


# --- Addresses ---------------------------------------------------------------------------


def test_address_list_shows_only_your_own_addresses_default_first(api, shopper, other_shopper):
    AddressFactory(user=shopper, city="Older", is_default=True)
    AddressFactory(user=shopper, city="Newer")
    AddressFactory(user=other_shopper, city="Theirs")

    response = api.get(ADDRESSES)

    assert response.status_code == 200
    assert_matches_schema(response, ADDRESSES)
    assert [(a["city"], a["is_default"]) for a in response.json()] == [
        ("Older", True),
        ("Newer", False),
    ]


def test_address_list_makes_as_many_queries_for_20_addresses_as_for_2(
    api, shopper, django_assert_num_queries
):
    AddressFactory.create_batch(2, user=shopper)
    with django_assert_num_queries(2):  # the token with its user, then the addresses
        assert len(api.get(ADDRESSES).json()) == 2
    AddressFactory.create_batch(18, user=shopper)
    with django_assert_num_queries(2):
        assert len(api.get(ADDRESSES).json()) == 20


def test_the_first_address_becomes_the_default_and_make_default_moves_it(api, shopper):
    first = api.post(ADDRESSES, ADDRESS_BODY, format="json")
    second = api.post(ADDRESSES, {**ADDRESS_BODY, "city": "Leeds"}, format="json")
    third = api.post(ADDRESSES, {**ADDRESS_BODY, "make_default": True}, format="json")

    assert first.status_code == second.status_code == third.status_code == 201
    assert_matches_schema(third, ADDRESSES, "post")
    assert [first.json()["is_default"], second.json()["is_default"]] == [True, False]
    assert third.json()["is_default"] is True
    assert "make_default" not in third.json()
    defaults = Address.objects.filter(user=shopper, is_default=True)
    assert list(defaults.values_list("pk", flat=True)) == [third.json()["id"]]


def test_address_create_refuses_missing_fields_and_an_unknown_country(api, shopper):
    response = api.post(ADDRESSES, {**ADDRESS_BODY, "city": "", "country": "XX"}, format="json")

    error = assert_error(response, 400, code="invalid", field="city")
    assert "country" in error["fields"]
    assert_matches_schema(response, ADDRESSES, "post")
    assert not Address.objects.exists()


@pytest.mark.parametrize("country", [[], {}, ""])
def test_address_create_refuses_an_empty_country_in_any_shape(api, shopper, country):
    response = api.post(ADDRESSES, {**ADDRESS_BODY, "country": country}, format="json")

    assert_error(response, 400, code="invalid", field="country")
    assert not Address.objects.exists()


def test_address_patch_changes_the_fields_sent_and_can_make_it_the_default(api, shopper):
    default = AddressFactory(user=shopper, is_default=True)
    other = AddressFactory(user=shopper, city="Leeds", postal_code="LS1 1AA")

    response = api.patch(
        _url(ADDRESS, other.pk), {"city": "York", "make_default": True}, format="json"
    )

    assert response.status_code == 200, response.content
    assert_matches_schema(response, ADDRESS, "patch")
    other.refresh_from_db()
    default.refresh_from_db()
    assert (other.city, other.postal_code, other.is_default) == ("York", "LS1 1AA", True)
    assert default.is_default is False


def test_address_patch_refuses_a_blank_required_field(api, shopper):
    address = AddressFactory(user=shopper)

    response = api.patch(_url(ADDRESS, address.pk), {"line1": ""}, format="json")

    assert_error(response, 400, code="invalid", field="line1")
    assert_matches_schema(response, ADDRESS, "patch")


def test_address_retrieve_shows_your_address(api, shopper):
    address = AddressFactory(user=shopper)

    response = api.get(_url(ADDRESS, address.pk))

    assert response.status_code == 200
    assert_matches_schema(response, ADDRESS)
    assert response.json()["id"] == address.pk


def test_deleting_the_default_address_hands_the_default_to_the_newest(api, shopper):
    default = AddressFactory(user=shopper, is_default=True)
    older = AddressFactory(user=shopper)
    newest = AddressFactory(user=shopper)
    Address.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))

    response = api.delete(_url(ADDRESS, default.pk))

    assert response.status_code == 204
    assert not Address.objects.filter(pk=default.pk).exists()
    newest.refresh_from_db()
    assert newest.is_default is True


@pytest.mark.parametrize(
    ("method", "body"),
    [("get", None), ("patch", {"city": "Stolen"}), ("delete", None)],
)
def test_another_users_address_is_not_found_and_left_alone(other_api, shopper, method, body):
    address = AddressFactory(user=shopper, city="Mine")

    response = getattr(other_api, method)(_url(ADDRESS, address.pk), body, format="json")

    assert_error(response, 404, code="not_found")
    assert_matches_schema(response, ADDRESS, method)
    address.refresh_from_db()
    assert address.city == "Mine"
