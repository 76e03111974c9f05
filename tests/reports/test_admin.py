"""The reports page in the admin: who sees it, its form, its CSV, and the order list's figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Count, Sum

from apps.orders.choices import OrderPaymentStatus
from tests.factories import ProductFactory, UserFactory, VariantFactory
from tests.reports.conftest import at

pytestmark = pytest.mark.django_db

REPORT = "/admin/reports/salesreport/"
EXPORT = "/admin/reports/salesreport/export.csv"
MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31", "interval": "week"}


@pytest.fixture
def reporter(db):
    """Staff allowed the reports and nothing else."""
    user = UserFactory(email="reports@example.com", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_sales_reports"))
    return user


@pytest.fixture
def orders(make_order):
    variant = VariantFactory(product=ProductFactory(title="=HYPERLINK(1)"))
    made = [
        make_order(at("2026-03-01 00:10"), [(variant, 2, "12.34")]),
        make_order(at("2026-03-14 18:00"), [(variant, 1, "12.34")], shipping="4.90"),
        make_order(
            at("2026-03-31 23:59"),
            [(variant, 3, "12.34")],
            status=OrderPaymentStatus.PARTIALLY_REFUNDED,
            refunds=["2.00"],
        ),
        make_order(
            at("2026-03-20 12:00"), [(variant, 9, "12.34")], status=OrderPaymentStatus.UNPAID
        ),
        # Outside the month in the shop's time zone, inside it in UTC.
        make_order(at("2026-04-01 00:30"), [(variant, 1, "12.34")]),
        make_order(at("2026-02-28 23:50"), [(variant, 1, "12.34")]),
    ]
    return made


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_page_needs_the_reports_permission(client, reporter, shopper):
    other_staff = UserFactory(email="catalog@example.com", is_staff=True)

    client.force_login(shopper)
    assert client.get(REPORT).status_code == 302  # to the admin's sign-in
    client.force_login(other_staff)
    assert client.get(REPORT).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert REPORT not in client.get("/admin/").content.decode()
    client.force_login(reporter)
    assert client.get(REPORT).status_code == 200
    assert REPORT in client.get("/admin/").content.decode()


def test_superusers_see_the_page_and_its_link_on_the_admin_index(client, staff):
    client.force_login(staff)

    index = client.get("/admin/").content.decode()

    assert REPORT in index
    assert "Sales reports" in index
    assert client.get(REPORT).status_code == 200
    # The breadcrumb's app page lists it too.
    assert REPORT in client.get("/admin/reports/").content.decode()


def test_the_page_shows_the_figures_with_charts_and_no_script(client, reporter, orders):
    client.force_login(reporter)

    response = client.get(REPORT, MARCH)

    page = response.content.decode()
    total = response.context["report"].series.total
    assert (total.orders, total.gross, total.refunded, total.units) == (
        3,
        Decimal("78.94"),
        Decimal("2.00"),
        6,
    )
    assert page.count('class="report-chart"') == 4
    assert '<table id="sales-table">' in page
    # 2026-W14 (30 March to 5 April) is partial; its average-order bar has the exact figure.
    assert "<title>2026-W14: 37.02</title>" in page
    assert "<script" not in page.split('id="content-main"')[1]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "on or after the start date"),
        ({"date_from": "2023-01-01", "date_to": "2026-01-01", "interval": "month"}, "at most 731"),
        ({"date_from": "2025-01-01", "date_to": "2026-01-02"}, "choose weeks or months"),
        ({"date_from": "yesterday"}, "Enter a valid date"),
        ({"interval": "hour"}, "Select a valid choice"),
        ({"date_from": "1900-01-01", "date_to": "1900-02-01"}, "from 01 January 2000"),
    ],
)
def test_a_bad_period_is_a_form_error(client, reporter, query, message):
    client.force_login(reporter)

    response = client.get(REPORT, query)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "report" not in response.context
    export = client.get(EXPORT, query)
    assert export.status_code == 400
    assert message in export.content.decode()


def test_the_csv_has_the_pages_figures(client, reporter, orders):
    client.force_login(reporter)

    rows = _csv(client.get(EXPORT, {**MARCH, "table": "sales"}))

    assert rows[0] == [
        "period",
        "orders",
        "gross_sales",
        "refunded",
        "net_revenue",
        "average_order",
        "units",
    ]
    assert [row[0] for row in rows[1:]] == [
        "2026-W09",
        "2026-W10",
        "2026-W11",
        "2026-W12",
        "2026-W13",
        "2026-W14",
        "Total",
    ]
    assert rows[-1] == ["Total", "3", "78.94", "2.00", "76.94", "26.31", "6"]


def test_csv_cells_that_look_like_formulas_are_made_inert(client, reporter, orders):
    client.force_login(reporter)

    rows = _csv(client.get(EXPORT, {**MARCH, "table": "products"}))

    assert rows[1][1] == "'=HYPERLINK(1)"


def test_an_unknown_csv_table_is_a_400(client, reporter):
    client.force_login(reporter)

    response = client.get(EXPORT, {"table": "customers"})

    assert response.status_code == 400
    assert "Unknown table" in response.content.decode()


def test_the_figures_equal_the_order_list_filtered_the_same_way(client, staff, orders):
    """The page's link to the order list filters it as the report counts; the sums agree."""
    client.force_login(staff)
    report = client.get(REPORT, MARCH)
    total = report.context["report"].series.total

    listing = client.get(report.context["orders_url"])

    assert listing.status_code == 200
    queryset = listing.context["cl"].queryset
    figures = queryset.aggregate(orders=Count("id"), gross=Sum("total"), units=Sum("item_count"))
    assert figures == {"orders": total.orders, "gross": total.gross, "units": total.units}
    assert sorted(queryset.values_list("number", flat=True)) == sorted(o.number for o in orders[:3])


def test_the_order_list_link_keeps_the_shops_day_boundaries(client, staff, orders):
    client.force_login(staff)
    one_day = {"date_from": "2026-03-31", "date_to": "2026-03-31"}

    report = client.get(REPORT, one_day)
    listing = client.get(report.context["orders_url"])

    assert report.context["report"].series.total.orders == 1
    assert [o.number for o in listing.context["cl"].queryset] == [orders[2].number]


@pytest.mark.parametrize("count", [2, 20])
def test_the_page_runs_a_fixed_number_of_queries(
    client, reporter, make_order, django_assert_num_queries, settings, count
):
    # Sessions in the database whether or not Redis is there (cached_db reads it first).
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    variants = [VariantFactory(stock=n % 4) for n in range(count)]
    for n, variant in enumerate(variants):
        make_order(
            at("2026-03-02 10:00") + dt.timedelta(hours=n),
            [(variant, 1, "5.00")],
            refunds=["1.00"],
            refunded_at=at("2026-03-05 10:00"),
        )
    client.force_login(reporter)

    # Session, user, the user's own and group permissions; 3 for the series, 3 for the top
    # products and categories (the lines once, then the names shown), 1 vouchers, 2
    # refunds, 1 low stock.
    with django_assert_num_queries(14):
        response = client.get(REPORT, MARCH)

    assert response.status_code == 200
    assert len(response.context["report"].low_stock) == min(count, 20)
