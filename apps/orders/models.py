"""Orders with price snapshots, their status history and their e-mail outbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from apps.catalog.models import Variant
from apps.core.models import TimeStampedModel
from apps.orders.choices import (
    FulfillmentStatus,
    NotificationKind,
    OrderPaymentStatus,
    OrderState,
    status_label,
)
from apps.pricing.models import ShippingMethod


class Order(TimeStampedModel):
    """What a shopper bought, at the prices of the moment they bought it."""

    number = models.CharField(max_length=20, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    email = models.EmailField()
    # Two states, each with its own transitions (apps.orders.services): where the parcel
    # is, and where the money is. A partial refund changes the second, never the first.
    fulfillment_status = models.CharField(
        max_length=20, choices=FulfillmentStatus.choices, default=FulfillmentStatus.UNFULFILLED
    )
    payment_status = models.CharField(
        max_length=20, choices=OrderPaymentStatus.choices, default=OrderPaymentStatus.UNPAID
    )
    # The one-time token of the checkout form that placed this order: a second submission
    # of the same form hits the unique constraint and is answered with this order.
    checkout_token = models.CharField(max_length=64, unique=True, null=True, blank=True)

    shipping_name = models.CharField(max_length=150)
    shipping_line1 = models.CharField(max_length=200)
    shipping_line2 = models.CharField(max_length=200, blank=True)
    shipping_city = models.CharField(max_length=100)
    shipping_region = models.CharField(max_length=100, blank=True)
    shipping_postal_code = models.CharField(max_length=20)
    shipping_country = models.CharField(max_length=2)
    shipping_phone = models.CharField(max_length=30, blank=True)
    shipping_method = models.ForeignKey(
        ShippingMethod, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shipping_method_name = models.CharField(max_length=100)

    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    shipping_total = models.DecimalField(max_digits=12, decimal_places=2)
    discount_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax_total = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)

    expires_at = models.DateTimeField(help_text="Unpaid orders are cancelled after this.")
    paid_at = models.DateTimeField(null=True, blank=True)
    carrier = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="order_user_newest"),
            models.Index(fields=["payment_status", "expires_at"], name="order_unpaid_expiry"),
            models.Index(fields=["payment_status", "-created_at"], name="order_payment_newest"),
            models.Index(
                fields=["fulfillment_status", "-created_at"], name="order_fulfillment_newest"
            ),
            models.Index(fields=["email"], name="order_email"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total__gte=0), name="order_total_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("orders:detail", kwargs={"number": self.number})

    @property
    def is_payable(self) -> bool:
        """Not paid (nor being paid) and not cancelled: the shopper may pay it now."""
        return (
            self.payment_status == OrderPaymentStatus.UNPAID
            and self.fulfillment_status == FulfillmentStatus.UNFULFILLED
        )

    @property
    def is_cancelled(self) -> bool:
        return self.fulfillment_status == FulfillmentStatus.CANCELLED

    @property
    def status_summary(self) -> str:
        """Both states in a few words, as a shopper reads them: "Paid · Shipped"."""
        payment = self.get_payment_status_display()
        if self.fulfillment_status == FulfillmentStatus.UNFULFILLED:
            return str(payment)
        return f"{payment} · {self.get_fulfillment_status_display()}"


class OrderLine(models.Model):
    """One variant of an order, with its title, options and price frozen at purchase."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, null=True, on_delete=models.SET_NULL, related_name="+")
    sku = models.CharField(max_length=64)
    product_title = models.CharField(max_length=200)
    options = models.JSONField(default=dict, blank=True)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    # Units put back into stock by refunds; never more than were bought (CHECK below).
    restocked_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="orderline_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(restocked_quantity__lte=models.F("quantity")),
                name="orderline_restock_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"

    @property
    def options_label(self) -> str:
        return " / ".join(str(v) for v in self.options.values())


class OrderEvent(models.Model):
    """A status change or note on an order: when, who, from what to what, and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    # Blank for the order as a whole: its placing, and the single status of old events.
    state = models.CharField(max_length=20, choices=OrderState.choices, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '-'} → {self.to_status}"

    @property
    def from_label(self) -> str:
        return status_label(self.state, self.from_status)

    @property
    def to_label(self) -> str:
        return status_label(self.state, self.to_status)


class Notification(models.Model):
    """An e-mail owed to a customer: written in the order's transaction, sent by a task.

    The row is the outbox: if the broker is down when the order commits, the periodic
    sweep finds the unsent row later, so no order goes without its e-mail.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="notification_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.order_id}"
