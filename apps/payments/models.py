"""Payment attempts. Only the card brand and last four digits are ever stored."""

from __future__ import annotations

from django.db import models

from apps.core.models import TimeStampedModel
from apps.orders.models import Order


class PaymentStatus(models.TextChoices):
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

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.gateway} {self.reference or self.pk} ({self.status})"
