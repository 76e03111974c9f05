"""POST /api/v1/payments/webhook/, and the pending-card journey completed by webhook."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from apps.orders.choices import OrderPaymentStatus
from apps.orders.models import Order
from apps.payments.models import PaymentStatus, WebhookEvent
from apps.payments.services import order_pay
from apps.payments.webhooks import SIGNATURE_HEADER, webhook_signature
from tests.payments.conftest import card, place

URL = "/api/v1/payments/webhook/"


def _post(client, body: bytes, *, timestamp: int | None = None, secret: str | None = None):
    header = webhook_signature(body=body, timestamp=timestamp or int(time.time()), secret=secret)
    return client.post(
        URL, data=body, content_type="application/json", headers={SIGNATURE_HEADER: header}
    )


def _body(payment, event_id="evt_api_1") -> bytes:
    return json.dumps(
        {"id": event_id, "type": "charge.succeeded", "data": {"reference": payment.reference}}
    ).encode()


@pytest.mark.django_db
def test_a_valid_event_answers_200_and_pays_the_order(client, pending_payment):
    response = _post(client, _body(pending_payment))
    assert response.status_code == 200
    assert response.json() == {"received": True}
    assert Order.objects.get(pk=pending_payment.order_id).payment_status == OrderPaymentStatus.PAID


@pytest.mark.django_db
def test_a_replay_answers_200_and_changes_nothing(client, pending_payment):
    body = _body(pending_payment)
    assert _post(client, body).status_code == 200
    assert _post(client, body).status_code == 200
    assert WebhookEvent.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kwargs",
    [{"secret": "wrong"}, {"timestamp": int(time.time()) - 3600}],
    ids=["bad-signature", "old"],
)
def test_a_bad_signature_or_old_timestamp_answers_400_in_the_error_shape(
    client, pending_payment, kwargs
):
    response = _post(client, _body(pending_payment), **kwargs)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_rejected"
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_garbage_answers_400_not_500(client):
    response = _post(client, b"not json at all")
    assert response.status_code == 400
    response = client.post(URL, data=b"{}", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_the_pending_card_journey_completes_by_a_webhook_delivered_over_http(live_server, settings):
    """The simulated gateway's task POSTs the signed event to the running shop."""
    settings.PAYMENT_WEBHOOK_URL = live_server.url + reverse("api:payment-webhook")
    order = place()
    payment = order_pay(order=order, card=card("4000000000003063"))  # commits: the task runs
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert order.payment_status == OrderPaymentStatus.PAID
    assert WebhookEvent.objects.get().payment == payment
