"""A realistic order history for the demo and the benchmark, written with bulk_create.

Deterministic for a seed (and an end date): the same catalog gives the same orders. The
shape: volume grows over the period, weekends and November and December sell more, evenings
more than nights; 1 to 5 lines per order, popular products far more often than the rest;
about 7% of orders expire unpaid, 2.5% of paid ones are refunded in full and 3.5% in part;
12% use a demo voucher. Stock is not changed: the history is in the past, and the
catalog's stock is today's. Order events and e-mails are not written either (the reports
do not read them, and they would double the rows to insert).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import models
from django.utils import timezone

from apps.accounts.models import User, customer_key
from apps.catalog.models import Variant
from apps.orders.choices import FulfillmentStatus, OrderPaymentStatus
from apps.orders.models import Order, OrderLine
from apps.payments.models import Payment, PaymentStatus, Refund
from apps.pricing.models import ShippingMethod
from apps.pricing.money import ZERO, money, order_totals
from apps.reports.periods import shop_timezone
from apps.vouchers.models import Voucher, VoucherKind, VoucherRedemption
from apps.vouchers.services import voucher_discount

NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CUSTOMER_DOMAIN = "customers.example.com"
DEMO_VOUCHERS = [
    ("WELCOME10", VoucherKind.PERCENTAGE, Decimal("10"), None, "10% off a first order"),
    ("SAVE5", VoucherKind.FIXED, Decimal("5.00"), Decimal("30.00"), "5 off from 30"),
    ("WINTER20", VoucherKind.PERCENTAGE, Decimal("20"), Decimal("60.00"), "20% off from 60"),
]
# Relative volume per weekday (Monday first) and per month (January first).
WEEKDAY = (1.0, 0.95, 0.95, 1.0, 1.1, 1.25, 1.2)
MONTH = (0.85, 0.85, 0.95, 1.0, 1.0, 0.95, 0.9, 0.9, 1.0, 1.05, 1.3, 1.6)
HOURS = (
    1,
    0.5,
    0.3,
    0.2,
    0.2,
    0.4,
    1,
    2,
    3,
    4,
    4.5,
    5,
    5.5,
    5,
    4.5,
    4.5,
    5,
    5.5,
    6,
    7,
    7.5,
    6.5,
    4,
    2,
)
LINE_COUNTS = ((1, 45), (2, 28), (3, 15), (4, 8), (5, 4))
QUANTITIES = ((1, 80), (2, 15), (3, 5))
FIRST_NAMES = ("Ana", "Ben", "Chloé", "David", "Emma", "Farid", "Greta", "Hugo", "Iris", "Jonas")
LAST_NAMES = ("Martin", "Schmidt", "Rossi", "García", "Dubois", "Novak", "Jansen", "Silva")
CITIES = (
    ("Berlin", "10115", "DE"),
    ("Paris", "75002", "FR"),
    ("Madrid", "28004", "ES"),
    ("Amsterdam", "1012", "NL"),
    ("Milan", "20121", "IT"),
    ("Vienna", "1010", "AT"),
)
CARDS = ("visa", "mastercard", "amex")
REFUND_REASONS = ("Returned by the customer", "Damaged in transit", "Item missing from parcel")


@dataclass(frozen=True)
class Stock:
    """What orders are made of: the catalog's variants by popularity, shipping, vouchers."""

    variants: list[tuple[int, str, str, dict, Decimal]]
    cumulative: list[float]
    shipping: list[ShippingMethod]
    vouchers: list[Voucher]
    customers: list[tuple[int, str]]


