"""Paying for orders through the configured gateway."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.models import User
from apps.catalog.choices import StockReason
from apps.catalog.services import stock_adjust
from apps.core.errors import ApplicationError, Conflict
from apps.orders.choices import NotificationKind, OrderState
from apps.orders.models import Order, OrderEvent, OrderLine
from apps.orders.services import (
    PAID_STATUSES,
    notification_queue,
    order_cancel,
    order_mark_paid,
    order_mark_refunded,
    order_payment_pending,
)
from apps.payments.gateways import get_gateway
from apps.payments.gateways.base import CardDetails, ChargeStatus
from apps.payments.models import Payment, PaymentStatus, Refund
from apps.pricing.money import money

logger = logging.getLogger(__name__)


_PAYMENT_STATUS = {
    ChargeStatus.CAPTURED: PaymentStatus.CAPTURED,
    ChargeStatus.DECLINED: PaymentStatus.DECLINED,
    ChargeStatus.PENDING: PaymentStatus.PENDING,
}


class PaymentDeclined(ApplicationError):
    """The gateway said no; the order stays payable."""

    code = "payment_declined"
    status_code = 402


class OrderNotPayable(Conflict):
    """The order is paid already, or was cancelled."""

    code = "order_not_payable"


def order_pay(*, order: Order, card: CardDetails, actor: User | None = None) -> Payment:
    """Charges the card for the order's total and marks the order paid.

    At most one charge ever reaches the gateway per order: the attempt is claimed in the
    database first (`_attempt_claim`), so a double click, a retrying app or a second app
    host gets a 409 instead of a second charge. The gateway call happens outside any
    transaction (it is slow and cannot be rolled back). If the order was cancelled while
    the card was being charged (the expiry job won the race), the charge is refunded at
    once and the shopper is told.
    """
    gateway = get_gateway()
    attempt = _attempt_claim(order=order, gateway=gateway.name)
    try:
        result = gateway.charge(
            amount=attempt.amount, currency=order.currency, card=card, reference=order.number
        )
    except BaseException:
        # No answer from the gateway: the attempt must not block the order for good.
        Payment.objects.filter(pk=attempt.pk, status=PaymentStatus.PROCESSING).update(
            status=PaymentStatus.FAILED, message="The payment gateway did not answer"
        )
        raise
    # The capture and the order marked paid commit together: an outage between two
    # transactions would leave the money taken and the order unpaid (then cancelled by
    # the expiry job). Lost here, the attempt stays "processing": no second charge.
    with transaction.atomic():
        Payment.objects.filter(pk=attempt.pk).update(
            reference=result.reference,
            status=_PAYMENT_STATUS[result.status],
            card_brand=result.brand,
            card_last4=result.last4,
            message=result.message,
            updated_at=timezone.now(),
        )
        if result.status == ChargeStatus.PENDING:
            order_payment_pending(order=order, note=f"Card ending {result.last4}: bank confirming")
            gateway.pending_recorded(
                charge_reference=result.reference, amount=attempt.amount, currency=order.currency
            )
        paid = result.status == ChargeStatus.CAPTURED and order_mark_paid(
            order=order, actor=actor, note=f"Paid by card ending {result.last4}"
        )
    attempt.refresh_from_db()
    if result.status == ChargeStatus.PENDING:
        return attempt  # the gateway confirms by webhook (apps.payments.webhooks)
    if result.status != ChargeStatus.CAPTURED:
        raise PaymentDeclined(result.message or "The payment was declined.")
    if not paid:
        refund = gateway.refund(
            charge_reference=result.reference, amount=attempt.amount, currency=order.currency
        )
        with transaction.atomic():
            Payment.objects.filter(pk=attempt.pk).update(
                status=PaymentStatus.REFUNDED if refund.succeeded else PaymentStatus.FAILED,
                message="Order was no longer payable; charge refunded",
            )
        logger.warning("Payment %s for non-payable order %s refunded", attempt.pk, order.number)
        raise OrderNotPayable(
            f"Order {order.number} was cancelled before your payment arrived. "
            "The charge has been refunded."
        )
    attempt.refresh_from_db()
    return attempt


@transaction.atomic
def _attempt_claim(*, order: Order, gateway: str) -> Payment:
    """Records the attempt before the gateway is asked; refuses if one is in flight or paid.

    The order row is locked, so two attempts decide one after the other: the second sees
    the first's row (in flight, or captured before the order is marked paid). The partial
    unique index on in-flight attempts is the last guard, as the CHECK is for stock.
    """
    locked = Order.objects.select_for_update().get(pk=order.pk)
    attempts = set(locked.payments.values_list("status", flat=True))
    if PaymentStatus.PENDING in attempts:
        raise OrderNotPayable(
            f"A payment for order {locked.number} is being confirmed by your bank; "
            "please wait a moment before trying again."
        )
    if PaymentStatus.PROCESSING in attempts:
        raise _in_progress(locked)
    if PaymentStatus.CAPTURED in attempts:
        raise OrderNotPayable(f"Order {locked.number} is paid already.")
    if not locked.is_payable:
        raise OrderNotPayable(f"Order {locked.number} is {locked.status_summary.lower()}.")
    try:
        with transaction.atomic():
            return Payment.objects.create(
                order=locked,
                gateway=gateway,
                amount=locked.total,
                status=PaymentStatus.PROCESSING,
            )
    except IntegrityError as error:
        raise _in_progress(locked) from error


def _in_progress(order: Order) -> OrderNotPayable:
    return OrderNotPayable(
        f"A payment for order {order.number} is already in progress; "
        "please wait a moment before trying again."
    )


class RefundNotPossible(ApplicationError):
    """The refund asked for cannot be made; the message says why."""

    code = "refund_not_possible"


class RefundExceedsCapture(Conflict):
    """More than what is left of the captured amount."""

    code = "refund_exceeds_capture"


def order_refund(
    *,
    order: Order,
    amount: Decimal,
    reason: str,
    actor: User | None = None,
    restock: dict[int, int] | None = None,
) -> Refund:
    """Refunds `amount` of the order's captured payment, optionally restocking lines.

    The amount (and any restock) is claimed first with conditional UPDATEs
    (`refunded_amount + x <= amount`, `restocked + n <= quantity`), so two staff refunding
    at once can never give back more than was captured; then the gateway is asked, outside
    any transaction; a gateway failure gives the claims back.
    """
    amount = money(amount)
    restock = {int(k): int(v) for k, v in (restock or {}).items() if int(v) > 0}
    if amount <= 0:
        raise RefundNotPossible(
            "Enter an amount above zero.", fields={"amount": ["Must be above 0."]}
        )
    if not reason.strip():
        raise RefundNotPossible("Say why you are refunding.", fields={"reason": ["Required."]})
    payment = order.payments.filter(status=PaymentStatus.CAPTURED).order_by("-created_at").first()
    if payment is None:
        raise RefundNotPossible(f"Order {order.number} has no captured payment to refund.")

    with transaction.atomic():
        claimed = Payment.objects.filter(
            pk=payment.pk, refunded_amount__lte=F("amount") - amount
        ).update(refunded_amount=F("refunded_amount") + amount)
        if not claimed:
            payment.refresh_from_db()
            raise RefundExceedsCapture(
                f"Only {payment.refundable} of {payment.amount} can still be refunded.",
                fields={"amount": [f"At most {payment.refundable}."]},
            )
        for line_id, quantity in restock.items():
            restocked = OrderLine.objects.filter(
                pk=line_id, order=order, restocked_quantity__lte=F("quantity") - quantity
            ).update(restocked_quantity=F("restocked_quantity") + quantity)
            if not restocked:
                raise RefundNotPossible(
                    "Cannot restock more units than were bought and not yet restocked.",
                    fields={"restock": [f"Line {line_id}: too many units."]},
                )

    result = get_gateway().refund(
        charge_reference=payment.reference, amount=amount, currency=order.currency
    )
    if not result.succeeded:
        with transaction.atomic():
            Payment.objects.filter(pk=payment.pk).update(
                refunded_amount=F("refunded_amount") - amount
            )
            for line_id, quantity in restock.items():
                OrderLine.objects.filter(pk=line_id).update(
                    restocked_quantity=F("restocked_quantity") - quantity
                )
            Refund.objects.create(
                payment=payment,
                order=order,
                amount=amount,
                reason=reason,
                status=Refund.Status.FAILED,
                actor=actor,
            )
        raise RefundNotPossible(f"The payment gateway refused the refund: {result.message}")

    with transaction.atomic():
        refund = Refund.objects.create(
            payment=payment,
            order=order,
            amount=amount,
            reason=reason,
            status=Refund.Status.SUCCEEDED,
            gateway_reference=result.reference,
            restocked=[{"line": k, "quantity": v} for k, v in restock.items()],
            actor=actor,
        )
        for line in OrderLine.objects.filter(pk__in=list(restock), order=order).order_by(
            "variant_id"
        ):
            if line.variant_id is not None:
                stock_adjust(
                    variant_id=line.variant_id,
                    delta=restock[line.pk],
                    reason=StockReason.RETURN,
                    actor=actor,
                    note=f"Refund on order {order.number}",
                )
        payment.refresh_from_db()
        fully = payment.refunded_amount >= payment.amount
        note = f"Refunded {amount}: {reason}"
        # Only the money moves: a partly refunded order still ships and is delivered.
        if order.payment_status not in PAID_STATUSES or not order_mark_refunded(
            order=order, fully=fully, actor=actor, note=note
        ):
            OrderEvent.objects.create(
                order=order,
                state=OrderState.PAYMENT,
                from_status=order.payment_status,
                to_status=order.payment_status,
                actor=actor,
                note=note,
            )
        notification_queue(order=order, kind=NotificationKind.REFUNDED)
    return refund


def order_cancel_and_refund(
    *, order: Order, actor: User | None = None, note: str = ""
) -> Refund | None:
    """Cancels the order (returning stock and voucher use) and refunds what was captured.

    Returns the refund, or None when nothing had been paid.
    """
    order_cancel(order=order, actor=actor, note=note)
    payment = order.payments.filter(status=PaymentStatus.CAPTURED).order_by("-created_at").first()
    if payment is None or payment.refundable <= 0:
        return None
    return order_refund(
        order=order, amount=payment.refundable, reason=note or "Order cancelled", actor=actor
    )
