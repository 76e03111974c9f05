"""Refunds: never more than was captured, even with two staff refunding at once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from apps.orders.choices import OrderPaymentStatus
from apps.orders.models import Order
from apps.payments.models import Payment, Refund
from apps.payments.services import RefundExceedsCapture, RefundNotPossible, order_pay, order_refund
from tests.concurrency import run_together
from tests.payments.conftest import card, place

pytestmark = pytest.mark.django_db


def test_a_partial_then_a_full_refund_change_the_status_and_email_the_customer(
    paid_order, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = order_refund(
            order=paid_order, amount=Decimal("30.00"), reason="Scratched", actor=staff
        )
    paid_order.refresh_from_db()
    assert paid_order.payment_status == OrderPaymentStatus.PARTIALLY_REFUNDED
    assert (first.amount, first.actor, first.status) == (Decimal("30.00"), staff, "succeeded")
    assert "refund" in mail.outbox[-1].subject.lower()

    order_refund(order=paid_order, amount=Decimal("70.00"), reason="Returned the rest", actor=staff)
    paid_order.refresh_from_db()
    assert paid_order.payment_status == OrderPaymentStatus.REFUNDED
    assert Payment.objects.get(order=paid_order).refunded_amount == Decimal("100.00")
    notes = list(paid_order.events.values_list("note", flat=True))
    assert "Refunded 30.00: Scratched" in notes


def test_a_refund_above_what_is_left_is_refused(paid_order):
    order_refund(order=paid_order, amount=Decimal("80.00"), reason="Damaged")
    with pytest.raises(RefundExceedsCapture, match=r"Only 20\.00 of 100\.00"):
        order_refund(order=paid_order, amount=Decimal("20.01"), reason="Again")
    assert Refund.objects.filter(status="succeeded").count() == 1


@pytest.mark.parametrize(
    ("amount", "reason"), [(Decimal("0"), "x"), (Decimal("-5"), "x"), (Decimal("5"), " ")]
)
def test_nonsense_refunds_are_refused(paid_order, amount, reason):
    with pytest.raises(RefundNotPossible):
        order_refund(order=paid_order, amount=amount, reason=reason)


def test_an_unpaid_order_cannot_be_refunded():
    order = place()
    with pytest.raises(RefundNotPossible, match="no captured payment"):
        order_refund(order=order, amount=Decimal("1.00"), reason="x")


def test_restocking_chosen_lines_returns_stock_once(paid_order):
    line = paid_order.lines.get()
    variant = line.variant
    before = variant.stock
    order_refund(order=paid_order, amount=Decimal("50.00"), reason="Returned", restock={line.pk: 1})
    variant.refresh_from_db()
    assert variant.stock == before + 1
    order_refund(order=paid_order, amount=Decimal("10.00"), reason="Returned", restock={line.pk: 1})
    with pytest.raises(RefundNotPossible, match="Cannot restock more"):
        order_refund(order=paid_order, amount=Decimal("1.00"), reason="x", restock={line.pk: 1})
    variant.refresh_from_db()
    assert variant.stock == before + 2
    # The failed attempt gave its amount claim back.
    assert Payment.objects.get(order=paid_order).refunded_amount == Decimal("60.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refunds_that_together_exceed_the_capture_let_only_one_through():
    order = place()
    order_pay(order=order, card=card("4242424242424242"))

    def refund():
        return order_refund(
            order=Order.objects.get(pk=order.pk), amount=Decimal("60.00"), reason="x"
        )

    results, errors = run_together([refund, refund, refund])
    assert len(results) == 1
    assert len(errors) == 2
    assert all(isinstance(error, RefundExceedsCapture) for error in errors)
    assert Payment.objects.get(order=order).refunded_amount == Decimal("60.00")
    assert Refund.objects.filter(status="succeeded").count() == 1
