"""Voucher codes. Their limits are enforced by the database, not by Python checks."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from apps.core.models import TimeStampedModel


class VoucherKind(models.TextChoices):
    PERCENTAGE = "percentage", "Percentage off the goods"
    FIXED = "fixed", "Fixed amount off the goods"


class Voucher(TimeStampedModel):
    """A discount code: percentage or fixed, with dates, a minimum spend and use limits."""

    code = models.CharField(max_length=40, unique=True, help_text="Stored in upper case.")
    description = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=VoucherKind.choices)
    value = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    min_spend = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Total uses allowed; empty for unlimited."
    )
    # Counted by conditional UPDATEs only (see services); the CHECK below backs them up.
    times_used = models.PositiveIntegerField(default=0, editable=False)
    once_per_customer = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(times_used__lte=F("usage_limit")),
                name="voucher_uses_within_limit",
            ),
            models.CheckConstraint(
                condition=~Q(kind="percentage") | Q(value__lte=100),
                name="voucher_percentage_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def uses_left(self) -> int | None:
        return None if self.usage_limit is None else max(self.usage_limit - self.times_used, 0)


class VoucherRedemption(models.Model):
    """One use of a voucher by one order; released (not deleted) when the order is cancelled."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemptions")
    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, related_name="voucher_redemption"
    )
    # "user:<id>" for signed-in shoppers, "email:<address>" for guests.
    customer_key = models.CharField(max_length=260)
    once_per_customer = models.BooleanField(default=False)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Once per customer, decided by the database even for simultaneous checkouts.
            models.UniqueConstraint(
                fields=["voucher", "customer_key"],
                condition=Q(once_per_customer=True, released_at__isnull=True),
                name="voucher_once_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voucher_id} on {self.order_id}"
