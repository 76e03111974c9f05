"""Checkout on the API: the order from the cart, prices from the shop, Idempotency-Key."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.catalog.models import Variant
from apps.checkout.api import views as checkout_views
from apps.core.models import IdempotencyRecord
from apps.orders.choices import OrderPaymentStatus
from apps.orders.models import Order
from tests.api.support import assert_error, assert_matches_schema, token_client
from tests.concurrency import run_together
from tests.factories import (
    AddressFactory,
    CartFactory,
    CartLineFactory,
    ShippingMethodFactory,
    UserFactory,
    VariantFactory,
)

CHECKOUT = "/api/v1/checkout/"
SHIPPING_METHODS = "/api/v1/shipping-methods/"
ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "1 Analytical Way",
    "city": "London",
    "postal_code": "N1 1AA",
    "country": "GB",
}

pytestmark = pytest.mark.django_db


def _fill_cart(user: User, variant: Variant, quantity: int = 2) -> None:
    CartLineFactory(cart=CartFactory(user=user), variant=variant, quantity=quantity)


def _checkout(client: APIClient, body: dict, key: str | None = None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(CHECKOUT, body, format="json", headers=headers)


def _body(shipping, **extra) -> dict:
    return {"shipping_address": ADDRESS, "shipping_method": shipping.pk, **extra}


# --- shipping methods ----------------------------------------------------------------------


def test_shipping_methods_lists_the_active_ones_in_order_for_anyone(anonymous):
    second = ShippingMethodFactory(name="Express", position=2, price=Decimal("9.90"))
    first = ShippingMethodFactory(name="Standard", position=1, free_above=None)
    ShippingMethodFactory(name="Retired", is_active=False)

    response = anonymous.get(SHIPPING_METHODS)

    assert response.status_code == 200
    assert_matches_schema(response, SHIPPING_METHODS)
    assert [m["id"] for m in response.json()] == [first.pk, second.pk]
    assert response.json()[1]["price"] == "9.90"
    assert response.json()[1]["free_above"] == "50.00"


# --- placing the order -----------------------------------------------------------------------


def test_checkout_places_the_order_at_shop_prices_and_empties_the_cart(
    api, shopper, variant, shipping
):
    _fill_cart(shopper, variant, 2)

    response = _checkout(api, _body(shipping))

    assert response.status_code == 201, response.content
    assert_matches_schema(response, CHECKOUT, "post")
    order = Order.objects.get()
    body = response.json()
    assert response["Location"] == f"/api/v1/orders/{order.number}/"
    assert body["number"] == order.number
    assert body["payment_status"] == OrderPaymentStatus.UNPAID
    assert body["payable"] is True
    assert body["email"] == shopper.email
    assert body["shipping_address"]["full_name"] == "Ada Lovelace"
    assert body["shipping_method"] == shipping.name
    assert [(line["sku"], line["quantity"]) for line in body["lines"]] == [(variant.sku, 2)]
    assert (body["subtotal"], body["shipping_total"], body["total"]) == ("25.00", "4.90", "29.90")
    assert body["payments"] == []
    assert [event["to_status"] for event in body["events"]] == ["placed"]
    assert order.user == shopper
    variant.refresh_from_db()
    assert variant.stock == 3
    assert api.get("/api/v1/cart/").json()["lines"] == []


def test_checkout_uses_a_saved_address_and_a_given_email(api, shopper, variant, shipping):
    _fill_cart(shopper, variant)
    saved = AddressFactory(user=shopper, full_name="Grace Hopper", country="US", line2="Apt 2")

    response = _checkout(
        api, {"address_id": saved.pk, "shipping_method": shipping.pk, "email": "g@example.com"}
    )

    assert response.status_code == 201, response.content
    order = Order.objects.get()
    assert (order.shipping_name, order.shipping_line2, order.shipping_country) == (
        "Grace Hopper",
        "Apt 2",
        "US",
    )
    assert order.email == "g@example.com"


def test_another_users_saved_address_is_refused_like_one_that_does_not_exist(
    api, shopper, other_shopper, variant, shipping
):
    _fill_cart(shopper, variant)
    theirs = AddressFactory(user=other_shopper)

    foreign = _checkout(api, {"address_id": theirs.pk, "shipping_method": shipping.pk})
    missing = _checkout(api, {"address_id": 999_999, "shipping_method": shipping.pk})

    assert_error(foreign, 400, field="address_id")
    assert_error(missing, 400, field="address_id")
    assert foreign.json()["error"]["fields"] == missing.json()["error"]["fields"]
    assert theirs.line1 not in foreign.content.decode()
    assert not Order.objects.exists()


@pytest.mark.parametrize("with_address_id", [True, False])
def test_exactly_one_of_the_two_ways_to_give_an_address_is_needed(
    api, shopper, variant, shipping, with_address_id
):
    _fill_cart(shopper, variant)
    body: dict = {"shipping_method": shipping.pk}
    if with_address_id:
        body |= {"shipping_address": ADDRESS, "address_id": AddressFactory(user=shopper).pk}
    assert_error(_checkout(api, body), 400, code="invalid")
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("country", "XX"), ("postal_code", "9" * 21), ("full_name", ""), ("line1", None)],
)
def test_a_bad_shipping_address_names_the_field(api, shopper, variant, shipping, field, value):
    _fill_cart(shopper, variant)
    response = _checkout(api, _body(shipping, shipping_address={**ADDRESS, field: value}))
    error = assert_error(response, 400, code="invalid", field=f"shipping_address.{field}")
    assert list(error["fields"]) == [f"shipping_address.{field}"]
    assert not Order.objects.exists()


@pytest.mark.parametrize("email", ["not-an-address", "a" * 250 + "@example.com"])
def test_a_bad_email_is_refused(api, shopper, variant, shipping, email):
    _fill_cart(shopper, variant)
    assert_error(_checkout(api, _body(shipping, email=email)), 400, field="email")
    assert not Order.objects.exists()


def test_prices_totals_status_and_owner_in_the_body_are_ignored(
    api, shopper, other_shopper, variant, shipping
):
    _fill_cart(shopper, variant, 2)
    tampered = _body(
        shipping,
        total="0.01",
        subtotal="0.01",
        shipping_total="0.00",
        tax_total="0.00",
        status="paid",
        payment_status="paid",
        fulfillment_status="delivered",
        user=other_shopper.pk,
        number="SF-MINE",
        lines=[{"variant": variant.pk, "quantity": 2, "unit_price": "0.01"}],
        paid_at="2020-01-01T00:00:00Z",
    )

    response = _checkout(api, tampered)

    assert response.status_code == 201, response.content
    order = Order.objects.get()
    assert (order.total, order.payment_status, order.user) == (
        Decimal("29.90"),
        OrderPaymentStatus.UNPAID,
        shopper,
    )
    assert order.number != "SF-MINE"
    assert order.paid_at is None
    assert order.lines.get().unit_price == Decimal("12.50")


def test_an_empty_cart_cannot_be_checked_out(api, shipping):
    assert_error(_checkout(api, _body(shipping)), 400, code="checkout_invalid")
    assert not Order.objects.exists()


@pytest.mark.parametrize("method", ["missing", "inactive"])
def test_an_unknown_or_inactive_shipping_method_is_refused(api, shopper, variant, method):
    _fill_cart(shopper, variant)
    pk = 999_999 if method == "missing" else ShippingMethodFactory(is_active=False).pk
    body = {"shipping_address": ADDRESS, "shipping_method": pk}
    assert_error(_checkout(api, body), 400, field="shipping_method")
    variant.refresh_from_db()
    assert variant.stock == 5


def test_an_item_sold_out_meanwhile_is_a_409_and_takes_nothing(api, shopper, shipping):
    plenty, scarce = VariantFactory(stock=10), VariantFactory(stock=1)
    cart = CartFactory(user=shopper)
    CartLineFactory(cart=cart, variant=plenty, quantity=2)
    CartLineFactory(cart=cart, variant=scarce, quantity=1)
    Variant.objects.filter(pk=scarce.pk).update(stock=0)

    assert_error(_checkout(api, _body(shipping)), 409, code="out_of_stock")

    plenty.refresh_from_db()
    assert plenty.stock == 10
    assert not Order.objects.exists()
    assert cart.lines.count() == 2


def test_checkout_needs_a_signed_in_user(anonymous, shipping):
    assert_error(_checkout(anonymous, _body(shipping)), 401)


# --- Idempotency-Key -------------------------------------------------------------------------


def test_the_same_key_and_body_place_one_order_and_replay_the_same_response(
    api, shopper, variant, shipping
):
    _fill_cart(shopper, variant, 2)

    first = _checkout(api, _body(shipping), key="order-1")
    again = _checkout(api, _body(shipping), key="order-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Order.objects.count() == 1
    variant.refresh_from_db()
    assert variant.stock == 3


def test_the_same_body_in_another_key_order_or_spacing_is_the_same_request(
    api, shopper, variant, shipping
):
    _fill_cart(shopper, variant)
    first = _checkout(api, _body(shipping), key="k")
    fields = ", ".join(f'"{k}": "{v}"' for k, v in reversed(ADDRESS.items()))
    reordered = f'{{"shipping_method": {shipping.pk},  "shipping_address": {{{fields}}}}}'
    again = api.post(
        CHECKOUT, reordered, content_type="application/json", headers={"Idempotency-Key": "k"}
    )
    assert again.status_code == 201
    assert again.json()["number"] == first.json()["number"]


def test_the_same_key_with_a_different_body_is_a_422(api, shopper, variant, shipping):
    _fill_cart(shopper, variant)
    assert _checkout(api, _body(shipping), key="k").status_code == 201

    other_body = _body(shipping, email="someone@example.com")
    assert_error(_checkout(api, other_body, key="k"), 422, code="idempotency_key_reused")
    assert Order.objects.count() == 1


def test_keys_belong_to_their_user(api, other_api, shopper, other_shopper, variant, shipping):
    _fill_cart(shopper, variant, 1)
    _fill_cart(other_shopper, variant, 1)
    mine = _checkout(api, _body(shipping), key="shared")
    theirs = _checkout(other_api, _body(shipping), key="shared")
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert mine.json()["number"] != theirs.json()["number"]


def test_a_refusal_is_stored_and_replayed_too(api, shopper, variant, shipping):
    _fill_cart(shopper, variant, 2)
    Variant.objects.filter(pk=variant.pk).update(stock=1)
    refused = _checkout(api, _body(shipping), key="k")
    assert_error(refused, 409, code="out_of_stock")

    Variant.objects.filter(pk=variant.pk).update(stock=5)
    replayed = _checkout(api, _body(shipping), key="k")

    assert replayed.status_code == 409
    assert replayed["Idempotent-Replayed"] == "true"
    assert replayed.json() == refused.json()
    assert not Order.objects.exists()
    assert _checkout(api, _body(shipping), key="a-new-key").status_code == 201


def test_an_empty_cart_refusal_is_replayed_even_once_the_cart_is_filled(
    api, shopper, variant, shipping
):
    assert_error(_checkout(api, _body(shipping), key="k"), 400, code="checkout_invalid")
    _fill_cart(shopper, variant)
    replayed = _checkout(api, _body(shipping), key="k")
    assert replayed.status_code == 400
    assert replayed["Idempotent-Replayed"] == "true"


def test_a_malformed_body_is_not_stored_so_the_key_can_be_used_once_corrected(
    api, shopper, variant, shipping
):
    _fill_cart(shopper, variant)
    assert_error(_checkout(api, {"shipping_method": shipping.pk}, key="k"), 400)
    assert not IdempotencyRecord.objects.exists()
    assert _checkout(api, _body(shipping), key="k").status_code == 201


def test_an_unexpected_failure_releases_the_key(api, shopper, variant, shipping, monkeypatch):
    _fill_cart(shopper, variant)

    def broken(**kwargs):
        raise RuntimeError("the database fell over")

    monkeypatch.setattr(checkout_views, "order_place", broken)
    with pytest.raises(RuntimeError):
        _checkout(api, _body(shipping), key="k")
    assert not IdempotencyRecord.objects.exists()

    monkeypatch.undo()
    response = _checkout(api, _body(shipping), key="k")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


@pytest.mark.parametrize("key", ["", "x" * 256])
def test_a_malformed_key_is_a_400(api, shopper, variant, shipping, key):
    _fill_cart(shopper, variant)
    assert_error(_checkout(api, _body(shipping), key=key), 400)
    assert not Order.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_key_arriving_twice_at_once_places_one_order_and_the_other_replays_it(
    monkeypatch,
):
    user = UserFactory()
    variant = VariantFactory(stock=5)
    shipping = ShippingMethodFactory()
    _fill_cart(user, variant, 1)
    body = _body(shipping)
    clients = [token_client(user), token_client(user)]

    # The key is claimed in the order's transaction: the first request to claim it holds
    # it (inside the order service) until the other is seen waiting on the key's unique
    # index, so the two really overlap, however the threads are scheduled.
    place = checkout_views.order_place

    def place_once_the_other_waits(**kwargs):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not _sessions_waiting_for_a_lock():
            time.sleep(0.02)
        return place(**kwargs)

    monkeypatch.setattr(checkout_views, "order_place", place_once_the_other_waits)

    results, errors = run_together(
        [lambda client=client: _checkout(client, body, key="at-once") for client in clients]
    )

    assert errors == []
    assert [r.status_code for r in results] == [201, 201]
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in results) == ["", "true"]
    assert results[0].json() == results[1].json()
    assert Order.objects.count() == 1
    variant.refresh_from_db()
    assert variant.stock == 4


def _sessions_waiting_for_a_lock() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


# --- the answer and the query budget -----------------------------------------------------


def test_the_answer_is_the_order_exactly_as_the_api_shows_it_afterwards(
    api, shopper, variant, shipping
):
    _fill_cart(shopper, variant, 2)

    placed = _checkout(api, _body(shipping), key="k")

    assert placed.status_code == 201, placed.content
    shown = api.get(f"/api/v1/orders/{placed.json()['number']}/")
    assert shown.status_code == 200
    assert placed.json() == shown.json()


# A one-line order with an Idempotency-Key, as a flash-sale buyer places it: the token and
# its user; the key claimed; the cart, found as it is locked; its lines, the shipping
# method, the visible categories (from the cache in production) and the variants; the
# order, its line, its first event and its confirmation e-mail; the cart's lines deleted;
# the stock claimed (the conditional UPDATE returning the stock after it, the movement);
# the stored answer. The other two are the savepoint of the key's transaction (the
# transaction itself in production).
CHECKOUT_QUERIES = 17


def test_placing_an_order_runs_a_fixed_number_of_queries(
    no_cache, django_assert_num_queries, api, shopper, variant, shipping
):
    _fill_cart(shopper, variant, 1)

    with django_assert_num_queries(CHECKOUT_QUERIES):
        response = _checkout(api, _body(shipping), key="k")

    assert response.status_code == 201, response.content


def test_once_the_stock_is_claimed_only_its_record_and_the_answer_are_written(
    no_cache, api, shopper, variant, shipping
):
    # Every buyer of a flash-sale item waits on its row lock from the claim to the commit:
    # the answer is built before the claim, so that nothing else is done while it is held.
    _fill_cart(shopper, variant, 1)

    with CaptureQueriesContext(connection) as captured:
        assert _checkout(api, _body(shipping), key="k").status_code == 201

    statements = [_statement(q["sql"]) for q in captured.captured_queries]
    claim = statements.index("UPDATE catalog_variant")
    assert [s for s in statements[claim + 1 :] if s != "SAVEPOINT"] == [
        "INSERT INTO catalog_stockmovement",  # the UPDATE returned the stock after it
        "UPDATE core_idempotencyrecord",  # the answer, stored with the order
    ]


def _statement(sql: str) -> str:
    """Names a statement by its kind and table, e.g. "UPDATE catalog_variant"."""
    if "SAVEPOINT" in sql:
        return "SAVEPOINT"
    match = re.match(r'(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b.*?"(\w+)"', sql)
    assert match, sql
    return f"{match[1]} {match[2]}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_buyers_for_the_last_five_units_through_the_api_make_five_orders():
    # The flash sale of the benchmark in small: each answer is built and stored under its
    # key before the stock is claimed, and a refused claim must take all of that back.
    shipping = ShippingMethodFactory()
    variant = VariantFactory(stock=5)
    buyers = [UserFactory() for _ in range(20)]
    for buyer in buyers:
        _fill_cart(buyer, variant, 1)
    clients = [token_client(buyer) for buyer in buyers]

    def buy(client: APIClient, key: str):
        return lambda: _checkout(client, _body(shipping), key=key)

    results, errors = run_together([buy(c, f"k{i}") for i, c in enumerate(clients)])

    assert errors == []
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * 5 + [409] * 15
    assert all(r.json()["error"]["code"] == "out_of_stock" for r in results if r.status_code == 409)
    variant.refresh_from_db()
    assert variant.stock == 0
    assert Order.objects.count() == 5
    placed = {r.json()["number"] for r in results if r.status_code == 201}
    assert set(Order.objects.values_list("number", flat=True)) == placed
    stored = IdempotencyRecord.objects.filter(state=IdempotencyRecord.State.COMPLETED)
    assert sorted(stored.values_list("response_status", flat=True)) == [201] * 5 + [409] * 15
