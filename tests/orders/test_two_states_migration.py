"""Orders from before the split keep their history and get both states right."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("orders", "0003_shipping_method_in_pricing"), ("payments", "0003_one_charge_in_flight")]
AFTER = [("orders", "0004_two_states")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_split_works_out_both_states_from_the_old_status_and_the_payments():
    old = _migrate(BEFORE)
    Order = old.get_model("orders", "Order")
    OrderEvent = old.get_model("orders", "OrderEvent")
    Payment = old.get_model("payments", "Payment")
    now = timezone.now()

    def order(number, status, paid=None, refunded="0", payment="captured", **dates):
        row = Order.objects.create(
            number=number,
            email="a@example.com",
            status=status,
            shipping_name="A",
            shipping_line1="1 Way",
            shipping_city="London",
            shipping_postal_code="N1",
            shipping_country="GB",
            shipping_method_name="Standard",
            currency="EUR",
            subtotal=Decimal("20.00"),
            shipping_total=Decimal("0.00"),
            tax_total=Decimal("0.00"),
            total=Decimal("20.00"),
            expires_at=now + timedelta(minutes=30),
            **dates,
        )
        OrderEvent.objects.create(order=row, to_status=status, note="old history")
        if paid:
            Payment.objects.create(
                order=row,
                gateway="simulated",
                amount=Decimal(paid),
                refunded_amount=Decimal(refunded),
                status=payment,
            )
        return number

    expected = {
        order("SF-UNPAID", "pending_payment"): ("unfulfilled", "unpaid"),
        order("SF-BANK", "pending_payment", paid="20", payment="pending"): (
            "unfulfilled",
            "pending",
        ),
        order("SF-PAID", "paid", paid="20"): ("unfulfilled", "paid"),
        order("SF-SHIPPED", "fulfilled", paid="20", shipped_at=now): ("shipped", "paid"),
        order("SF-DELIVERED", "delivered", paid="20", shipped_at=now, delivered_at=now): (
            "delivered",
            "paid",
        ),
        order("SF-EXPIRED", "cancelled", cancelled_at=now): ("cancelled", "unpaid"),
        order("SF-CANCELPAID", "cancelled", paid="20", refunded="20", cancelled_at=now): (
            "cancelled",
            "refunded",
        ),
        order("SF-PARTSHIPPED", "partially_refunded", paid="20", refunded="5", shipped_at=now): (
            "shipped",
            "partially_refunded",
        ),
        order("SF-REFUNDED", "refunded", paid="20", refunded="20"): ("unfulfilled", "refunded"),
    }

    new = _migrate(AFTER)
    Order = new.get_model("orders", "Order")
    states = {
        o.number: (o.fulfillment_status, o.payment_status)
        for o in Order.objects.filter(number__in=expected)
    }
    assert states == expected
    history = new.get_model("orders", "OrderEvent").objects.filter(order__number="SF-SHIPPED")
    assert list(history.values_list("state", "to_status", "note")) == [
        ("", "fulfilled", "old history")
    ]

    # And back: the later of the two stages wins, as the one status said.
    back = _migrate(BEFORE)
    statuses = dict(back.get_model("orders", "Order").objects.values_list("number", "status"))
    assert statuses["SF-SHIPPED"] == "fulfilled"
    assert statuses["SF-CANCELPAID"] == "cancelled"
    assert statuses["SF-PARTSHIPPED"] == "partially_refunded"
    _migrate(executor_leaf_nodes())


def executor_leaf_nodes():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
