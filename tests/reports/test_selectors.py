"""The report's figures against hand-computed ones, on a fixed set of orders in Berlin."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.orders.choices import FulfillmentStatus, OrderPaymentStatus
from apps.payments.models import Refund
from apps.reports import selectors
from apps.reports.periods import Interval, Period
from tests.factories import CategoryFactory, ProductFactory, VariantFactory, VoucherFactory
from tests.reports.conftest import at

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def shop(make_order):
    """Nine orders around 1 to 3 March 2026 (Berlin, UTC+1), every case the rules name."""
    alpha = VariantFactory(
        product=ProductFactory(title="Alpha", category=CategoryFactory(name="Kitchen")), stock=2
    )
    beta = VariantFactory(
        product=ProductFactory(title="Beta", category=CategoryFactory(name="Garden")), stock=50
    )
    save3 = VoucherFactory(code="SAVE3", kind="fixed", value=D("3.00"))
    orders = {
        # 23:30 UTC on 28 February, but 1 March in the shop.
        1: make_order(
            at("2026-03-01 00:30"), [(alpha, 2, "10.00"), (beta, 1, "5.55")], shipping="4.90"
        ),
        # 22:59 UTC: still 28 February in the shop.
        2: make_order(at("2026-02-28 23:59"), [(alpha, 1, "10.00")]),
        3: make_order(
            at("2026-03-01 12:00"),
            [(beta, 3, "5.55")],
            status=OrderPaymentStatus.PARTIALLY_REFUNDED,
            refunds=["6.65"],
            refunded_at=at("2026-03-05 10:00"),
        ),
        4: make_order(
            at("2026-03-02 09:00"),
            [(alpha, 1, "10.00")],
            status=OrderPaymentStatus.REFUNDED,
            fulfillment=FulfillmentStatus.CANCELLED,
            refunds=["10.00"],
            refunded_at=at("2026-03-02 15:00"),
        ),
        5: make_order(
            at("2026-03-02 10:00"),
            [(alpha, 5, "10.00")],
            status=OrderPaymentStatus.UNPAID,
            fulfillment=FulfillmentStatus.CANCELLED,
            voucher=save3,
            discount="3.00",
            released=True,
        ),
        6: make_order(
            at("2026-03-02 11:00"),
            [(beta, 1, "5.55")],
            status=OrderPaymentStatus.PENDING,
            fulfillment=FulfillmentStatus.UNFULFILLED,
        ),
        7: make_order(
            at("2026-03-03 08:00"), [(alpha, 3, "10.00")], voucher=save3, discount="3.00"
        ),
        # 23:00 UTC on 3 March, but 4 March in the shop: outside the period.
        8: make_order(at("2026-03-04 00:00"), [(beta, 1, "99.99")]),
        # An earlier order refunded inside the period.
        9: make_order(
            at("2026-02-20 10:00"),
            [(alpha, 5, "10.00")],
            status=OrderPaymentStatus.PARTIALLY_REFUNDED,
            refunds=["20.00"],
            refunded_at=at("2026-03-03 10:00"),
        ),
    }
    # A refund the gateway refused gives nothing back and counts nowhere.
    payment = orders[7].payments.get()
    Refund.objects.create(
        payment=payment, order=orders[7], amount=D("5.00"), reason="x", status="failed"
    )
    return {"alpha": alpha, "beta": beta, "orders": orders}


MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 3), Interval.DAY)


def _figures(row):
    return (row.label, row.orders, row.gross, row.refunded, row.net, row.average, row.units)


def test_daily_figures_equal_the_hand_computed_ones(shop):
    series = selectors.sales_series(MARCH)

    assert [_figures(row) for row in series.rows] == [
        ("2026-03-01", 2, D("47.10"), D("6.65"), D("40.45"), D("23.55"), 6),
        ("2026-03-02", 1, D("10.00"), D("10.00"), D("0.00"), D("10.00"), 1),
        ("2026-03-03", 1, D("27.00"), D("0.00"), D("27.00"), D("27.00"), 3),
    ]
    # 84.10 / 4 = 21.025: rounded half up, to the cent.
    assert _figures(series.total) == (
        "Total",
        4,
        D("84.10"),
        D("16.65"),
        D("67.45"),
        D("21.03"),
        10,
    )


def test_days_are_the_shops_days_not_utc_days(shop, settings):
    first_day = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    assert selectors.sales_series(first_day).total.orders == 2

    settings.TIME_ZONE = "UTC"
    # In UTC, order 1 was placed on 28 February: only order 3 is left on 1 March.
    assert selectors.sales_series(first_day).total.orders == 1


def test_weeks_start_on_monday_in_the_shops_time_zone(shop):
    period = Period(dt.date(2026, 2, 23), dt.date(2026, 3, 8), Interval.WEEK)

    rows = selectors.sales_series(period).rows

    assert [(r.label, r.orders, r.gross, r.refunded) for r in rows] == [
        ("2026-W09", 3, D("57.10"), D("6.65")),
        ("2026-W10", 3, D("136.99"), D("10.00")),
    ]


def test_months_count_each_order_on_its_day_with_its_later_refunds(shop):
    period = Period(dt.date(2026, 2, 1), dt.date(2026, 3, 31), Interval.MONTH)

    rows = selectors.sales_series(period).rows

    # Order 9's refund was made in March but is its February order's.
    assert [(r.label, r.orders, r.gross, r.refunded, r.net) for r in rows] == [
        ("2026-02", 2, D("60.00"), D("20.00"), D("40.00")),
        ("2026-03", 5, D("184.09"), D("16.65"), D("167.44")),
    ]


def test_empty_days_are_rows_of_zero(db):
    rows = selectors.sales_series(MARCH).rows

    assert [(r.label, r.orders, r.gross, r.units, r.average) for r in rows] == [
        (day, 0, D("0.00"), 0, D("0.00")) for day in ("2026-03-01", "2026-03-02", "2026-03-03")
    ]


def test_top_products_and_categories_by_line_totals(shop):
    top = selectors.top_sellers(MARCH)

    assert [(p.name, p.units, p.sales) for p in top.products] == [
        ("Alpha", 6, D("60.00")),
        ("Beta", 4, D("22.20")),
    ]
    assert [(c.name, c.units, c.sales) for c in top.categories] == [
        ("Kitchen", 6, D("60.00")),
        ("Garden", 4, D("22.20")),
    ]


def test_a_deleted_variant_keeps_its_sales_under_no_product(shop):
    shop["beta"].delete()

    top = selectors.top_sellers(MARCH)

    assert [(p.id, p.name, p.sales) for p in top.products] == [
        (shop["alpha"].product_id, "Alpha", D("60.00")),
        (None, "Products no longer in the catalog", D("22.20")),
    ]
    assert [c.name for c in top.categories] == ["Kitchen"]


def test_vouchers_count_only_uses_on_counted_orders_not_released(shop):
    used = selectors.vouchers_used(MARCH)

    assert [(v["voucher__code"], v["uses"], v["discount"], v["sales"]) for v in used] == [
        ("SAVE3", 1, D("3.00"), D("27.00"))
    ]


def test_refunds_issued_count_by_the_day_they_were_made(shop):
    refunds = selectors.refunds_issued(MARCH)

    # Order 4's (2 March) and order 9's (3 March); order 3's came on 5 March; the
    # gateway's refusal on order 7 is no refund.
    assert (refunds.count, refunds.amount) == (2, D("30.00"))
    assert [r.order.number for r in refunds.recent] == [
        shop["orders"][9].number,
        shop["orders"][4].number,
    ]


def test_low_stock_lists_active_variants_fewest_first(shop):
    sold_out = VariantFactory(stock=0)
    VariantFactory(stock=1, is_active=False)

    assert [v.pk for v in selectors.low_stock()] == [sold_out.pk, shop["alpha"].pk]
