from __future__ import annotations

from django.db import models


class FulfillmentStatus(models.TextChoices):
    """Where the parcel is."""

    UNFULFILLED = "unfulfilled", "Unfulfilled"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"
    RETURNED = "returned", "Returned"


class OrderPaymentStatus(models.TextChoices):
    """Where the money is."""

    UNPAID = "unpaid", "Unpaid"
    PENDING = "pending", "Payment pending"
    PAID = "paid", "Paid"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"


class OrderState(models.TextChoices):
    """Which of an order's two states an event changed (blank: the order as a whole)."""

    FULFILLMENT = "fulfillment", "Fulfilment"
    PAYMENT = "payment", "Payment"


# The event that opens every order's history.
PLACED = "placed"

# The one status orders had before it was split in two; old events still name these.
LEGACY_STATUS_LABELS = {
    "pending_payment": "Pending payment",
    "paid": "Paid",
    "fulfilled": "Shipped",
    "delivered": "Delivered",
    "cancelled": "Cancelled",
    "partially_refunded": "Partially refunded",
    "refunded": "Refunded",
}


def status_label(state: str, value: str) -> str:
    """A status value as staff and shoppers read it, for either state or an old event."""
    if value == PLACED:
        return "Placed"
    if state == OrderState.FULFILLMENT and value in FulfillmentStatus.values:
        return str(FulfillmentStatus(value).label)
    if state == OrderState.PAYMENT and value in OrderPaymentStatus.values:
        return str(OrderPaymentStatus(value).label)
    return LEGACY_STATUS_LABELS.get(value, value or "-")


class NotificationKind(models.TextChoices):
    ORDER_CONFIRMATION = "order_confirmation", "Order confirmation"
    PAYMENT_RECEIVED = "payment_received", "Payment received"
    SHIPPED = "shipped", "Shipped"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refund issued"
