"""Checking out through the API without an account: X-Cart-Token, then X-Order-Token."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import signing
from django.utils import timezone
from rest_framework.test import APIClient

from apps.cart.http import COOKIE_SALT
from apps.cart.models import Cart
from apps.orders.choices import OrderPaymentStatus
from apps.orders.models import Order
from apps.payments.gateways.simulated import DECLINE_CARD, SUCCESS_CARD
from tests.api.support import assert_error, assert_matches_schema
from tests.concurrency import run_together
from tests.factories import AddressFactory, VariantFactory

CARTS = "/api/v1/carts/"
CART = "/api/v1/cart/"
ITEMS = "/api/v1/cart/items/"
CHECKOUT = "/api/v1/checkout/"
ORDER = "/api/v1/orders/{number}/"
ADDRESS = {
    "full_name": "Grace Hopper",
    "line1": "2 Compiler Road",
    "city": "Arlington",
    "postal_code": "22201",
    "country": "US",
}
CARD = {"card_number": SUCCESS_CARD, "exp_month": 12, "exp_year": 2040, "cvc": "123"}

pytestmark = pytest.mark.django_db


def _guest() -> APIClient:
    """A client holding a new guest cart's token, as a mobile app would keep it."""
    client = APIClient()
    answer = client.post(CARTS)
    assert answer.status_code == 201
    client.credentials(HTTP_X_CART_TOKEN=answer.json()["token"])
    return client


def _place(client: APIClient, shipping, **body) -> object:
    body = {"email": "grace@example.com", "shipping_address": ADDRESS, **body}
    return client.post(CHECKOUT, {"shipping_method": shipping.pk, **body}, format="json")


def test_a_guest_cart_token_is_documented_and_writes_nothing_until_something_is_added():
    answer = APIClient().post(CARTS)

    assert answer.status_code == 201
    assert_matches_schema(answer, CARTS, "post")
    assert answer.json()["token"]
    assert Cart.objects.count() == 0


def test_a_guest_adds_changes_and_removes_lines_in_their_own_cart(variant):
    guest = _guest()

    assert guest.get(CART).json()["lines"] == []
    added = guest.post(ITEMS, {"variant": variant.pk, "quantity": 2}, format="json")
    assert added.status_code == 201, added.content
    assert_matches_schema(added, ITEMS, "post")
    cart = Cart.objects.get()
    assert cart.user_id is None
    line_id = added.json()["lines"][0]["id"]

    again = guest.post(ITEMS, {"variant": variant.pk}, format="json")
    assert again.json()["lines"][0]["quantity"] == 3
    assert Cart.objects.count() == 1  # the same cart, made once

    changed = guest.patch(f"{ITEMS}{line_id}/", {"quantity": 1}, format="json")
    assert changed.status_code == 200
    assert changed.json()["lines"][0]["quantity"] == 1
    assert guest.delete(f"{ITEMS}{line_id}/").status_code == 204
    assert guest.get(CART).json()["lines"] == []


def test_another_guests_line_is_not_found(variant):
    owner, other = _guest(), _guest()
    line_id = owner.post(ITEMS, {"variant": variant.pk}, format="json").json()["lines"][0]["id"]

    assert_error(other.patch(f"{ITEMS}{line_id}/", {"quantity": 3}, format="json"), 404)
    assert_error(other.delete(f"{ITEMS}{line_id}/"), 404)
    assert owner.get(CART).json()["lines"][0]["quantity"] == 1


def test_without_a_token_or_with_one_we_did_not_sign_the_cart_is_refused(variant):
    assert_error(APIClient().get(CART), 401, code="not_authenticated")
    cookie_value = signing.get_cookie_signer(salt=COOKIE_SALT).sign("a" * 32)
    for forged in ("garbage", "x" * 5000, cookie_value, "00000000-0000-4000-8000-000000000000"):
        client = APIClient()
        client.credentials(HTTP_X_CART_TOKEN=forged)
        error = assert_error(client.get(CART), 401, code="authentication_failed")
        assert "POST /api/v1/carts/" in error["message"]
        added = client.post(ITEMS, {"variant": variant.pk}, format="json")
        assert_error(added, 401, code="authentication_failed")
    assert Cart.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_first_adds_at_once_with_one_token_make_one_cart(variant):
    token = APIClient().post(CARTS).json()["token"]

    def add() -> int:
        client = APIClient()
        client.credentials(HTTP_X_CART_TOKEN=token)
        return client.post(ITEMS, {"variant": variant.pk}, format="json").status_code

    results, errors = run_together([add, add])

    assert errors == []
    assert results == [201, 201]
    assert Cart.objects.count() == 1
    assert Cart.objects.get().lines.get().quantity == 2


def test_a_guest_checks_out_with_an_email_then_sees_and_pays_the_order_by_its_token(
    variant, shipping
):
    guest = _guest()
    guest.post(ITEMS, {"variant": variant.pk, "quantity": 2}, format="json")

    placed = _place(guest, shipping)

    assert placed.status_code == 201, placed.content
    assert_matches_schema(placed, CHECKOUT, "post")
    order = Order.objects.get()
    assert (order.user_id, order.email) == (None, "grace@example.com")
    assert order.total == Decimal("12.50") * 2 + Decimal("4.90")
    token = placed.headers["X-Order-Token"]
    assert guest.get(CART).json()["lines"] == []

    reader = APIClient()
    reader.credentials(HTTP_X_ORDER_TOKEN=token)
    seen = reader.get(ORDER.format(number=order.number))
    assert seen.status_code == 200
    assert seen.json()["number"] == order.number
    paid = reader.post(ORDER.format(number=order.number) + "pay/", CARD, format="json")
    assert paid.status_code == 200, paid.content
    order.refresh_from_db()
    assert order.payment_status == OrderPaymentStatus.PAID


