"""Signed payment webhooks: applied once, replays and forgeries change nothing."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.orders.choices import FulfillmentStatus, OrderPaymentStatus
from apps.orders.models import Order
from apps.orders.services import order_expire
from apps.payments.models import Payment, PaymentStatus, WebhookEvent
from apps.payments.services import OrderNotPayable, order_pay
from apps.payments.webhooks import WebhookRejected, webhook_receive, webhook_signature
from tests.concurrency import run_together
from tests.payments.conftest import card, place

pytestmark = pytest.mark.django_db


def _event(payment: Payment, *, event_id: str = "evt_1", kind: str = "charge.succeeded") -> bytes:
    return json.dumps(
        {"id": event_id, "type": kind, "data": {"reference": payment.reference, "amount": "100.00"}}
    ).encode()


def _send(body: bytes, *, timestamp: int | None = None, secret: str | None = None):
    header = webhook_signature(body=body, timestamp=timestamp or int(time.time()), secret=secret)
    return webhook_receive(body=body, header=header)


def test_the_pending_card_leaves_the_order_pending_until_the_webhook(pending_payment):
    order = pending_payment.order
    assert pending_payment.status == PaymentStatus.PENDING
    order.refresh_from_db()
    assert order.payment_status == OrderPaymentStatus.PENDING
    with pytest.raises(OrderNotPayable, match="being confirmed"):
        order_pay(order=order, card=card("4242424242424242"))

    _send(_event(pending_payment))
    order.refresh_from_db()
    pending_payment.refresh_from_db()
    assert order.payment_status == OrderPaymentStatus.PAID
    assert pending_payment.status == PaymentStatus.CAPTURED


def test_a_replayed_event_changes_nothing(pending_payment):
    body = _event(pending_payment)
    first = _send(body)
    second = _send(body)
    assert first.pk == second.pk
    assert WebhookEvent.objects.count() == 1
    assert pending_payment.order.events.filter(to_status="paid").count() == 1


def test_a_failed_charge_event_leaves_the_order_payable(pending_payment):
    _send(_event(pending_payment, kind="charge.failed"))
    pending_payment.refresh_from_db()
    assert pending_payment.status == PaymentStatus.DECLINED
    order = Order.objects.get(pk=pending_payment.order_id)
    assert order.payment_status == OrderPaymentStatus.UNPAID
    order_pay(order=order, card=card("4242424242424242"))
    order.refresh_from_db()
    assert order.payment_status == OrderPaymentStatus.PAID


def test_a_bad_signature_is_rejected(pending_payment):
    with pytest.raises(WebhookRejected, match="Bad signature"):
        _send(_event(pending_payment), secret="not-the-secret")
    assert not WebhookEvent.objects.exists()


def test_a_tampered_body_is_rejected(pending_payment):
    body = _event(pending_payment)
    header = webhook_signature(body=body, timestamp=int(time.time()))
    with pytest.raises(WebhookRejected):
        webhook_receive(body=body.replace(b"100.00", b"1.00"), header=header)


def test_an_old_timestamp_is_rejected_even_with_a_valid_signature(pending_payment):
    with pytest.raises(WebhookRejected, match="replay window"):
        _send(_event(pending_payment), timestamp=int(time.time()) - 3600)


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", "garbage"])
def test_a_missing_or_malformed_signature_is_rejected(pending_payment, header):
    with pytest.raises(WebhookRejected):
        webhook_receive(body=_event(pending_payment), header=header)


def test_an_event_for_an_unknown_payment_is_kept_and_flagged():
    body = json.dumps(
        {"id": "evt_x", "type": "charge.succeeded", "data": {"reference": "nope"}}
    ).encode()
    event = _send(body)
    assert event.needs_attention
    assert "No payment" in event.note


def test_money_arriving_for_an_expired_order_is_flagged_for_staff(pending_payment):
    order = pending_payment.order
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert order_expire(order_id=order.pk)
    event = _send(_event(pending_payment))
    order.refresh_from_db()
    assert order.fulfillment_status == FulfillmentStatus.CANCELLED
    assert event.needs_attention
    assert "refund the payment or re-open the order" in event.note
    pending_payment.refresh_from_db()
    assert pending_payment.status == PaymentStatus.CAPTURED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_event_delivered_twice_at_once_is_applied_once():
    order = place()
    # Made directly: with real commits, order_pay would also fire the simulator's own
    # webhook delivery, which this test replaces with four simultaneous copies.
    payment = Payment.objects.create(
        order=order,
        gateway="simulated",
        reference="sim_ch_dup",
        amount=order.total,
        status=PaymentStatus.PENDING,
    )
    body = _event(payment, event_id="evt_dup")
    results, errors = run_together([lambda: _send(body)] * 4)
    assert errors == []
    assert len({event.pk for event in results}) == 1
    assert WebhookEvent.objects.count() == 1
    assert Order.objects.get(pk=order.pk).events.filter(to_status="paid").count() == 1
