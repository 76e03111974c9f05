"""Carts live in the database; anonymous ones are found by a signed cookie."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models

from apps.catalog.models import Variant
from apps.core.models import TimeStampedModel


class Cart(TimeStampedModel):
    """A shopper's cart; a signed-in user has at most one."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cart",
    )
    # Entered by the shopper; checked again, atomically, when the order is placed.
    voucher_code = models.CharField(max_length=40, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "updated_at"], name="cart_user_updated")]

    def __str__(self) -> str:
        return f"Cart {self.token}"


class CartLine(models.Model):
    """A variant and how many of it; remembers the price the shopper last saw."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    # The price shown when the shopper added or last reviewed the line, so the cart can
    # say "the price changed" instead of silently charging a different amount.
    price_seen = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cartline_one_per_variant"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="cartline_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.variant_id}"
