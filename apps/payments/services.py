"""Paying for orders through the configured gateway."""

from __future__ import annotations

import logging

from django.db import transaction

from apps.accounts.models import User
from apps.core.errors import ApplicationError, Conflict
from apps.orders.models import Order
from apps.orders.services import order_mark_paid
from apps.payments.gateways import get_gateway
from apps.payments.gateways.base import CardDetails, ChargeStatus
from apps.payments.models import Payment, PaymentStatus

logger = logging.getLogger(__name__)


class PaymentDeclined(ApplicationError):
    """The gateway said no; the order stays payable."""

    code = "payment_declined"
    status_code = 402


class OrderNotPayable(Conflict):
    """The order is paid already, or was cancelled."""

    code = "order_not_payable"


def order_pay(*, order: Order, card: CardDetails, actor: User | None = None) -> Payment:
    """Charges the card for the order's total and marks the order paid.

    The gateway call happens outside any transaction (it is slow and cannot be rolled
    back). If the order was cancelled while the card was being charged (the expiry job
    won the race), the charge is refunded at once and the shopper is told.
    """
    if not order.is_payable:
        raise OrderNotPayable(f"Order {order.number} is {order.get_status_display().lower()}.")
    gateway = get_gateway()
    result = gateway.charge(
        amount=order.total, currency=order.currency, card=card, reference=order.number
    )
    payment = Payment.objects.create(
        order=order,
        gateway=gateway.name,
        reference=result.reference,
        amount=order.total,
        status=PaymentStatus.CAPTURED
        if result.status == ChargeStatus.CAPTURED
        else PaymentStatus.DECLINED,
        card_brand=result.brand,
        card_last4=result.last4,
        message=result.message,
    )
    if result.status != ChargeStatus.CAPTURED:
        raise PaymentDeclined(result.message or "The payment was declined.")
    if not order_mark_paid(order=order, actor=actor, note=f"Paid by card ending {result.last4}"):
        refund = gateway.refund(
            charge_reference=result.reference, amount=order.total, currency=order.currency
        )
        with transaction.atomic():
            Payment.objects.filter(pk=payment.pk).update(
                status=PaymentStatus.REFUNDED if refund.succeeded else PaymentStatus.FAILED,
                message="Order was no longer payable; charge refunded",
            )
        logger.warning("Payment %s for non-payable order %s refunded", payment.pk, order.number)
        raise OrderNotPayable(
            f"Order {order.number} was cancelled before your payment arrived. "
            "The charge has been refunded."
        )
    payment.refresh_from_db()
    return payment
