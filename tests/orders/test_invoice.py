"""The printable invoice and packing slip: for the owner and staff only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.orders import services as orders
from apps.orders.views import GUEST_SESSION_KEY
from tests.factories import CartFactory, CartLineFactory, ShippingMethodFactory, VariantFactory

pytestmark = pytest.mark.django_db

ADDRESS = orders.ShippingAddress(
    full_name="Ada Lovelace", line1="1 Way", city="London", postal_code="N1", country="GB"
)


def _order(user=None):
    cart = CartFactory()
    CartLineFactory(
        cart=cart,
        variant=VariantFactory(price=Decimal("12.50"), sku="MUG-RED", product__title="Red Mug"),
        quantity=2,
    )
    method = ShippingMethodFactory(price=Decimal("4.90"), free_above=None)
    return orders.order_place(
        cart=cart, email="ada@example.com", address=ADDRESS, shipping_method_id=method.pk, user=user
    )


def test_the_owner_sees_a_printable_invoice_with_every_amount(client, shopper):
    order = _order(user=shopper)
    client.force_login(shopper)
    response = client.get(reverse("orders:invoice", args=[order.number]))
    assert response.status_code == 200
    body = response.content.decode()
    for text in [
        "Invoice",
        order.number,
        "MUG-RED",
        "Red Mug",
        "€12.50",
        "€25.00",
        "€4.90",
        "€29.90",
    ]:
        assert text in body
    assert "/static/css/invoice.css" in body
    assert "<script" not in body


def test_the_packing_slip_lists_items_without_prices(client, shopper):
    order = _order(user=shopper)
    client.force_login(shopper)
    body = client.get(
        reverse("orders:invoice", args=[order.number]), {"slip": "1"}
    ).content.decode()
    assert "Packing slip" in body
    assert "Red Mug" in body
    assert "€12.50" not in body


def test_staff_can_print_any_order(client, staff):
    order = _order()
    client.force_login(staff)
    assert client.get(reverse("orders:invoice", args=[order.number])).status_code == 200


def test_another_shopper_gets_a_404(client, shopper, other_shopper):
    order = _order(user=shopper)
    client.force_login(other_shopper)
    assert client.get(reverse("orders:invoice", args=[order.number])).status_code == 404
    client.logout()
    assert client.get(reverse("orders:invoice", args=[order.number])).status_code == 404


def test_the_guest_who_placed_the_order_can_print_it(client):
    order = _order()
    session = client.session
    session[GUEST_SESSION_KEY] = [order.number]
    session.save()
    assert client.get(reverse("orders:invoice", args=[order.number])).status_code == 200
