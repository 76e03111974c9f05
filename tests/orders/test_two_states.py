"""An order has two states: where the parcel is, and where the money is."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.orders import services
from apps.orders.choices import FulfillmentStatus, OrderPaymentStatus
from apps.orders.models import Order
from apps.payments.gateways.simulated import SUCCESS_CARD
from apps.payments.services import order_cancel_and_refund, order_pay, order_refund
from tests.api.support import assert_matches_schema, token_client
from tests.factories import UserFactory
from tests.orders.support import ORDERS, _order
from tests.payments.conftest import card, place

pytestmark = pytest.mark.django_db


def _paid(user=None) -> Order:
    order = place() if user is None else _order("unpaid", user=user)
    order_pay(order=order, card=card(SUCCESS_CARD))
    order.refresh_from_db()
    return order


def test_a_partly_refunded_order_can_still_be_shipped_and_delivered(staff):
    order = _paid()
    order_refund(order=order, amount=Decimal("10.00"), reason="Goodwill", actor=staff)

    services.order_ship(order=order, carrier="DHL", tracking_number="JD1", actor=staff)
    services.order_mark_delivered(order=order, actor=staff)

    order.refresh_from_db()
    assert (order.payment_status, order.fulfillment_status) == (
        OrderPaymentStatus.PARTIALLY_REFUNDED,
        FulfillmentStatus.DELIVERED,
    )
    assert list(order.events.values_list("state", "from_status", "to_status")) == [
        ("", "", "placed"),
        ("payment", "unpaid", "paid"),
        ("payment", "paid", "partially_refunded"),
        ("fulfillment", "unfulfilled", "shipped"),
        ("fulfillment", "shipped", "delivered"),
    ]


def test_a_refund_after_shipping_leaves_the_parcel_where_it_is(staff):
    order = _paid()
    services.order_ship(order=order, carrier="DHL", tracking_number="JD1")

    order_refund(order=order, amount=order.total, reason="Lost in the post", actor=staff)

    order.refresh_from_db()
    assert (order.payment_status, order.fulfillment_status) == (
        OrderPaymentStatus.REFUNDED,
        FulfillmentStatus.SHIPPED,
    )


def test_a_partly_refunded_shipped_order_stays_in_the_admins_shipped_filter(staff, staff_client):
    order = _paid()
    services.order_ship(order=order, carrier="DHL", tracking_number="JD1")
    order_refund(order=order, amount=Decimal("5.00"), reason="Dent", actor=staff)
    other = _paid()

    shipped = staff_client.get(ORDERS, {"fulfillment_status__exact": "shipped"})
    refunded = staff_client.get(ORDERS, {"payment_status__exact": "partially_refunded"})

    assert [o.pk for o in shipped.context["cl"].result_list] == [order.pk]
    assert [o.pk for o in refunded.context["cl"].result_list] == [order.pk]
    page = staff_client.get(ORDERS).content.decode()
    assert "Partially refunded" in page
    assert other.number in page


@pytest.mark.parametrize(
    ("setup", "move", "message"),
    [
        ("unpaid", "ship", "only paid orders not yet shipped can be shipped"),
        ("cancelled", "ship", "only paid orders not yet shipped can be shipped"),
        ("paid", "deliver", "only shipped orders can be marked delivered"),
        ("shipped", "cancel", "cannot be cancelled"),
        ("paid", "return", "only shipped or delivered orders can be returned"),
    ],
)
def test_each_state_refuses_a_move_it_does_not_allow(setup, move, message):
    order = _order(setup)
    moves = {
        "ship": lambda: services.order_ship(order=order, carrier="DHL", tracking_number="1"),
        "deliver": lambda: services.order_mark_delivered(order=order),
        "cancel": lambda: services.order_cancel(order=order),
        "return": lambda: services.order_mark_returned(order=order),
    }
    before = (order.payment_status, order.fulfillment_status)

    with pytest.raises(services.InvalidTransition, match=message):
        moves[move]()

    order.refresh_from_db()
    assert (order.payment_status, order.fulfillment_status) == before


def test_a_fully_refunded_order_is_not_shipped(staff):
    order = _paid()
    order_refund(order=order, amount=order.total, reason="Out of stock", actor=staff)

    with pytest.raises(services.InvalidTransition):
        services.order_ship(order=order, carrier="DHL", tracking_number="1")


def test_a_delivered_order_can_come_back():
    order = _order("delivered")

    services.order_mark_returned(order=order, note="Wrong size")

    order.refresh_from_db()
    assert (order.payment_status, order.fulfillment_status) == (
        OrderPaymentStatus.PAID,
        FulfillmentStatus.RETURNED,
    )


def test_cancelling_a_paid_order_cancels_the_parcel_and_refunds_the_money(staff):
    order = _paid()

    order_cancel_and_refund(order=order, actor=staff, note="Customer asked")

    order.refresh_from_db()
    assert (order.payment_status, order.fulfillment_status) == (
        OrderPaymentStatus.REFUNDED,
        FulfillmentStatus.CANCELLED,
    )


def test_the_api_shows_both_states_of_an_order():
    shopper = UserFactory()
    order = _paid(user=shopper)
    services.order_ship(order=order, carrier="DHL", tracking_number="JD1")
    order_refund(order=order, amount=Decimal("1.00"), reason="Goodwill")
    api = token_client(shopper)

    detail = api.get(f"/api/v1/orders/{order.number}/")
    listing = api.get("/api/v1/orders/")

    assert detail.status_code == 200
    assert_matches_schema(detail, "/api/v1/orders/{number}/", "get")
    body = detail.json()
    assert (body["fulfillment_status"], body["payment_status"]) == ("shipped", "partially_refunded")
    assert "status" not in body
    assert [(o["fulfillment_status"], o["payment_status"]) for o in listing.json()["results"]] == [
        ("shipped", "partially_refunded")
    ]


def test_the_shoppers_order_page_shows_both_states(client):
    shopper = UserFactory()
    order = _paid(user=shopper)
    services.order_ship(order=order, carrier="DHL", tracking_number="JD1")
    order_refund(order=order, amount=Decimal("1.00"), reason="Goodwill")
    client.force_login(shopper)

    page = client.get(reverse("orders:detail", args=[order.number])).content.decode()

    assert "Partially refunded" in page
    assert "Shipped" in page
    assert "JD1" in page
