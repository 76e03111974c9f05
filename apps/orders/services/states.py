"""Moving an order through its two states, each change one conditional UPDATE.

Fulfilment (where the parcel is): unfulfilled → shipped → delivered, unfulfilled →
cancelled, shipped or delivered → returned. Payment (where the money is): unpaid →
pending (the bank is confirming) → paid, unpaid → paid, paid → partially refunded →
refunded. A change to one state never blocks the other: a partly refunded order still
ships. Where a change needs the other state too (only a paid order ships), the
condition is part of the same UPDATE.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import User
from apps.catalog.choices import StockReason
from apps.catalog.services import stock_adjust
from apps.core.errors import Conflict
from apps.orders.choices import (
    FulfillmentStatus,
    NotificationKind,
    OrderPaymentStatus,
    OrderState,
)
from apps.orders.models import Order, OrderEvent
from apps.orders.services.outbox import notification_queue
from apps.sales.services.claims import sale_release
from apps.vouchers.services import voucher_release

# Money that can still be refunded, and so is also enough to ship against.
PAID_STATUSES = [OrderPaymentStatus.PAID, OrderPaymentStatus.PARTIALLY_REFUNDED]
# The order is still waiting for its money: the expiry job may cancel it.
AWAITING_PAYMENT = [OrderPaymentStatus.UNPAID, OrderPaymentStatus.PENDING]


class InvalidTransition(Conflict):
    """The order is not in a status that allows this change (any more)."""

    code = "invalid_status"


def order_transition(
    *,
    order: Order,
    state: OrderState,
    to: str,
    sources: Iterable[str],
    actor: User | None = None,
    note: str = "",
    also: Q | None = None,
    **fields: Any,
) -> bool:
    """Moves one of the order's states to `to` only if it is still in one of `sources`.

    One conditional UPDATE decides: of two actors racing (a payment and the expiry job),
    exactly one sees a row count of 1 and goes on; the other is told it lost. `also` adds
    a condition on the rest of the row (the other state) to the same UPDATE.
    """
    field = "fulfillment_status" if state == OrderState.FULFILLMENT else "payment_status"
    allowed = list(sources)
    with transaction.atomic():
        current = getattr(order, field)
        rows = Order.objects.filter(pk=order.pk, **{f"{field}__in": allowed})
        if also is not None:
            rows = rows.filter(also)
        changed = rows.update(**{field: to}, updated_at=timezone.now(), **fields)
        if not changed:
            order.refresh_from_db()
            return False
        OrderEvent.objects.create(
            order=order,
            state=state,
            from_status=current if current in allowed else "",
            to_status=to,
            actor=actor,
            note=note,
        )
    order.refresh_from_db()
    return True


def _refused(order: Order, rule: str) -> InvalidTransition:
    return InvalidTransition(f"Order {order.number} is {order.status_summary.lower()}; {rule}")


def _stock_return(order: Order, *, note: str) -> None:
    """Gives back what a cancelled order held: its stock, voucher use and sale units."""
    voucher_release(order_id=order.pk)
    sale_release(order_id=order.pk)
    for line in order.lines.exclude(variant=None).order_by("variant_id"):
        assert line.variant_id is not None  # noqa: S101 - excluded above; narrows the type
        stock_adjust(
            variant_id=line.variant_id, delta=line.quantity, reason=StockReason.RELEASE, note=note
        )


@transaction.atomic
def order_cancel(*, order: Order, actor: User | None = None, note: str = "") -> Order:
    """Cancels an order not yet shipped and returns its stock, exactly once.

    The money is another state: a paid order is refunded by
    `apps.payments.services.order_cancel_and_refund`, which calls this first.
    """
    if not order_transition(
        order=order,
        state=OrderState.FULFILLMENT,
        to=FulfillmentStatus.CANCELLED,
        sources=[FulfillmentStatus.UNFULFILLED],
        actor=actor,
        note=note or "Cancelled",
        cancelled_at=timezone.now(),
    ):
        raise InvalidTransition(
            f"Order {order.number} is {order.get_fulfillment_status_display().lower()} "
            "and cannot be cancelled."
        )
    _stock_return(order, note=f"Order {order.number} cancelled")
    notification_queue(order=order, kind=NotificationKind.CANCELLED)
    return order


@transaction.atomic
def order_expire(*, order_id: int) -> bool:
    """Cancels one unpaid order past its deadline and returns its stock; False if it wasn't."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.expires_at > timezone.now():
        return False
    if not order_transition(
        order=order,
        state=OrderState.FULFILLMENT,
        to=FulfillmentStatus.CANCELLED,
        sources=[FulfillmentStatus.UNFULFILLED],
        also=Q(payment_status__in=AWAITING_PAYMENT),
        note="Payment not received in time",
        cancelled_at=timezone.now(),
    ):
        return False
    _stock_return(order, note=f"Order {order.number} expired unpaid")
    notification_queue(order=order, kind=NotificationKind.CANCELLED)
    return True


