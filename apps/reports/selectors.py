"""The sales figures, each one aggregate in SQL (GROUP BY); no order is loaded into Python.

What counts (docs/ARCHITECTURE.md, "Sales reports"):

- An order counts when its payment was captured: paid, partially refunded or refunded
  (REPORTED_STATUSES). Unpaid, pending and cancelled-unpaid orders never count.
- It counts on the day it was placed (`created_at`), in the shop's time zone, as the
  order list's date filter has it.
- Gross sales are the order totals (goods less discount, plus shipping, tax included).
  Refunded is what was refunded on those orders, whenever it was refunded; net revenue
  is gross less refunded. So a paid order that was cancelled and refunded in full
  counts as one order with a net revenue of 0.
- Average order value is gross sales over orders; units are the units bought.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from apps.catalog.models import LOW_STOCK_THRESHOLD, Category, Product, Variant
from apps.orders.choices import OrderPaymentStatus
from apps.orders.models import Order, OrderLine
from apps.payments.models import Refund
from apps.reports.periods import Interval, Period, shop_timezone
from apps.vouchers.models import VoucherRedemption

# Orders whose money was captured; the refunded ones count, with their refunds subtracted.
REPORTED_STATUSES = (
    OrderPaymentStatus.PAID,
    OrderPaymentStatus.PARTIALLY_REFUNDED,
    OrderPaymentStatus.REFUNDED,
)
TOP_LIMIT = 10
LOW_STOCK_LIMIT = 20
RECENT_REFUNDS_LIMIT = 10
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
_TRUNC = {Interval.DAY: TruncDay, Interval.WEEK: TruncWeek, Interval.MONTH: TruncMonth}


@dataclass
class Row:
    """One day, week or month of the period (or the whole period, for the totals)."""

    bucket: dt.date
    label: str
    orders: int = 0
    gross: Decimal = ZERO
    refunded: Decimal = ZERO
    units: int = 0

    @property
    def net(self) -> Decimal:
        return self.gross - self.refunded

    @property
    def average(self) -> Decimal:
        """Gross sales per order, rounded to the cent (half up, as receipts are)."""
        if not self.orders:
            return ZERO
        return (self.gross / self.orders).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class SalesSeries:
    """The period's rows, one per bucket (empty buckets included), and their totals."""

    period: Period
    rows: list[Row]
    total: Row = field(init=False)

    def __post_init__(self) -> None:
        self.total = Row(
            bucket=self.period.date_from,
            label="Total",
            orders=sum(row.orders for row in self.rows),
            gross=sum((row.gross for row in self.rows), ZERO),
            refunded=sum((row.refunded for row in self.rows), ZERO),
            units=sum(row.units for row in self.rows),
        )


def cents(value: Decimal | None) -> Decimal:
    """A SUM as money. Exact on PostgreSQL (numeric); SQLite sums in floating point, and
    rounding to the cent makes that exact again for any shop's totals (15 digits)."""
    return ZERO if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def reported_orders(period: Period) -> QuerySet[Order]:
    """The orders that count in `period`: placed in it, their payment captured."""
    return Order.objects.filter(
        payment_status__in=REPORTED_STATUSES,
        created_at__gte=period.start,
        created_at__lt=period.end,
    ).order_by()


def _in_period(prefix: str, period: Period) -> Q:
    """The same condition as `reported_orders`, seen from a row that points at the order."""
    return Q(
        **{
            f"{prefix}payment_status__in": REPORTED_STATUSES,
            f"{prefix}created_at__gte": period.start,
            f"{prefix}created_at__lt": period.end,
        }
    )


def _by_bucket(queryset: QuerySet[Any], period: Period, moment: str, **sums: Any) -> dict:
    """`sums` per bucket of `moment`, truncated in the shop's time zone."""
    trunc = _TRUNC[Interval(period.interval)](moment, tzinfo=shop_timezone())
    grouped = queryset.annotate(bucket=trunc).values("bucket").annotate(**sums).order_by()
    tz = shop_timezone()
    return {timezone.localtime(row.pop("bucket"), tz).date(): row for row in grouped}


def sales_series(period: Period) -> SalesSeries:
    """Orders, gross, refunded, net, average order value and units per bucket: 3 queries."""
    orders = _by_bucket(
        reported_orders(period), period, "created_at", orders=Count("id"), gross=Sum("total")
    )
    units = _by_bucket(
        OrderLine.objects.filter(_in_period("order__", period)),
        period,
        "order__created_at",
        units=Sum("quantity"),
    )
    refunded = _by_bucket(
        Refund.objects.filter(_in_period("order__", period), status=Refund.Status.SUCCEEDED),
        period,
        "order__created_at",
        amount=Sum("amount"),
    )
    rows = []
    for bucket in period.buckets():
        found = orders.get(bucket, {})
        rows.append(
            Row(
                bucket=bucket,
                label=period.label(bucket),
                orders=found.get("orders", 0),
                gross=cents(found.get("gross")),
                refunded=cents(refunded.get(bucket, {}).get("amount")),
                units=units.get(bucket, {}).get("units") or 0,
            )
        )
    return SalesSeries(period=period, rows=rows)


@dataclass(frozen=True)
class Ranked:
    """A product or category with what it sold in the period."""

    id: int | None
    name: str
    units: int
    sales: Decimal


