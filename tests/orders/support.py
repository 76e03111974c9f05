"""Helpers for the buying admin tests: orders moved to a status, changelist actions, messages."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.catalog.models import Variant
from apps.orders import services
from apps.orders.models import Order
from apps.payments.gateways.base import CardDetails
from apps.payments.gateways.simulated import SUCCESS_CARD
from apps.payments.services import order_pay
from tests.factories import CartFactory, CartLineFactory, ShippingMethodFactory, VariantFactory

ADDRESS = services.ShippingAddress(
    full_name="Ada Lovelace",
    line1="1 Analytical Way",
    city="London",
    postal_code="N1 1AA",
    country="GB",
)
ORDERS = reverse("admin:orders_order_changelist")


def _order(
    stage: str = "unpaid",
    *,
    variant: Variant | None = None,
    quantity: int = 1,
    email: str = "buyer@example.com",
    user: User | None = None,
) -> Order:
    """An order placed through checkout, then moved by the services to `stage`: unpaid,
    paid, shipped, delivered or cancelled."""
    cart = CartFactory()
    CartLineFactory(cart=cart, variant=variant or VariantFactory(stock=10), quantity=quantity)
    order = services.order_place(
        cart=cart,
        email=email,
        address=ADDRESS,
        shipping_method_id=ShippingMethodFactory().pk,
        user=user,
    )
    if stage in {"paid", "shipped", "delivered"}:
        card = CardDetails(number=SUCCESS_CARD, exp_month=12, exp_year=2099, cvc="123")
        order_pay(order=order, card=card)
    if stage in {"shipped", "delivered"}:
        services.order_ship(order=order, carrier="DHL", tracking_number="JD0001")
    if stage == "delivered":
        services.order_mark_delivered(order=order)
    if stage == "cancelled":
        services.order_cancel(order=order)
    order.refresh_from_db()
    return order


def _act(client: Client, action: str, objects: list[Any], url: str = ORDERS, **data: Any):
    """Picks `action` for `objects` in the changelist, as the "Go" button posts it."""
    selected = [obj.pk for obj in objects]
    return client.post(
        url, {"action": action, ACTION_CHECKBOX_NAME: selected, "index": "0", **data}
    )


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _listed(response) -> set[Any]:
    return set(response.context["cl"].result_list)
