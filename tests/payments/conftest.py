"""Orders that have been paid (or are pending) through the simulated gateway."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.orders import services as orders
from apps.payments.gateways.base import CardDetails
from apps.payments.gateways.simulated import PENDING_CARD, SUCCESS_CARD
from apps.payments.services import order_pay
from tests.factories import CartFactory, CartLineFactory, ShippingMethodFactory, VariantFactory

ADDRESS = orders.ShippingAddress(
    full_name="Ada Lovelace", line1="1 Way", city="London", postal_code="N1", country="GB"
)


def card(number: str) -> CardDetails:
    return CardDetails(number=number, exp_month=12, exp_year=2099, cvc="123")


def place(*, price: str = "50.00", quantity: int = 2, stock: int = 10):
    cart = CartFactory()
    CartLineFactory(
        cart=cart, variant=VariantFactory(price=Decimal(price), stock=stock), quantity=quantity
    )
    method = ShippingMethodFactory(price=Decimal("0.00"), free_above=None)
    return orders.order_place(
        cart=cart, email="buyer@example.com", address=ADDRESS, shipping_method_id=method.pk
    )


@pytest.fixture
def paid_order(db):
    order = place()
    order_pay(order=order, card=card(SUCCESS_CARD))
    order.refresh_from_db()
    return order


@pytest.fixture
def pending_payment(db):
    order = place()
    return order_pay(order=order, card=card(PENDING_CARD))
