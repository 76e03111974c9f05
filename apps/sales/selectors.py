"""What is on sale now: sale prices for variants, and the sale phase the caches key on.

Which sales run when is read from the database at most every few seconds per process
(`_schedule`), so a warm page asks nothing more than it did; whether each sale is live
is then decided from the clock on every request. A sale therefore starts and ends on
its second, never on a scheduler's next tick.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from apps.core.cache import digest
from apps.sales.models import Sale, SaleItem, SaleStatus

# How stale this process's copy of the schedule may be. A staff edit (a new end time,
# a suspension) reaches every process within this; the times themselves act on the second.
SCHEDULE_SECONDS = 5.0


@dataclass(frozen=True)
class ScheduledSale:
    id: int
    starts_at: datetime
    ends_at: datetime
    suspended: bool

    def live_at(self, now: datetime) -> bool:
        return not self.suspended and self.starts_at <= now < self.ends_at


@dataclass(frozen=True)
class SalePrice:
    """A variant's price in a live sale, and what is left of the units set aside."""

    item_id: int
    sale_id: int
    price: Decimal
    ends_at: datetime
    units_left: int | None
    per_customer_limit: int | None

    @property
    def sold_out(self) -> bool:
        return self.units_left == 0


_lock = threading.Lock()
_cached: tuple[float, list[ScheduledSale]] | None = None


def _schedule() -> list[ScheduledSale]:
    """Scheduled sales not yet over, from this process's copy (refreshed every few seconds)."""
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is not None and now - cached[0] < SCHEDULE_SECONDS:
        return cached[1]
    with _lock:
        rows = Sale.objects.filter(
            scheduled_at__isnull=False, ended_at__isnull=True, ends_at__gt=timezone.now()
        ).values_list("id", "starts_at", "ends_at", "suspended_at")
        schedule = [
            ScheduledSale(id=pk, starts_at=start, ends_at=end, suspended=suspended is not None)
            for pk, start, end, suspended in rows
        ]
        _cached = (now, schedule)
    return schedule


def schedule_forget() -> None:
    """Drops this process's copy (staff changed a sale here; tests move the clock)."""
    global _cached
    _cached = None


def live_sale_ids(now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return sorted(sale.id for sale in _schedule() if sale.live_at(now))


def sale_phase(now: datetime | None = None) -> str:
    """Names which sales are live now: cached pages and API reads key on it, so they
    switch at a sale's first and last second without waiting for an edit."""
    live = live_sale_ids(now)
    return digest(*live) if live else ""


def sale_prices(*, variant_ids: Iterable[int], now: datetime | None = None) -> dict[int, SalePrice]:
    """The live sale price of each of these variants that is in a live sale."""
    live = live_sale_ids(now)
    ids = list(variant_ids)
    if not live or not ids:
        return {}
    items = SaleItem.objects.filter(sale_id__in=live, variant_id__in=ids).select_related("sale")
    return {
        item.variant_id: SalePrice(
            item_id=item.pk,
            sale_id=item.sale_id,
            price=item.sale_price,
            ends_at=item.sale.ends_at,
            units_left=item.units_left,
            per_customer_limit=item.sale.per_customer_limit,
        )
        for item in items
    }


def upcoming_sale_for(*, variant_ids: Iterable[int], now: datetime | None = None) -> Sale | None:
    """The next scheduled sale of any of these variants, for a countdown before it starts."""
    now = now or timezone.now()
    upcoming = [s.id for s in _schedule() if not s.suspended and s.starts_at > now]
    if not upcoming:
        return None
    return (
        Sale.objects.filter(pk__in=upcoming, items__variant_id__in=list(variant_ids))
        .order_by("starts_at")
        .first()
    )


def sale_list_public(*, now: datetime | None = None) -> list[Sale]:
    """Sales shoppers can see: live ones, then scheduled ones, soonest first."""
    now = now or timezone.now()
    sales = Sale.objects.filter(
        scheduled_at__isnull=False,
        ended_at__isnull=True,
        ends_at__gt=now,
        suspended_at__isnull=True,
    ).order_by("starts_at", "id")
    return list(sales)


def sale_get_public(*, slug: str) -> Sale:
    """A sale a shopper may open (scheduled, live, or just ended); drafts are not found."""
    return Sale.objects.get(slug=slug, scheduled_at__isnull=False)


def sale_items(*, sale: Sale) -> QuerySet[SaleItem]:
    return sale.items.select_related("variant__product").order_by("id")


def sale_status_label(sale: Sale, now: datetime | None = None) -> str:
    return str(SaleStatus(sale.status_at(now)).label)


def price_now(*, variant_id: int, regular: Decimal, prices: dict[int, SalePrice]) -> Decimal:
    """What the variant costs now: its sale price while it is in a live sale with units
    left, else its regular price. Cart, checkout and order placing all ask this."""
    sale = prices.get(variant_id)
    return sale.price if sale is not None and not sale.sold_out else regular


def sale_schedule_phase(now: datetime | None = None) -> str:
    """Names which sales are live now and which are still to come.

    Pages that show a countdown before a start key on this rather than on `sale_phase`:
    once a sale has ended no sale is live, as before it started, and a page cached with
    the countdown would otherwise come back.
    """
    now = now or timezone.now()
    schedule = _schedule()
    live = sorted(sale.id for sale in schedule if sale.live_at(now))
    upcoming = sorted(sale.id for sale in schedule if not sale.suspended and sale.starts_at > now)
    return digest(live, upcoming) if live or upcoming else ""


def sale_items_shown(*, sales: list[Sale]) -> dict[int, list[SaleItem]]:
    """The items of these sales that shoppers see (active variants of active products),
    by sale id, in one query however many sales: the sale pages and the API read this."""
    shown: dict[int, list[SaleItem]] = {sale.pk: [] for sale in sales}
    items = SaleItem.objects.filter(
        sale__in=sales, variant__is_active=True, variant__product__is_active=True
    ).select_related("variant__product")
    for item in items.order_by("sale_id", "id"):
        shown[item.sale_id].append(item)
    return shown
