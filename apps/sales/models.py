"""Scheduled sales of some variants at a sale price, with limits per customer.

A sale points at catalog variants and orders by lazy references ("catalog.Variant"), and
its code imports neither: the catalog shows sale prices and orders claim sale units, so
the sales app sits below both.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from apps.core.models import TimeStampedModel


class SaleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Live"
    ENDED = "ended", "Ended"
    SUSPENDED = "suspended", "Suspended"


class Sale(TimeStampedModel):
    """A sale from its first second to its last; a draft until staff schedule it."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    per_customer_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Units of this sale's items one customer may buy across all their orders "
        "(empty: no limit). A customer is the account, or the e-mail address of a guest.",
    )
    scheduled_at = models.DateTimeField(
        null=True, blank=True, help_text="When staff scheduled it; empty while a draft."
    )
    suspended_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when staff end the sale before its end time."
    )
    # The waiting room (apps.waitingroom): who may shop the sale while a crowd waits.
    room_capacity = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Shoppers who may shop the sale at once; empty: no waiting room.",
    )
    room_admit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="New shoppers let in per minute; empty: no limit."
    )
    room_pass_minutes = models.PositiveIntegerField(
        default=10, help_text="How long an admitted shopper's pass lasts without activity."
    )
    room_prequeue = models.BooleanField(
        default=False,
        help_text="Shoppers who arrive before the start wait in the room and are let in "
        "in random order at the start.",
    )
    room_queue_everyone = models.BooleanField(
        default=False, help_text="Send every shopper of the sale through the room."
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="sale_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sales:detail", kwargs={"slug": self.slug})

    def status_at(self, now: datetime | None = None) -> SaleStatus:
        """Where the sale stands at `now`, from its times and staff's decisions alone."""
        now = now or timezone.now()
        if self.scheduled_at is None:
            return SaleStatus.DRAFT
        if self.ended_at is not None or now >= self.ends_at:
            return SaleStatus.ENDED
        if self.suspended_at is not None:
            return SaleStatus.SUSPENDED
        if now >= self.starts_at:
            return SaleStatus.LIVE
        return SaleStatus.SCHEDULED

    @property
    def status(self) -> SaleStatus:
        return self.status_at()


class SaleItem(models.Model):
    """A variant in a sale, at its sale price, with units optionally set aside for it."""

    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.CASCADE, related_name="sale_items"
    )
    sale_price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    units = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Units set aside for the sale (empty: as long as stock lasts). Once they "
        "are sold, the variant is sold out in the sale.",
    )
    # Claimed with the order by a conditional UPDATE (sold + n <= units), given back once
    # when an order is cancelled or expires.
    units_sold = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["sale", "variant"], name="sale_item_once"),
            models.CheckConstraint(
                condition=Q(units__isnull=True) | Q(units_sold__lte=F("units")),
                name="sale_item_units_within",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} in {self.sale_id} at {self.sale_price}"

    @property
    def units_left(self) -> int | None:
        return None if self.units is None else max(self.units - self.units_sold, 0)


class SaleCustomer(models.Model):
    """Units one customer holds in one sale: the per-customer limit's counter."""

    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="customers")
    # "user:<id>" for signed-in shoppers, "email:<normalised address>" for guests.
    customer_key = models.CharField(max_length=260)
    units = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sale", "customer_key"], name="sale_customer_once"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_key}: {self.units} in {self.sale_id}"


class SaleClaim(models.Model):
    """What one order took from a sale: units at the sale price, given back once."""

    item = models.ForeignKey(SaleItem, on_delete=models.PROTECT, related_name="claims")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="sale_claims")
    customer_key = models.CharField(max_length=260)
    units = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "order"], name="sale_claim_once_per_order"),
        ]

    def __str__(self) -> str:
        return f"{self.units} of {self.item_id} for {self.order_id}"