@contextmanager
def timestamps_as_given() -> Iterator[None]:
    """Lets bulk_create write the dates it is given.

    auto_now and auto_now_add would stamp every row with the moment of the insert, and
    a history needs its own dates. Only this process, for the duration of the seeding.
    """
    changed = []
    for model in (Order, Payment, Refund, VoucherRedemption):
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
                changed.append((field, field.auto_now, field.auto_now_add))
                field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in changed:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def stock_load(rng: random.Random, *, customers: int) -> Stock:
    """Loads the active variants (weighted by a Zipf-like popularity) and the demo extras."""
    rows = list(
        Variant.objects.filter(is_active=True, product__is_active=True)
        .order_by("id")
        .values_list("id", "sku", "product__title", "options", "price")
    )
    rng.shuffle(rows)
    weights = [1 / (rank + 10) ** 0.9 for rank in range(len(rows))]
    shipping = list(ShippingMethod.objects.order_by("position", "id"))
    return Stock(
        variants=rows,
        cumulative=list(itertools.accumulate(weights)),
        shipping=shipping,
        vouchers=vouchers_ensure(),
        customers=customers_ensure(customers),
    )


def vouchers_ensure() -> list[Voucher]:
    """The demo voucher codes, created when missing (unlimited uses, no dates)."""
    found = []
    for code, kind, value, min_spend, description in DEMO_VOUCHERS:
        voucher, _ = Voucher.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "value": value,
                "min_spend": min_spend,
                "description": description,
            },
        )
        found.append(voucher)
    return found


def customers_ensure(count: int) -> list[tuple[int, str]]:
    """`count` demo customer accounts (no usable password), created when missing."""
    emails = [f"customer{n:05d}@{CUSTOMER_DOMAIN}" for n in range(1, count + 1)]
    password = make_password(None)
    User.objects.bulk_create(
        [User(email=email, password=password, first_name="Demo") for email in emails],
        batch_size=2000,
        ignore_conflicts=True,
    )
    return list(
        User.objects.filter(email__endswith=f"@{CUSTOMER_DOMAIN}")
        .order_by("id")
        .values_list("id", "email")[:count]
    )


def order_times(
    rng: random.Random, *, total: int, days: int, until: dt.datetime
) -> list[dt.datetime]:
    """`total` moments over the `days` days before `until`, in order, shaped as a shop's."""
    tz = shop_timezone()
    last_day = timezone.localtime(until, tz).date()
    first_day = last_day - dt.timedelta(days=days - 1)
    weights = []
    for index in range(days):
        day = first_day + dt.timedelta(days=index)
        growth = 0.6 + 0.8 * index / max(days - 1, 1)
        noise = rng.uniform(0.85, 1.15)
        weights.append(growth * WEEKDAY[day.weekday()] * MONTH[day.month - 1] * noise)
    # Each order's day drawn by weight: exact in total and unbiased however few orders
    # (rounding each day's share would put a small history on the busiest days only).
    counts = [0] * days
    for index in rng.choices(range(days), weights=weights, k=total):
        counts[index] += 1
    hour_cumulative = list(itertools.accumulate(HOURS))
    moments = []
    for index, count in enumerate(counts):
        midnight = dt.datetime.combine(first_day + dt.timedelta(days=index), dt.time.min, tz)
        for _ in range(count):
            hour = bisect.bisect(hour_cumulative, rng.random() * hour_cumulative[-1])
            moment = midnight + dt.timedelta(hours=min(hour, 23), seconds=rng.randrange(3600))
            if moment >= until:
                moment = until - dt.timedelta(seconds=rng.randrange(1, 3600))
            moments.append(moment)
    moments.sort()
    return moments


def order_number(index: int) -> str:
    """ "SF-" and eight letters, as placed orders have; distinct for every index."""
    digits = []
    value = index + 31**7  # eight digits from the first
    while value:
        value, digit = divmod(value, len(NUMBER_ALPHABET))
        digits.append(NUMBER_ALPHABET[digit])
    return "SF-" + "".join(reversed(digits)).rjust(8, NUMBER_ALPHABET[0])


def _pick(rng: random.Random, table: Sequence[tuple[int, int]]) -> int:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


@dataclass
class Planned:
    """One order and the rows that hang off it, before they are inserted."""

    order: Order
    lines: list[OrderLine]
    payments: list[Payment]
    refund: Refund | None
    redemption: VoucherRedemption | None


