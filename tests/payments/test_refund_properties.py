"""Property test: whatever staff try to refund, what goes back adds up to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.orders.choices import OrderPaymentStatus
from apps.payments.models import Payment, Refund
from apps.payments.services import RefundExceedsCapture, order_pay, order_refund
from tests.payments.conftest import card, place

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("120.00"), places=2)


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(attempts=st.lists(amounts, min_size=1, max_size=8))
def test_refunds_never_exceed_the_capture_and_add_up_to_the_cent(attempts):
    order = place(price="50.00", quantity=2, stock=1000)  # captured: 100.00
    order_pay(order=order, card=card("4242424242424242"))
    accepted = Decimal("0.00")
    for amount in attempts:
        left = Decimal("100.00") - accepted
        if amount <= left:
            order_refund(order=order, amount=amount, reason="test")
            accepted += amount
        else:
            with pytest.raises(RefundExceedsCapture):
                order_refund(order=order, amount=amount, reason="test")
    payment = Payment.objects.get(order=order)
    refunded = sum(
        Refund.objects.filter(order=order, status="succeeded").values_list("amount", flat=True),
        Decimal("0"),
    )
    assert payment.refunded_amount == refunded == accepted
    assert payment.refunded_amount <= payment.amount
    assert payment.refundable == payment.amount - payment.refunded_amount
    order.refresh_from_db()
    expected = (
        OrderPaymentStatus.PAID
        if accepted == 0
        else OrderPaymentStatus.REFUNDED
        if accepted == payment.amount
        else OrderPaymentStatus.PARTIALLY_REFUNDED
    )
    assert order.payment_status == expected