@dataclass(frozen=True)
class TopSellers:
    """The products and the categories (each product's own) that sold the most."""

    products: list[Ranked]
    categories: list[Ranked]


def _add(totals: dict[int | None, list], key: int | None, units: int, sales: Decimal) -> None:
    found = totals.setdefault(key, [0, ZERO])
    found[0] += units
    found[1] += sales


def _ranking(totals: dict[int | None, list], limit: int) -> list[tuple[int | None, list]]:
    """The `limit` largest sales first; ties by id, the deleted (None) last."""
    return sorted(totals.items(), key=lambda item: (-item[1][1], item[0] is None, item[0] or 0))[
        :limit
    ]


def top_sellers(period: Period, *, limit: int = TOP_LIMIT) -> TopSellers:
    """Units and line totals (before order discounts and refunds) per product and category.

    One pass over the period's lines, grouped by product (its category comes with it),
    then summed per category here: a second GROUP BY over the same join would read every
    line again, the page's largest cost on a long period. (Grouping by variant on the
    lines alone and placing the variants afterwards was measured too: faster in SQL over
    two years, slower over the usual month, for the thousands of variants sent back.)
    Then the names of the few shown, in two small queries. Lines whose variant was
    deleted since count under no product (id None) and no category.
    """
    per_product = (
        OrderLine.objects.filter(_in_period("order__", period))
        .values_list("variant__product_id", "variant__product__category_id")
        .annotate(units=Sum("quantity"), sales=Sum("line_total"))
        .order_by()
    )
    products: dict[int | None, list] = {}
    categories: dict[int | None, list] = {}
    for product_id, category_id, units, sales in per_product:
        _add(products, product_id, units, cents(sales))
        if category_id is not None:
            _add(categories, category_id, units, cents(sales))
    top = _ranking(products, limit)
    top_categories = _ranking(categories, limit)
    titles: dict[int | None, str] = dict(
        Product.objects.filter(pk__in=[pk for pk, _ in top if pk]).values_list("pk", "title")
    )
    names: dict[int | None, str] = dict(
        Category.objects.filter(pk__in=[pk for pk, _ in top_categories]).values_list("pk", "name")
    )
    return TopSellers(
        products=[
            Ranked(pk, titles.get(pk, "Products no longer in the catalog"), units, sales)
            for pk, (units, sales) in top
        ],
        categories=[
            Ranked(pk, names.get(pk, ""), units, sales) for pk, (units, sales) in top_categories
        ],
    )


def vouchers_used(period: Period, *, limit: int = TOP_LIMIT * 2) -> list[dict[str, Any]]:
    """Vouchers used on the orders that count: uses, discount given and those orders' sales.

    A use released when its order was cancelled is not counted.
    """
    redemptions = VoucherRedemption.objects.filter(
        _in_period("order__", period), released_at__isnull=True
    )
    rows = list(
        redemptions.values("voucher_id", "voucher__code")
        .annotate(uses=Count("id"), discount=Sum("amount"), sales=Sum("order__total"))
        .order_by("-uses", "voucher__code")[:limit]
    )
    return [
        {**row, "discount": cents(row["discount"]), "sales": cents(row["sales"])} for row in rows
    ]


@dataclass(frozen=True)
class RefundSummary:
    """Refunds issued in the period (by the day they were issued, whatever the order's)."""

    count: int
    amount: Decimal
    recent: list[Refund]


def refunds_issued(period: Period, *, limit: int = RECENT_REFUNDS_LIMIT) -> RefundSummary:
    """How many refunds succeeded in the period, for how much, and the latest of them."""
    issued = Refund.objects.filter(
        status=Refund.Status.SUCCEEDED,
        created_at__gte=period.start,
        created_at__lt=period.end,
    )
    totals = issued.order_by().aggregate(count=Count("id"), amount=Sum("amount"))
    recent = list(
        issued.select_related("order").only(
            "amount", "reason", "created_at", "order", "order__number"
        )[:limit]
    )
    return RefundSummary(count=totals["count"], amount=cents(totals["amount"]), recent=recent)


def low_stock(*, limit: int = LOW_STOCK_LIMIT) -> list[Variant]:
    """Active variants of active products with LOW_STOCK_THRESHOLD units or fewer, fewest first.

    Today's stock, whatever the period: what to reorder now.
    """
    return list(
        Variant.objects.filter(
            is_active=True, product__is_active=True, stock__lte=LOW_STOCK_THRESHOLD
        )
        .select_related("product")
        .only("sku", "options", "stock", "product", "product__title", "product__option_names")
        .order_by("stock", "id")[:limit]
    )


@dataclass(frozen=True)
class SalesReportData:
    """Everything the reports page shows for a period."""

    series: SalesSeries
    top: TopSellers
    vouchers: list[dict[str, Any]]
    refunds: RefundSummary
    low_stock: list[Variant]


def sales_report(period: Period) -> SalesReportData:
    """The whole page's figures: a fixed number of queries, whatever the number of orders."""
    return SalesReportData(
        series=sales_series(period),
        top=top_sellers(period),
        vouchers=vouchers_used(period),
        refunds=refunds_issued(period),
        low_stock=low_stock(),
    )