def order_plan(
    rng: random.Random, stock: Stock, *, index: int, placed: dt.datetime, now: dt.datetime
) -> Planned:
    """One order placed at `placed`, with its lines, payments, refund and voucher use."""
    picked: dict[int, tuple[int, str, str, dict, Decimal]] = {}
    for _ in range(_pick(rng, LINE_COUNTS)):
        row = stock.variants[bisect.bisect(stock.cumulative, rng.random() * stock.cumulative[-1])]
        picked[row[0]] = row
    lines = [
        OrderLine(
            variant_id=vid,
            sku=sku,
            product_title=title,
            options=options,
            unit_price=price,
            quantity=(quantity := _pick(rng, QUANTITIES)),
            line_total=money(price * quantity),
        )
        for vid, sku, title, options, price in picked.values()
    ]
    goods = sum((line.line_total for line in lines), ZERO)

    voucher = rng.choice(stock.vouchers) if stock.vouchers and rng.random() < 0.12 else None
    if voucher is not None and voucher.min_spend is not None and goods < voucher.min_spend:
        voucher = None
    discount = voucher_discount(voucher=voucher, goods_total=goods) if voucher else ZERO
    method = stock.shipping[0 if rng.random() < 0.8 else -1] if stock.shipping else None
    totals = order_totals(
        lines=[(line.unit_price, line.quantity) for line in lines],
        shipping_base=method.price if method else Decimal("4.90"),
        free_above=method.free_above if method else None,
        discount=discount,
    )
    customer = stock.customers[rng.randrange(len(stock.customers))] if rng.random() < 0.65 else None
    email = customer[1] if customer else f"guest{index:07d}@example.com"
    city, postal_code, country = rng.choice(CITIES)
    order = Order(
        number=order_number(index),
        user_id=customer[0] if customer else None,
        email=email,
        shipping_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        shipping_line1=f"{rng.randint(1, 180)} Demo Street",
        shipping_city=city,
        shipping_postal_code=postal_code,
        shipping_country=country,
        shipping_method=method,
        shipping_method_name=method.name if method else "Standard delivery",
        currency="EUR",
        subtotal=totals.subtotal,
        shipping_total=totals.shipping,
        discount_total=totals.discount,
        tax_total=totals.tax,
        total=totals.total,
        created_at=placed,
        updated_at=placed,
        expires_at=placed + dt.timedelta(minutes=30),
    )
    payments, refund = _outcome(rng, order, now=now)
    redemption = None
    if voucher is not None:
        redemption = VoucherRedemption(
            voucher=voucher,
            customer_key=customer_key(user_id=order.user_id, email=email),
            amount=totals.discount,
            created_at=placed,
            released_at=order.cancelled_at,
        )
    return Planned(order, lines, payments, refund, redemption)


