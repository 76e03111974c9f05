"""Reads for order pages and API: always scoped to their owner."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from apps.accounts.models import User
from apps.orders.models import Order, OrderEvent, OrderLine


def order_list(*, user: User) -> QuerySet[Order]:
    """The user's orders, newest first, with their lines."""
    return (
        Order.objects.filter(user=user)
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
        .order_by("-created_at", "-id")
    )


def order_detail_queryset() -> QuerySet[Order]:
    return Order.objects.select_related(
        "shipping_method", "voucher_redemption__voucher"
    ).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
        Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id")),
        "payments",
        "refunds",
    )


def order_for_user(*, user: User, number: str) -> Order | None:
    """The user's own order with that number; None for anyone else's (a 404, not a 403)."""
    return order_detail_queryset().filter(user=user, number=number).first()


def order_for_guest(*, number: str, email: str) -> Order | None:
    """A guest finds an order by its number plus the e-mail it was placed with."""
    return (
        order_detail_queryset()
        .filter(number=number.strip().upper(), email__iexact=email.strip())
        .first()
    )
