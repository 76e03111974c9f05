"""Orders' writes: placing them (placing.py), their two states (states.py), the outbox.

Callers import from here; the modules are split by concern, not by audience.
"""

from __future__ import annotations

from apps.orders.services.outbox import notification_queue
from apps.orders.services.placing import (
    CheckoutError,
    OutOfStock,
    ShippingAddress,
    order_number_generate,
    order_place,
)
from apps.orders.services.states import (
    AWAITING_PAYMENT,
    PAID_STATUSES,
    InvalidTransition,
    order_cancel,
    order_expire,
    order_mark_delivered,
    order_mark_paid,
    order_mark_refunded,
    order_mark_returned,
    order_moves,
    order_payment_failed,
    order_payment_pending,
    order_ship,
    order_transition,
)

__all__ = [
    "AWAITING_PAYMENT",
    "PAID_STATUSES",
    "CheckoutError",
    "InvalidTransition",
    "OutOfStock",
    "ShippingAddress",
    "notification_queue",
    "order_cancel",
    "order_expire",
    "order_mark_delivered",
    "order_mark_paid",
    "order_mark_refunded",
    "order_mark_returned",
    "order_moves",
    "order_number_generate",
    "order_payment_failed",
    "order_payment_pending",
    "order_place",
    "order_ship",
    "order_transition",
]
