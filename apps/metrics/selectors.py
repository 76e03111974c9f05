"""The shop's business figures, read from the database and Redis when Prometheus scrapes.

Read at scrape time rather than counted where they happen: the commerce code stays
untouched, the figures survive restarts and count what every process did (web, worker,
the admin, a management command), and a rolled-back checkout is never counted. The
price is a few aggregate queries per scrape, kept in the cache for
METRICS_BUSINESS_SECONDS so that any number of workers and Prometheus servers cost one
read per interval (measured in docs/DEPLOYMENT.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone

from apps.catalog.models import Variant
from apps.orders.choices import OrderPaymentStatus
from apps.orders.models import Order
from apps.payments.models import Payment, PaymentStatus, Refund
from apps.sales.models import Sale, SaleStatus
from apps.sales.room import sale_room
from apps.waitingroom.rooms import RoomStats
from apps.waitingroom.selectors import room_stats

CACHE_KEY = "metrics:shop-figures"
# Orders that were paid, whatever was refunded since: refunds are a figure of their own.
PAID_STATUSES = (
    OrderPaymentStatus.PAID,
    OrderPaymentStatus.PARTIALLY_REFUNDED,
    OrderPaymentStatus.REFUNDED,
)


@dataclass(frozen=True)
class ShopFigures:
    """Running totals since the shop opened, and how many variants are sold out now."""

    orders_placed: int
    revenue: Decimal
    payments_declined: int
    refunds: int
    refunded: Decimal
    variants_sold_out: int


def shop_figures() -> ShopFigures:
    """The figures as the database has them now (four aggregate queries)."""
    orders = Order.objects.aggregate(
        placed=Count("id"), revenue=Sum("total", filter=Q(payment_status__in=PAID_STATUSES))
    )
    refunds = Refund.objects.filter(status=Refund.Status.SUCCEEDED).aggregate(
        count=Count("id"), amount=Sum("amount")
    )
    return ShopFigures(
        orders_placed=orders["placed"],
        revenue=orders["revenue"] or Decimal(0),
        payments_declined=Payment.objects.filter(status=PaymentStatus.DECLINED).count(),
        refunds=refunds["count"],
        refunded=refunds["amount"] or Decimal(0),
        variants_sold_out=Variant.objects.filter(
            is_active=True, stock=0, product__is_active=True
        ).count(),
    )


def shop_figures_cached() -> ShopFigures:
    """`shop_figures()`, read at most once per METRICS_BUSINESS_SECONDS across processes."""
    seconds = settings.METRICS_BUSINESS_SECONDS
    if seconds <= 0:
        return shop_figures()
    figures = cache.get(CACHE_KEY)
    if isinstance(figures, ShopFigures):
        return figures
    figures = shop_figures()
    cache.set(CACHE_KEY, figures, timeout=seconds)
    return figures


def waiting_rooms(now: datetime | None = None) -> dict[str, RoomStats]:
    """Each waiting room in force (its sale live, or in its pre-queue), by room key.

    Only rooms in force are listed, so the label has as many values as sales run at once.
    """
    now = now or timezone.now()
    rooms = {}
    sales = Sale.objects.filter(scheduled_at__isnull=False, ended_at__isnull=True, ends_at__gt=now)
    for sale in sales.order_by("pk"):
        config = sale_room(sale)
        status = sale.status_at(now)
        in_force = status == SaleStatus.LIVE or (
            sale.room_prequeue and status == SaleStatus.SCHEDULED
        )
        if config is not None and in_force:
            rooms[config.key] = room_stats(config, now=now)
    return rooms