def order_payment_pending(*, order: Order, note: str = "") -> bool:
    """Unpaid → pending: the bank is confirming a charge (it ends by webhook)."""
    return order_transition(
        order=order,
        state=OrderState.PAYMENT,
        to=OrderPaymentStatus.PENDING,
        sources=[OrderPaymentStatus.UNPAID],
        note=note or "Payment pending confirmation by the bank",
    )


def order_payment_failed(*, order: Order, note: str = "") -> bool:
    """Pending → unpaid: the bank declined the charge it was confirming; payable again."""
    return order_transition(
        order=order,
        state=OrderState.PAYMENT,
        to=OrderPaymentStatus.UNPAID,
        sources=[OrderPaymentStatus.PENDING],
        note=note or "Payment declined by the bank",
    )


def order_mark_paid(*, order: Order, actor: User | None = None, note: str = "") -> bool:
    """Unpaid or pending → paid; False if the order was cancelled (or paid) meanwhile."""
    with transaction.atomic():
        paid = order_transition(
            order=order,
            state=OrderState.PAYMENT,
            to=OrderPaymentStatus.PAID,
            sources=AWAITING_PAYMENT,
            also=Q(fulfillment_status=FulfillmentStatus.UNFULFILLED),
            actor=actor,
            note=note or "Payment received",
            paid_at=timezone.now(),
        )
        if paid:
            notification_queue(order=order, kind=NotificationKind.PAYMENT_RECEIVED)
    return paid


def order_mark_refunded(
    *, order: Order, fully: bool, actor: User | None = None, note: str = ""
) -> bool:
    """Paid (or partly refunded) → partially refunded or refunded; the parcel is untouched."""
    return order_transition(
        order=order,
        state=OrderState.PAYMENT,
        to=OrderPaymentStatus.REFUNDED if fully else OrderPaymentStatus.PARTIALLY_REFUNDED,
        sources=PAID_STATUSES,
        actor=actor,
        note=note,
    )


@transaction.atomic
def order_ship(
    *, order: Order, carrier: str, tracking_number: str, actor: User | None = None
) -> Order:
    """Unfulfilled → shipped, with carrier and tracking number, if it is paid (even partly
    refunded); the customer is e-mailed."""
    if not carrier.strip() or not tracking_number.strip():
        raise InvalidTransition("Enter the carrier and the tracking number.")
    if not order_transition(
        order=order,
        state=OrderState.FULFILLMENT,
        to=FulfillmentStatus.SHIPPED,
        sources=[FulfillmentStatus.UNFULFILLED],
        also=Q(payment_status__in=PAID_STATUSES),
        actor=actor,
        note=f"Shipped with {carrier} ({tracking_number})",
        carrier=carrier.strip(),
        tracking_number=tracking_number.strip(),
        shipped_at=timezone.now(),
    ):
        raise _refused(order, "only paid orders not yet shipped can be shipped.")
    notification_queue(order=order, kind=NotificationKind.SHIPPED)
    return order


def order_mark_delivered(*, order: Order, actor: User | None = None) -> Order:
    """Shipped → delivered."""
    if not order_transition(
        order=order,
        state=OrderState.FULFILLMENT,
        to=FulfillmentStatus.DELIVERED,
        sources=[FulfillmentStatus.SHIPPED],
        actor=actor,
        note="Delivered",
        delivered_at=timezone.now(),
    ):
        raise _refused(order, "only shipped orders can be marked delivered.")
    return order


def order_mark_returned(*, order: Order, actor: User | None = None, note: str = "") -> Order:
    """Shipped or delivered → returned (the parcel came back; refund it separately)."""
    if not order_transition(
        order=order,
        state=OrderState.FULFILLMENT,
        to=FulfillmentStatus.RETURNED,
        sources=[FulfillmentStatus.SHIPPED, FulfillmentStatus.DELIVERED],
        actor=actor,
        note=note or "Returned",
    ):
        raise _refused(order, "only shipped or delivered orders can be returned.")
    return order


def order_moves(order: Order) -> set[str]:
    """The changes staff can make to the order now, by the rules above (for its buttons).

    Each service still decides for itself, atomically: this only says what to offer.
    """
    moves = set()
    unfulfilled = order.fulfillment_status == FulfillmentStatus.UNFULFILLED
    if unfulfilled and order.payment_status in PAID_STATUSES:
        moves.add("ship")
    if order.fulfillment_status == FulfillmentStatus.SHIPPED:
        moves.add("deliver")
    if order.fulfillment_status in (FulfillmentStatus.SHIPPED, FulfillmentStatus.DELIVERED):
        moves.add("return")
    if unfulfilled:
        moves.add("cancel")
    if order.payment_status in PAID_STATUSES:
        moves.add("refund")
    if not order.is_cancelled:
        moves.add("resend")
    return moves
