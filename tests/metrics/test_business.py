"""Business figures move with what happens in the shop; a source that is down is reported."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import redis
from django.conf import settings as django_settings
from django.utils import timezone

from apps.catalog.choices import StockReason
from apps.catalog.services import stock_adjust
from apps.metrics.broker import QUEUE
from apps.payments.gateways.simulated import DECLINE_CARD, SUCCESS_CARD
from apps.payments.services import PaymentDeclined, order_pay, order_refund
from apps.sales.models import Sale
from apps.sales.room import sale_room
from apps.sales.selectors import schedule_forget
from apps.waitingroom.services import room_check
from tests.factories import VariantFactory
from tests.metrics.support import value
from tests.payments.conftest import card, place

pytestmark = pytest.mark.django_db


def _moved(before, after, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_placing_paying_declining_and_refunding_move_the_figures(scrape):
    before = scrape()
    declined = place(price="30.00", quantity=1)
    with pytest.raises(PaymentDeclined):
        order_pay(order=declined, card=card(DECLINE_CARD))
    paid = place(price="50.00", quantity=2)
    order_pay(order=paid, card=card(SUCCESS_CARD))
    paid.refresh_from_db()
    order_refund(order=paid, amount=Decimal("15.50"), reason="Scratched")
    after = scrape()

    assert _moved(before, after, "shopfront_orders_placed_total") == 2
    # Only the paid order is revenue; the declined one is still payable, not revenue.
    assert _moved(before, after, "shopfront_revenue_total", currency="EUR") == float(paid.total)
    assert _moved(before, after, "shopfront_payments_declined_total") == 1
    assert _moved(before, after, "shopfront_refunds_total") == 1
    assert _moved(before, after, "shopfront_refunded_total", currency="EUR") == 15.5
    assert value(after, "shopfront_metrics_source_up", source="database") == 1


def test_a_variant_whose_last_unit_sells_counts_as_sold_out(scrape):
    variant = VariantFactory(stock=0)
    stock_adjust(variant_id=variant.pk, delta=1, reason=StockReason.RECEIVED)
    before = scrape()
    stock_adjust(variant_id=variant.pk, delta=-1, reason=StockReason.ADJUSTMENT)
    after = scrape()
    assert _moved(before, after, "shopfront_variants_sold_out") == 1


def test_figures_are_read_once_per_interval(settings, scrape):
    settings.METRICS_BUSINESS_SECONDS = 60
    before = scrape()
    place()
    kept = scrape()
    settings.METRICS_BUSINESS_SECONDS = 0
    fresh = scrape()
    assert _moved(before, kept, "shopfront_orders_placed_total") == 0
    assert _moved(before, fresh, "shopfront_orders_placed_total") == 1


@pytest.mark.redis
def test_the_broker_queue_length_is_the_length_of_the_celery_list(settings, scrape):
    broker = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    broker.delete(QUEUE)
    try:
        broker.rpush(QUEUE, b"{}", b"{}", b"{}")
        found = scrape()
    finally:
        broker.delete(QUEUE)
    assert value(found, "shopfront_celery_queue_length", queue=QUEUE) == 3
    assert value(found, "shopfront_metrics_source_up", source="broker") == 1


def test_a_broker_that_cannot_be_reached_is_reported_not_a_500(settings, scrape):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    found = scrape()
    assert value(found, "shopfront_metrics_source_up", source="broker") == 0
    assert value(found, "shopfront_metrics_source_up", source="database") == 1
    assert ("shopfront_celery_queue_length", frozenset({("queue", QUEUE)})) not in found


@pytest.mark.redis
def test_a_live_sales_waiting_room_shows_its_line(scrape):
    now = timezone.now()
    sale = Sale.objects.create(
        name="Metrics drop",
        slug="metrics-drop",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
        scheduled_at=now - timedelta(days=1),
        room_capacity=1,
    )
    schedule_forget()
    config = sale_room(sale)
    assert config is not None
    decisions = [room_check(config=config, visitor=f"session-{n}") for n in range(3)]
    assert [decision.admitted for decision in decisions] == [True, False, False]
    found = scrape()
    assert value(found, "shopfront_waiting_room_queued", room=config.key) == 2
    assert value(found, "shopfront_waiting_room_active", room=config.key) == 1
