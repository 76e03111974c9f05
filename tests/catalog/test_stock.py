"""Stock changes are movements: conditional, recorded, never below zero."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.db.models import Sum

from apps.catalog import services
from apps.catalog.models import StockMovement, Variant
from apps.core.errors import ApplicationError
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db


def test_stock_adjust_records_who_why_and_the_result(staff):
    variant = VariantFactory(stock=5)
    movement = services.stock_adjust(
        variant_id=variant.pk, delta=20, reason="received", actor=staff, note="PO 1234"
    )
    variant.refresh_from_db()
    assert variant.stock == 25
    assert (movement.delta, movement.stock_after, movement.actor, movement.note) == (
        20,
        25,
        staff,
        "PO 1234",
    )


def test_stock_adjust_refuses_to_go_below_zero_and_changes_nothing():
    variant = VariantFactory(stock=2)
    with pytest.raises(services.InsufficientStock, match="Only 2 in stock"):
        services.stock_adjust(variant_id=variant.pk, delta=-3, reason="sale")
    variant.refresh_from_db()
    assert variant.stock == 2
    assert not StockMovement.objects.exists()


def test_stock_set_turns_a_count_into_a_delta():
    variant = VariantFactory(stock=12)
    movement = services.stock_set(variant_id=variant.pk, quantity=50)
    assert (movement.delta, movement.stock_after, movement.reason) == (38, 50, "count")
    assert services.stock_set(variant_id=variant.pk, quantity=50) is None


@pytest.mark.parametrize("quantity", [-1])
def test_stock_set_rejects_negative_counts(quantity):
    variant = VariantFactory(stock=1)
    with pytest.raises(ApplicationError):
        services.stock_set(variant_id=variant.pk, quantity=quantity)


def test_the_database_refuses_negative_stock_even_without_the_service():
    variant = VariantFactory(stock=1)
    with pytest.raises(IntegrityError):
        Variant.objects.filter(pk=variant.pk).update(stock=-1)


def test_variant_price_change_updates_the_listing_price():
    variant = VariantFactory(price=Decimal("10.00"))
    VariantFactory(product=variant.product, price=Decimal("12.00"))
    services.variant_set_price(variant=variant, price=Decimal("30.00"))
    variant.product.refresh_from_db()
    assert str(variant.product.price) == "12.00"


def _run_together(*jobs):
    """Runs each job in its own thread and connection, released at once by a barrier."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def worker(job):
        try:
            barrier.wait()
            job()
        except BaseException as error:  # collected and asserted on by the caller
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sales_never_oversell():
    variant = VariantFactory(stock=10)
    sell = lambda: services.stock_adjust(variant_id=variant.pk, delta=-1, reason="sale")  # noqa: E731
    errors = _run_together(*[sell] * 25)
    variant.refresh_from_db()
    assert variant.stock == 0
    assert StockMovement.objects.filter(variant=variant, reason="sale").count() == 10
    assert len(errors) == 15
    assert all(isinstance(e, services.InsufficientStock) for e in errors)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_stock_count_racing_sales_loses_no_update():
    variant = VariantFactory(stock=30)
    count = lambda: services.stock_set(variant_id=variant.pk, quantity=50)  # noqa: E731
    sell = lambda: services.stock_adjust(variant_id=variant.pk, delta=-2, reason="sale")  # noqa: E731
    errors = _run_together(count, *[sell] * 8)
    assert errors == []
    variant.refresh_from_db()
    total = StockMovement.objects.filter(variant=variant).aggregate(total=Sum("delta"))["total"]
    assert variant.stock == 30 + total
    assert StockMovement.objects.filter(variant=variant, reason="sale").count() == 8
    # Whatever order they ran in, every sale is reflected against the counted 50 or before it.
    latest = StockMovement.objects.filter(variant=variant).order_by("-id").first()
    assert latest.stock_after == variant.stock
