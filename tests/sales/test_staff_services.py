"""What staff do to a sale: the rules it is checked against, and its moves."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from apps.core.cache import CATALOG_NAMESPACE, namespace_version
from apps.sales.models import Sale, SaleItem, SaleStatus
from apps.sales.selectors import live_sale_ids, schedule_forget
from apps.sales.services.staff import (
    SaleInvalid,
    SaleMoveRefused,
    sale_end,
    sale_moves,
    sale_problems,
    sale_resume,
    sale_schedule,
    sale_suspend,
    sale_validate,
)
from tests.concurrency import run_together
from tests.factories import SaleFactory, SaleItemFactory, VariantFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.get_fixed_timezone(0))


@pytest.fixture(autouse=True)
def _fresh_schedule():
    schedule_forget()
    yield
    schedule_forget()


def _sale(starts: datetime = NOON, hours: int = 24, *, variant=None, **kwargs) -> Sale:
    sale = SaleFactory(starts_at=starts, ends_at=starts + timedelta(hours=hours), **kwargs)
    SaleItemFactory(sale=sale, variant=variant or VariantFactory(), sale_price=Decimal("5.00"))
    return sale


def _messages(problems) -> list[tuple[str | None, int | None, str]]:
    return [(problem.field, problem.item, problem.message) for problem in problems]


# --- the rules ----------------------------------------------------------------------


def test_a_sale_must_end_after_it_starts():
    sale = Sale(starts_at=NOON, ends_at=NOON, per_customer_limit=None)
    assert _messages(sale_problems(sale=sale, items=[])) == [
        ("ends_at", None, "The sale must end after it starts.")
    ]


def test_a_sale_refuses_times_without_a_time_zone():
    sale = Sale(starts_at=datetime(2030, 6, 1, 12), ends_at=NOON + timedelta(hours=1))
    assert [p.field for p in sale_problems(sale=sale, items=[])] == ["starts_at"]


def test_a_limit_per_customer_must_be_at_least_one():
    sale = Sale(starts_at=NOON, ends_at=NOON + timedelta(hours=1), per_customer_limit=0)
    assert [p.field for p in sale_problems(sale=sale, items=[])] == ["per_customer_limit"]


@pytest.mark.parametrize("price", ["10.00", "12.00"])
def test_a_sale_price_must_be_strictly_below_the_regular_price(price):
    variant = VariantFactory(sku="MUG-1", price=Decimal("10.00"))
    sale = Sale(starts_at=NOON, ends_at=NOON + timedelta(hours=1))
    item = SaleItem(variant=variant, sale_price=Decimal(price))
    assert _messages(sale_problems(sale=sale, items=[item])) == [
        (
            "sale_price",
            0,
            f"The sale price of MUG-1 ({price}) must be below its regular price (10.00).",
        )
    ]


def test_units_set_aside_cannot_drop_below_the_units_already_sold():
    sale = _sale()
    item = sale.items.get()
    SaleItem.objects.filter(pk=item.pk).update(units=10, units_sold=4)
    item.refresh_from_db()
    item.units = 3
    assert [(p.field, p.item) for p in sale_problems(sale=sale, items=[item])] == [("units", 0)]


def test_a_variant_cannot_be_in_two_overlapping_sales_even_a_draft_and_the_message_names_it():
    variant = VariantFactory(sku="MUG-1")
    _sale(NOON, 24, variant=variant, name="Summer draft")
    sale = Sale(starts_at=NOON + timedelta(hours=23), ends_at=NOON + timedelta(hours=30))
    item = SaleItem(variant=variant, sale_price=Decimal("5.00"))
    [problem] = sale_problems(sale=sale, items=[item])
    assert (problem.field, problem.item) == ("variant", 0)
    assert "MUG-1 is already in the sale “Summer draft”" in problem.message


def test_sales_that_only_touch_or_ended_early_do_not_overlap():
    variant = VariantFactory()
    _sale(NOON - timedelta(hours=24), 24, variant=variant)
    _sale(NOON, 24, variant=variant, scheduled_at=NOON, ended_at=NOON)
    sale = Sale(starts_at=NOON, ends_at=NOON + timedelta(hours=5))
    item = SaleItem(variant=variant, sale_price=Decimal("5.00"))
    assert sale_problems(sale=sale, items=[item]) == []


def test_a_sale_is_not_compared_with_itself_when_its_times_change():
    sale = _sale()
    sale.ends_at += timedelta(hours=5)
    assert sale_problems(sale=sale, items=list(sale.items.all())) == []


def test_validate_raises_every_problem_with_its_fields():
    variant = VariantFactory(price=Decimal("10.00"))
    sale = Sale(starts_at=NOON, ends_at=NOON - timedelta(hours=1), per_customer_limit=0)
    with pytest.raises(SaleInvalid) as raised:
        sale_validate(sale=sale, items=[SaleItem(variant=variant, sale_price=Decimal("11"))])
    assert set(raised.value.fields) == {"ends_at", "per_customer_limit", "sale_price"}


# --- the moves ----------------------------------------------------------------------


def test_a_scheduled_sale_goes_live_at_its_start_and_ends_at_its_end(staff):
    sale = _sale(NOON, 24)
    with time_machine.travel(NOON - timedelta(hours=1), tick=False):
        assert sale.status_at() == SaleStatus.DRAFT
        sale_schedule(sale=sale, actor=staff)
        assert sale.status_at() == SaleStatus.SCHEDULED
    assert sale.status_at(NOON) == SaleStatus.LIVE
    assert sale.status_at(NOON + timedelta(hours=24)) == SaleStatus.ENDED


def test_schedule_refuses_a_sale_already_scheduled(staff):
    sale = _sale(timezone.now() + timedelta(hours=1))
    sale_schedule(sale=sale, actor=staff)
    with pytest.raises(SaleMoveRefused, match="already scheduled"):
        sale_schedule(sale=sale, actor=staff)


def test_schedule_refuses_a_sale_without_items_or_whose_end_has_passed(staff):
    empty = SaleFactory()
    with pytest.raises(SaleInvalid, match="at least one item"):
        sale_schedule(sale=empty, actor=staff)
    past = _sale(timezone.now() - timedelta(hours=3), 2)
    with pytest.raises(SaleInvalid, match="end time has passed"):
        sale_schedule(sale=past, actor=staff)
    assert Sale.objects.filter(scheduled_at__isnull=False).count() == 0


def test_schedule_rechecks_the_prices_saved_since(staff):
    sale = _sale(timezone.now() + timedelta(hours=1))
    item = sale.items.get()
    SaleItem.objects.filter(pk=item.pk).update(sale_price=item.variant.price)
    with pytest.raises(SaleInvalid, match="must be below its regular price"):
        sale_schedule(sale=sale, actor=staff)
    sale.refresh_from_db()
    assert sale.scheduled_at is None


def test_a_live_sale_is_suspended_resumed_and_ended_for_good(staff):
    sale = _sale(timezone.now() - timedelta(hours=1), 24, scheduled_at=timezone.now())
    assert sale.status_at() == SaleStatus.LIVE
    assert sale_moves(sale) == ("suspend", "end")
    sale_suspend(sale=sale, actor=staff)
    assert sale.status_at() == SaleStatus.SUSPENDED
    assert sale_moves(sale) == ("resume", "end")
    sale_resume(sale=sale, actor=staff)
    assert sale.status_at() == SaleStatus.LIVE
    sale_end(sale=sale, actor=staff)
    assert sale.status_at() == SaleStatus.ENDED
    assert sale_moves(sale) == ()
    with pytest.raises(SaleMoveRefused, match="has ended: it cannot be resumed"):
        sale_resume(sale=sale, actor=staff)


@pytest.mark.parametrize("move", [sale_suspend, sale_resume, sale_end])
def test_a_draft_cannot_be_suspended_resumed_or_ended(staff, move):
    sale = _sale()
    with pytest.raises(SaleMoveRefused, match="is still a draft"):
        move(sale=sale, actor=staff)
    sale.refresh_from_db()
    assert (sale.suspended_at, sale.ended_at) == (None, None)


def test_a_sale_past_its_end_time_cannot_be_suspended(staff):
    sale = _sale(timezone.now() - timedelta(hours=3), 2, scheduled_at=timezone.now())
    with pytest.raises(SaleMoveRefused, match="has ended"):
        sale_suspend(sale=sale, actor=staff)


@pytest.mark.parametrize(
    ("start", "move"),
    [
        ("draft", sale_schedule),
        ("live", sale_suspend),
        ("suspended", sale_resume),
        ("live", sale_end),
    ],
)
def test_every_move_bumps_the_catalog_and_the_schedule_after_commit(
    staff, django_capture_on_commit_callbacks, start, move
):
    now = timezone.now()
    sale = _sale(now - timedelta(hours=1) if start != "draft" else now + timedelta(hours=1))
    if start != "draft":
        Sale.objects.filter(pk=sale.pk).update(
            scheduled_at=now, suspended_at=now if start == "suspended" else None
        )
        sale.refresh_from_db()
    live_before = live_sale_ids()
    version = namespace_version(CATALOG_NAMESPACE)
    with django_capture_on_commit_callbacks(execute=True):
        move(sale=sale, actor=staff)
        assert namespace_version(CATALOG_NAMESPACE) == version
    assert namespace_version(CATALOG_NAMESPACE) > version
    # This process rereads the schedule at once rather than within SCHEDULE_SECONDS.
    assert live_sale_ids() != live_before or start == "draft"


# --- under concurrency --------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_sales_of_one_variant_saved_at_once_cannot_both_pass():
    variant = VariantFactory()

    def save_sale(name: str) -> str:
        with transaction.atomic():
            sale = SaleFactory(name=name, starts_at=NOON, ends_at=NOON + timedelta(hours=2))
            item = SaleItem(sale=sale, variant=variant, sale_price=Decimal("5.00"))
            sale_validate(sale=sale, items=[item])
            item.save()
        return name

    results, errors = run_together([lambda: save_sale("First"), lambda: save_sale("Second")])
    assert len(results) == 1
    assert [type(error) for error in errors] == [SaleInvalid]
    assert SaleItem.objects.filter(variant=variant).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sale_ended_and_resumed_at_once_ends_for_good(staff):
    now = timezone.now()
    sale = _sale(now - timedelta(hours=1), scheduled_at=now, suspended_at=now)

    def move(perform):
        return lambda: perform(sale=Sale.objects.get(pk=sale.pk), actor=None)

    results, errors = run_together([move(sale_end), move(sale_resume)])
    assert len(results) + len(errors) == 2
    assert all(isinstance(error, SaleMoveRefused) for error in errors)
    sale.refresh_from_db()
    assert sale.status_at() == SaleStatus.ENDED
