"""What an order takes from a sale: units set aside and the customer's allowance.

Both are claimed inside the order's transaction by conditional UPDATEs, as stock is:
`units_sold + n <= units` on the sale item and `units + n <= limit` on the customer's
row of that sale, so ten simultaneous checkouts by one customer with a limit of two end
in exactly two orders, whatever the channel. A cancelled or expired order gives both
back exactly once (`SaleClaim.released_at`, claimed by its own conditional UPDATE).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core.cache import CATALOG_NAMESPACE, namespace_bump
from apps.core.errors import ApplicationError
from apps.sales.models import SaleClaim, SaleCustomer, SaleItem
from apps.sales.selectors import SalePrice


class SaleLimitReached(ApplicationError):
    """The customer already holds as many units of this sale as it allows."""

    code = "sale_limit_reached"
    status_code = 409


class SaleSoldOut(ApplicationError):
    """The units set aside for the sale went to other shoppers first."""

    code = "sale_sold_out"
    status_code = 409


@dataclass(frozen=True)
class SaleLine:
    """One order line bought at a sale price."""

    variant_id: int
    quantity: int
    title: str
    sale: SalePrice


def _units(quantity: int) -> str:
    return f"{quantity} unit{'s' if quantity != 1 else ''}"


def _catalog_changed() -> None:
    # After commit, as every catalog write (apps.catalog.cache.catalog_changed); the sales
    # app sits below the catalog, so it bumps the shared namespace by its name.
    transaction.on_commit(lambda: namespace_bump(CATALOG_NAMESPACE), robust=True)


@transaction.atomic(savepoint=False)
def sale_claim(*, order_id: int, customer: str, lines: list[SaleLine]) -> None:
    """Takes the sale units and the customer's allowance for the order's sale lines.

    Runs inside the order's transaction, just before the stock claim: a refusal rolls
    the whole order back. Rows are updated in id order (items, then customers), so two
    orders of the same sale items cannot deadlock.
    """
    for line in sorted(lines, key=lambda line: line.sale.item_id):
        if line.sale.units_left is None:
            continue
        claimed = SaleItem.objects.filter(
            pk=line.sale.item_id, units_sold__lte=F("units") - line.quantity
        ).update(units_sold=F("units_sold") + line.quantity)
        if not claimed:
            raise SaleSoldOut(
                f"Sorry, the sale units of {line.title} sold out while you were checking out. "
                "Please update your cart."
            )
        if SaleItem.objects.filter(pk=line.sale.item_id, units_sold__gte=F("units")).exists():
            # This order took the last units: pages must now say "sold out in this sale".
            _catalog_changed()
    wanted: dict[int, int] = defaultdict(int)
    limits: dict[int, int] = {}
    for line in lines:
        if line.sale.per_customer_limit is not None:
            wanted[line.sale.sale_id] += line.quantity
            limits[line.sale.sale_id] = line.sale.per_customer_limit
    for sale_id in sorted(wanted):
        limit, quantity = limits[sale_id], wanted[sale_id]
        row, _ = SaleCustomer.objects.get_or_create(sale_id=sale_id, customer_key=customer)
        taken = SaleCustomer.objects.filter(pk=row.pk, units__lte=limit - quantity).update(
            units=F("units") + quantity
        )
        if not taken:
            row.refresh_from_db()
            held = f"you have {row.units} already" if row.units else "you have none yet"
            raise SaleLimitReached(
                f"You can buy at most {limit} of these in this sale; {held}. "
                f"Please lower the quantity ({_units(quantity)} in this order)."
            )
    SaleClaim.objects.bulk_create(
        SaleClaim(
            item_id=line.sale.item_id,
            order_id=order_id,
            customer_key=customer,
            units=line.quantity,
        )
        for line in lines
    )


@transaction.atomic
def sale_release(*, order_id: int) -> int:
    """Gives back the sale units and allowance an order held; each claim only once.

    Returns how many claims were released by this call (0 when done before).
    """
    released = 0
    claims = SaleClaim.objects.filter(order_id=order_id, released_at__isnull=True)
    for claim in claims.select_related("item").order_by("item_id"):
        if not SaleClaim.objects.filter(pk=claim.pk, released_at__isnull=True).update(
            released_at=timezone.now()
        ):
            continue
        released += 1
        if claim.item.units is not None:
            SaleItem.objects.filter(pk=claim.item_id, units_sold__gte=claim.units).update(
                units_sold=F("units_sold") - claim.units
            )
            # Units back on sale: a page that said "sold out in this sale" is stale.
            _catalog_changed()
        SaleCustomer.objects.filter(
            sale_id=claim.item.sale_id, customer_key=claim.customer_key, units__gte=claim.units
        ).update(units=F("units") - claim.units)
    return released
