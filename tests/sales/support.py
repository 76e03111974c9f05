"""Helpers for the sale page and API tests: sales made with the ORM, and clock travel."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone

from apps.catalog.models import Variant
from apps.sales.models import Sale, SaleItem
from apps.sales.selectors import schedule_forget

# A fixed moment, so that the seconds a countdown shows can be asserted exactly.
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
START = T0 + timedelta(hours=1)
END = START + timedelta(hours=2)


def make_sale(
    *,
    slug: str = "summer",
    name: str = "Summer Sale",
    starts_at: datetime = START,
    ends_at: datetime = END,
    draft: bool = False,
    **fields: object,
) -> Sale:
    """A sale scheduled by staff (or a draft), and every process told about it."""
    sale = Sale.objects.create(
        slug=slug,
        name=name,
        starts_at=starts_at,
        ends_at=ends_at,
        scheduled_at=None if draft else timezone.now(),
        **fields,
    )
    schedule_forget()
    return sale


def add_item(
    sale: Sale, variant: Variant, price: str, *, units: int | None = None, sold: int = 0
) -> SaleItem:
    item = SaleItem.objects.create(
        sale=sale, variant=variant, sale_price=Decimal(price), units=units, units_sold=sold
    )
    schedule_forget()
    return item


@contextmanager
def clock(moment: datetime) -> Iterator[time_machine.Traveller]:
    """The server's clock stopped at `moment` (the schedule re-read, as after any move)."""
    with time_machine.travel(moment, tick=False) as traveller:
        schedule_forget()
        yield traveller
    schedule_forget()


def move(traveller: time_machine.Traveller, moment: datetime, *, forget: bool = True) -> None:
    """Moves the stopped clock; `forget=False` keeps this process's copy of the schedule,
    to show that the clock alone starts and ends a sale."""
    traveller.move_to(moment)
    if forget:
        schedule_forget()