def _outcome(
    rng: random.Random, order: Order, *, now: dt.datetime
) -> tuple[list[Payment], Refund | None]:
    """Decides what became of the order by now: its two states, payments and any refund."""
    placed = order.created_at
    age = now - placed
    roll = rng.random()
    payments: list[Payment] = []

    def attempt(status: str, at: dt.datetime) -> Payment:
        payment = Payment(
            gateway="simulated",
            reference=f"sim_{order.number}_{len(payments) + 1}",
            amount=order.total,
            status=status,
            card_brand=rng.choice(CARDS),
            card_last4=f"{rng.randrange(10000):04d}",
            created_at=at,
            updated_at=at,
        )
        payments.append(payment)
        return payment

    if age < dt.timedelta(minutes=30) and roll < 0.3:
        return payments, None  # still at the payment page
    if roll < 0.07 or (age < dt.timedelta(days=1) and roll < 0.075):
        if roll < 0.07:  # never paid: cancelled by the expiry job
            if rng.random() < 0.25:
                attempt(PaymentStatus.DECLINED, placed + dt.timedelta(minutes=2))
            order.fulfillment_status = FulfillmentStatus.CANCELLED
            order.cancelled_at = order.updated_at = order.expires_at
        else:  # the bank is still confirming
            attempt(PaymentStatus.PENDING, placed + dt.timedelta(minutes=2))
            order.payment_status = OrderPaymentStatus.PENDING
        return payments, None

    if rng.random() < 0.05:
        attempt(PaymentStatus.DECLINED, placed + dt.timedelta(minutes=1))
    paid_at = placed + dt.timedelta(minutes=3)
    captured = attempt(PaymentStatus.CAPTURED, paid_at)
    order.payment_status = OrderPaymentStatus.PAID
    order.paid_at = order.updated_at = paid_at
    if age > dt.timedelta(days=1):
        order.fulfillment_status = FulfillmentStatus.SHIPPED
        order.shipped_at = order.updated_at = placed + dt.timedelta(days=1)
        order.carrier, order.tracking_number = "DHL", f"JD{rng.randrange(10**12):012d}"
    if age > dt.timedelta(days=3):
        order.fulfillment_status = FulfillmentStatus.DELIVERED
        order.delivered_at = order.updated_at = placed + dt.timedelta(days=3)

    refund_roll = rng.random()
    if refund_roll >= 0.06 or age < dt.timedelta(days=2):
        return payments, None
    refunded_at = min(placed + dt.timedelta(days=rng.randint(2, 20)), now)
    if refund_roll < 0.025:
        amount = order.total
        order.payment_status = OrderPaymentStatus.REFUNDED
        if order.fulfillment_status == FulfillmentStatus.DELIVERED:
            order.fulfillment_status = FulfillmentStatus.RETURNED
    else:
        amount = money(order.total * Decimal(rng.randint(10, 60)) / 100) or order.total
        order.payment_status = OrderPaymentStatus.PARTIALLY_REFUNDED
    captured.refunded_amount = amount
    captured.updated_at = order.updated_at = max(refunded_at, order.updated_at)
    refund = Refund(
        payment=captured,
        amount=amount,
        reason=rng.choice(REFUND_REASONS),
        status=Refund.Status.SUCCEEDED,
        gateway_reference=f"sim_refund_{order.number}",
        created_at=refunded_at,
    )
    return payments, refund


def batch_write(planned: list[Planned], *, batch_size: int) -> dict[str, int]:
    """Inserts the orders, then (with their ids known) everything that points at them."""
    orders = Order.objects.bulk_create([p.order for p in planned], batch_size=batch_size)
    for plan, order in zip(planned, orders, strict=True):
        for line in plan.lines:
            line.order = order
        for payment in plan.payments:
            payment.order = order
        if plan.redemption is not None:
            plan.redemption.order = order
    lines = [line for p in planned for line in p.lines]
    payments = [payment for p in planned for payment in p.payments]
    OrderLine.objects.bulk_create(lines, batch_size=batch_size)
    Payment.objects.bulk_create(payments, batch_size=batch_size)
    refunds = [p.refund for p in planned if p.refund is not None]
    for refund in refunds:
        refund.order = refund.payment.order
        refund.payment_id = refund.payment.pk
    Refund.objects.bulk_create(refunds, batch_size=batch_size)
    redemptions = [p.redemption for p in planned if p.redemption is not None]
    VoucherRedemption.objects.bulk_create(redemptions, batch_size=batch_size)
    return {
        "orders": len(orders),
        "lines": len(lines),
        "payments": len(payments),
        "refunds": len(refunds),
        "vouchers": len(redemptions),
    }


def voucher_uses_recount() -> None:
    """Sets each demo voucher's use count to its uses not released, as redeeming would have."""
    for voucher in Voucher.objects.filter(code__in=[code for code, *_ in DEMO_VOUCHERS]):
        uses = voucher.redemptions.filter(released_at__isnull=True).count()
        Voucher.objects.filter(pk=voucher.pk).update(times_used=uses)
