"""Payment attempts. Only the card brand and last four digits are ever stored."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from apps.core.models import TimeStampedModel
from apps.orders.models import Order


class PaymentStatus(models.TextChoices):
    # Claimed before the gateway is asked, so a second attempt finds it (one in flight).
    PROCESSING = "processing", "Being charged"
    CAPTURED = "captured", "Captured"
    DECLINED = "declined", "Declined"
    PENDING = "pending", "Pending confirmation"
    REFUNDED = "refunded", "Refunded"
    FAILED = "failed", "Failed"


class Payment(TimeStampedModel):
    """One attempt to pay an order through a gateway."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(max_length=30)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    message = models.CharField(max_length=255, blank=True)
    # Claimed by conditional UPDATEs before the gateway is asked to refund, so two staff
    # refunding at once can never refund more than was captured (CHECK below).
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0)
                & models.Q(refunded_amount__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
            # At most one attempt in flight per order, decided by the database, so it
            # holds across app hosts; order_pay also locks the order row to check for a
            # captured one.
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(status__in=["processing", "pending"]),
                name="payment_one_in_flight_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.reference or self.pk} ({self.status})"

    @property
    def refundable(self) -> Decimal:
        return (
            self.amount - self.refunded_amount
            if self.status == PaymentStatus.CAPTURED
            else Decimal(0)
        )


class Refund(models.Model):
    """Money given back to the customer: who, when, how much, why, and what was restocked."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=255)
    status = models.CharField(max_length=20, choices=Status.choices)
    gateway_reference = models.CharField(max_length=100, blank=True)
    # [{"line": <order line id>, "quantity": n}, ...]
    restocked = models.JSONField(default=list, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Refund {self.amount} on {self.order_id}"


class WebhookEvent(models.Model):
    """A gateway event, kept once per event id: replays and duplicates change nothing."""

    event_id = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=60)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    # Set when staff must decide (e.g. money arrived for an order that had expired).
    needs_attention = models.BooleanField(default=False, db_index=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id}"
