"""Query plans of the reports page on a seeded history: its aggregations go by index.

A history of ORDERS orders over two years is seeded once (committed, removed at the end),
the page is requested for its last week with the test client, and every statement it
runs on orders is recorded with its parameters and explained (`EXPLAIN (ANALYZE, FORMAT
JSON)`). The orders of the period are found through `order_payment_newest` (payment
status, then placing time), never by reading the whole order table; their lines through
`orderline_order_sold` (orders/0005), from the index alone. A week, because at this size
(40,000 lines) a month's lines are a large enough share of the table for a scan to be the
right plan; on 200,000 orders a month goes by the index too (docs/ARCHITECTURE.md, "Sales
reports"). `pytest -s` prints each statement's access paths and time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings

from tests.factories import ProductFactory, ShippingMethodFactory, UserFactory, VariantFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ORDERS = 20_000
END = dt.date(2026, 6, 30)
LAST_WEEK = {"date_from": "2026-06-24", "date_to": "2026-06-30", "interval": "day"}
PLAIN_STATIC = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SEEDED_TABLES = (
    "orders_order",
    "orders_orderline",
    "payments_payment",
    "payments_refund",
    "vouchers_voucherredemption",
    "vouchers_voucher",
    "catalog_variant",
    "catalog_product",
    "catalog_category",
    "pricing_shippingmethod",
)


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@pytest.fixture(scope="module")
def history(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        ShippingMethodFactory()
        for n in range(40):
            product = ProductFactory()
            VariantFactory(product=product, price=Decimal(f"{n + 3}.50"))
            VariantFactory(product=product, price=Decimal(f"{n + 4}.50"))
        call_command(
            "seed_orders", orders=ORDERS, seed=5, until=END, stdout=StringIO(), stderr=StringIO()
        )
    try:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            for table in SEEDED_TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")
        yield
    finally:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(SEEDED_TABLES)}, accounts_user CASCADE")


@pytest.fixture(scope="module")
def plans(history: None, django_db_blocker: Any) -> list[tuple[str, dict[str, Any]]]:
    """(sql, plan) of every SELECT on orders the page runs for the last week."""
    statements: list[tuple[str, Any]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, params))
        return execute(sql, params, many, context)

    # Module-scoped, so the per-test plain static storage (tests/conftest.py) is not there.
    with django_db_blocker.unblock(), override_settings(STORAGES=PLAIN_STATIC):
        client = Client()
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        with connection.execute_wrapper(record):
            response = client.get("/admin/reports/salesreport/", LAST_WEEK)
        assert response.status_code == 200
        assert response.context["report"].series.total.orders > 100
        explained = []
        for sql, params in statements:
            if not sql.startswith("SELECT") or "orders_order" not in sql:
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
                (result,) = cursor.fetchone()
            if isinstance(result, str):
                result = json.loads(result)
            explained.append((sql, result[0]["Plan"]))
            print(
                f"{result[0]['Execution Time']:7.1f} ms  {sql[:70]}  "
                + "; ".join(
                    f"{n['Node Type']} {n.get('Relation Name', '')} {n.get('Index Name', '')}"
                    for n in _nodes(result[0]["Plan"])
                    if "Relation Name" in n
                )
            )
    return explained


def _access(plan: dict[str, Any], table: str) -> list[tuple[str, str]]:
    """How `table` is read: (node type, index), a bitmap's index found in its children."""
    found = []
    for node in _nodes(plan):
        if node.get("Relation Name") != table:
            continue
        index = node.get("Index Name", "")
        if node["Node Type"] == "Bitmap Heap Scan":
            index = ",".join(sorted({n["Index Name"] for n in _nodes(node) if "Index Name" in n}))
        found.append((node["Node Type"], index))
    return found


def test_the_main_aggregation_finds_the_periods_orders_by_index(plans):
    (sql, plan), *_ = [(s, p) for s, p in plans if 'COUNT("orders_order"."id")' in s]

    access = _access(plan, "orders_order")

    assert access, sql
    assert all(kind != "Seq Scan" for kind, _ in access), access
    assert {index for _, index in access} == {"order_payment_newest"}


def test_no_aggregation_of_the_period_reads_the_whole_order_table(plans):
    for sql, plan in plans:
        access = _access(plan, "orders_order")
        assert all(kind != "Seq Scan" for kind, _ in access), (sql, access)


def test_the_lines_of_the_periods_orders_come_from_the_covering_index(plans):
    line_queries = [(s, p) for s, p in plans if '"orders_orderline"' in s]

    assert len(line_queries) == 2  # units per day, and the top sellers
    for sql, plan in line_queries:
        assert _access(plan, "orders_orderline") == [("Index Only Scan", "orderline_order_sold")], (
            sql
        )
