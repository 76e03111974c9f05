"""A used code leaves the cart with its order; guessing codes is rate limited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.cart.models import Cart
from apps.orders import services as orders
from tests.factories import (
    CartFactory,
    CartLineFactory,
    ShippingMethodFactory,
    VariantFactory,
    VoucherFactory,
)

pytestmark = pytest.mark.django_db


def test_placing_the_order_takes_the_code_off_the_cart():
    VoucherFactory(code="TEN")
    cart = CartFactory(voucher_code="TEN")
    CartLineFactory(cart=cart, variant=VariantFactory(price=Decimal("40.00"), stock=5))
    orders.order_place(
        cart=cart,
        email="a@example.com",
        address=orders.ShippingAddress(
            full_name="A", line1="1 Way", city="London", postal_code="N1", country="GB"
        ),
        shipping_method_id=ShippingMethodFactory().pk,
    )
    assert Cart.objects.get(pk=cart.pk).voucher_code == ""
    assert cart.voucher_code == ""


def test_trying_many_codes_from_one_address_is_slowed_down(client, settings):
    settings.VOUCHER_ATTEMPTS_PER_IP = "3/m"
    for n in range(3):
        response = client.post(reverse("cart:voucher_apply"), {"code": f"GUESS{n}"}, follow=True)
        assert "Too many voucher codes" not in response.content.decode()
    response = client.post(reverse("cart:voucher_apply"), {"code": "GUESS9"}, follow=True)
    assert "Too many voucher codes tried" in response.content.decode()