def test_a_guest_checkout_needs_an_email_and_takes_no_saved_address(variant, shipping):
    guest = _guest()
    guest.post(ITEMS, {"variant": variant.pk}, format="json")

    no_email = guest.post(
        CHECKOUT, {"shipping_address": ADDRESS, "shipping_method": shipping.pk}, format="json"
    )
    assert_error(no_email, 400, field="email")
    saved = AddressFactory()
    by_id = guest.post(
        CHECKOUT,
        {"email": "grace@example.com", "address_id": saved.pk, "shipping_method": shipping.pk},
        format="json",
    )
    assert_error(by_id, 400, field="address_id")
    assert Order.objects.count() == 0


def test_a_guest_with_an_empty_cart_is_told_so(shipping):
    assert_error(_place(_guest(), shipping), 400)
    assert Order.objects.count() == 0


def test_an_order_token_opens_its_own_guest_order_only(variant, shipping, shopper):
    guest = _guest()
    guest.post(ITEMS, {"variant": variant.pk}, format="json")
    first = _place(guest, shipping)
    guest.post(ITEMS, {"variant": variant.pk}, format="json")
    second = _place(guest, shipping)
    first_number, second_number = first.json()["number"], second.json()["number"]

    reader = APIClient()
    reader.credentials(HTTP_X_ORDER_TOKEN=first.headers["X-Order-Token"])
    assert reader.get(ORDER.format(number=first_number)).status_code == 200
    assert_error(reader.get(ORDER.format(number=second_number)), 404)
    assert_error(reader.post(ORDER.format(number=second_number) + "pay/", CARD, format="json"), 404)
    assert_error(reader.get("/api/v1/orders/"), 401)
    assert_error(APIClient().get(ORDER.format(number=first_number)), 401)


def test_an_order_token_past_its_age_is_refused_with_a_reason(variant, shipping, settings):
    guest = _guest()
    guest.post(ITEMS, {"variant": variant.pk}, format="json")
    placed = _place(guest, shipping)
    reader = APIClient()
    reader.credentials(HTTP_X_ORDER_TOKEN=placed.headers["X-Order-Token"])
    later = timezone.now() + dt.timedelta(days=settings.GUEST_ORDER_LINK_MAX_AGE_DAYS + 1)

    with time_machine.travel(later):
        refused = reader.get(ORDER.format(number=placed.json()["number"]))

    assert_error(refused, 403)


def test_a_declined_card_leaves_a_guest_order_payable_with_another(variant, shipping):
    guest = _guest()
    guest.post(ITEMS, {"variant": variant.pk}, format="json")
    placed = _place(guest, shipping)
    reader = APIClient()
    reader.credentials(HTTP_X_ORDER_TOKEN=placed.headers["X-Order-Token"])
    pay = ORDER.format(number=placed.json()["number"]) + "pay/"

    assert_error(reader.post(pay, {**CARD, "card_number": DECLINE_CARD}, format="json"), 402)
    assert reader.post(pay, CARD, format="json").status_code == 200


def test_two_guests_sending_the_same_idempotency_key_place_two_orders(shipping):
    orders = []
    for _ in range(2):
        guest = _guest()
        guest.post(ITEMS, {"variant": VariantFactory(stock=3).pk}, format="json")
        answer = guest.post(
            CHECKOUT,
            {"email": "a@example.com", "shipping_address": ADDRESS, "shipping_method": shipping.pk},
            format="json",
            headers={"Idempotency-Key": "same-key"},
        )
        assert answer.status_code == 201, answer.content
        assert "Idempotent-Replayed" not in answer.headers
        orders.append(answer.json()["number"])
    assert len(set(orders)) == 2


def test_a_guests_retry_with_its_key_gets_the_same_order(variant, shipping):
    guest = _guest()
    guest.post(ITEMS, {"variant": variant.pk}, format="json")
    body = {"email": "a@example.com", "shipping_address": ADDRESS, "shipping_method": shipping.pk}
    key = {"Idempotency-Key": "retry-me"}

    first = guest.post(CHECKOUT, body, format="json", headers=key)
    retry = guest.post(CHECKOUT, body, format="json", headers=key)

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1


def test_signing_in_with_the_cart_token_merges_the_guest_cart(variant, shopper):
    guest = _guest()
    guest.post(ITEMS, {"variant": variant.pk, "quantity": 2}, format="json")

    signed_in = guest.post(
        "/api/v1/auth/token/",
        {"email": shopper.email, "password": "a-long-test-password-42"},
        format="json",
    )

    assert signed_in.status_code == 200, signed_in.content
    member = APIClient()
    member.credentials(HTTP_AUTHORIZATION=f"Token {signed_in.json()['token']}")
    assert [line["quantity"] for line in member.get(CART).json()["lines"]] == [2]
    assert Cart.objects.get().user_id == shopper.pk
    # The token now names a new, empty cart.
    assert guest.get(CART).json()["lines"] == []
