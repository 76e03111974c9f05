"""`seed_orders`: a deterministic, consistent order history, only into an empty shop."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F, Q, Sum

from apps.orders.choices import FulfillmentStatus, OrderPaymentStatus
from apps.orders.models import Order, OrderLine
from apps.payments.models import Payment, PaymentStatus, Refund
from apps.reports.seeding import order_number
from apps.vouchers.models import Voucher, VoucherRedemption
from tests.factories import ShippingMethodFactory, VariantFactory

pytestmark = pytest.mark.django_db

END = dt.date(2026, 6, 30)


@pytest.fixture
def catalog(db):
    ShippingMethodFactory()
    return [VariantFactory(price=Decimal(f"{n + 5}.99")) for n in range(12)]


def _seed(**options) -> str:
    out = StringIO()
    call_command("seed_orders", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def _history() -> list[tuple]:
    return list(
        Order.objects.order_by("number").values_list(
            "number", "created_at", "payment_status", "fulfillment_status", "total"
        )
    )


def test_the_same_seed_and_end_date_make_the_same_history(catalog):
    _seed(orders=150, seed=7, until=END)
    first = _history()
    lines = list(OrderLine.objects.order_by("order__number", "sku").values_list("sku", "quantity"))
    for model in (VoucherRedemption, Refund, Payment, OrderLine, Order):
        model.objects.all().delete()

    _seed(orders=150, seed=7, until=END)

    assert len(first) == 150
    assert _history() == first
    assert (
        list(OrderLine.objects.order_by("order__number", "sku").values_list("sku", "quantity"))
        == lines
    )


def test_a_history_is_consistent_with_the_shops_rules(catalog):
    _seed(orders=600, seed=3, until=END)

    orders = Order.objects.all()
    # Totals: goods less discount plus shipping, each line its price times its quantity
    # (compared here, not in SQL, where SQLite would compare floats).
    for order in orders.prefetch_related("lines"):
        assert order.total == order.subtotal - order.discount_total + order.shipping_total
        assert order.subtotal == sum(line.line_total for line in order.lines.all())
        assert all(line.line_total == line.unit_price * line.quantity for line in order.lines.all())
    # Every order counted by the reports has its captured payment of its total.
    paid = orders.exclude(
        payment_status__in=[OrderPaymentStatus.UNPAID, OrderPaymentStatus.PENDING]
    )
    assert paid.count() == Payment.objects.filter(status=PaymentStatus.CAPTURED).count()
    assert not Payment.objects.filter(status=PaymentStatus.CAPTURED).exclude(
        amount=F("order__total")
    )
    # Refunds: as much as the payment says, a full one on refunded orders only.
    for payment in Payment.objects.filter(refunded_amount__gt=0):
        assert payment.refunds.aggregate(s=Sum("amount"))["s"] == payment.refunded_amount
    full = Refund.objects.filter(amount=F("order__total"))
    assert set(full.values_list("order__payment_status", flat=True)) <= {"refunded"}
    # Orders never paid were cancelled, and their voucher use released.
    unpaid = orders.filter(payment_status=OrderPaymentStatus.UNPAID, cancelled_at__isnull=False)
    assert set(unpaid.values_list("fulfillment_status", flat=True)) == {FulfillmentStatus.CANCELLED}
    assert not VoucherRedemption.objects.filter(order__in=unpaid, released_at__isnull=True).exists()
    # The voucher counters agree with the uses kept.
    for voucher in Voucher.objects.all():
        kept = voucher.redemptions.filter(released_at__isnull=True).count()
        assert voucher.times_used == kept
    # A realistic mix: mostly paid, some refunds and vouchers, dates of their own.
    assert 0.85 < paid.count() / 600 < 0.97
    assert Refund.objects.exists()
    assert VoucherRedemption.objects.exists()
    assert orders.filter(Q(created_at__year=2024) | Q(created_at__year=2025)).exists()


def test_if_empty_leaves_an_existing_history_alone(catalog):
    _seed(orders=20, until=END)

    output = _seed(orders=50, if_empty=True)

    assert "not seeding" in output
    assert Order.objects.count() == 20


def test_a_shop_with_orders_is_refused_without_if_empty(catalog):
    _seed(orders=5, until=END)

    with pytest.raises(CommandError, match="already has orders"):
        _seed(orders=5)


def test_an_empty_catalog_is_refused_with_a_reason(db):
    with pytest.raises(CommandError, match="run seed_catalog first"):
        _seed(orders=5)


@pytest.mark.parametrize("options", [{"orders": -1}, {"days": 0}, {"batch_size": 0}])
def test_bad_options_are_refused(catalog, options):
    with pytest.raises(CommandError, match="must be"):
        _seed(**options)


def test_order_numbers_look_like_placed_ones_and_never_repeat():
    numbers = [order_number(i) for i in range(5000)]

    assert len(set(numbers)) == 5000
    assert all(len(n) == 11 and n.startswith("SF-") for n in numbers)


def test_a_small_history_is_spread_over_the_whole_period(catalog):
    _seed(orders=300, until=END)

    months = {(d.year, d.month) for d in Order.objects.values_list("created_at", flat=True)}

    # 730 days up to 30 June 2026: every month from July 2024 has some orders.
    assert len(months) >= 24
