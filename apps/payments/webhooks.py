"""Signing and verifying gateway webhooks, and applying their events exactly once.

Signature header: `Shopfront-Signature: t=<unix time>,v1=<hex HMAC-SHA256>` over
`"<t>." + raw body`, with PAYMENT_WEBHOOK_SECRET. Events older than the replay window
are refused even with a valid signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from apps.core.errors import ApplicationError
from apps.orders.services import order_mark_paid, order_payment_failed
from apps.payments.models import Payment, PaymentStatus, WebhookEvent

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Shopfront-Signature"
REPLAY_WINDOW_SECONDS = 300


class WebhookRejected(ApplicationError):
    """A webhook that is not provably from the gateway, or not recent."""

    code = "webhook_rejected"


def webhook_signature(*, body: bytes, timestamp: int, secret: str | None = None) -> str:
    """The header value that signs `body` at `timestamp`."""
    key = (secret or settings.PAYMENT_WEBHOOK_SECRET).encode()
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_verify(*, body: bytes, header: str, now: float | None = None) -> None:
    """Raises WebhookRejected unless `header` signs `body` and is inside the replay window."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError as error:
        raise WebhookRejected("Missing or malformed signature.") from error
    expected = webhook_signature(body=body, timestamp=timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise WebhookRejected("Bad signature.")
    if abs((now if now is not None else time.time()) - timestamp) > REPLAY_WINDOW_SECONDS:
        raise WebhookRejected("Signature timestamp is outside the replay window.")


def webhook_receive(*, body: bytes, header: str) -> WebhookEvent:
    """Verifies and applies one event; a replayed or duplicated event changes nothing.

    The event row is inserted and applied in one transaction. Its unique event id makes
    a concurrent duplicate wait for the first and then find it, so each event is applied
    once, however often the gateway sends it.
    """
    webhook_verify(body=body, header=header)
    try:
        event: dict[str, Any] = json.loads(body)
        event_id = str(event["id"])
        kind = str(event["type"])
        data = dict(event["data"])
    except (ValueError, KeyError, TypeError) as error:
        raise WebhookRejected("The event is not valid JSON of the expected shape.") from error
    try:
        with transaction.atomic():
            record = WebhookEvent.objects.create(event_id=event_id, kind=kind, payload=event)
            _apply(record, kind=kind, data=data)
            return record
    except IntegrityError:
        existing = WebhookEvent.objects.filter(event_id=event_id).first()
        if existing is None:
            raise
        logger.info("Webhook event %s received again; ignored", event_id)
        return existing


def _apply(record: WebhookEvent, *, kind: str, data: dict[str, Any]) -> None:
    payment = (
        Payment.objects.select_related("order")
        .filter(reference=str(data.get("reference", "")))
        .first()
    )
    if payment is None:
        _flag(record, f"No payment with reference {data.get('reference')!r}.")
        return
    record.payment = payment
    record.save(update_fields=["payment"])
    if kind == "charge.succeeded":
        confirmed = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.CAPTURED, message=""
        )
        if not confirmed:
            return  # already applied by an earlier event for the same charge
        order = payment.order
        if not order_mark_paid(
            order=order, note=f"Payment {payment.reference} confirmed by webhook"
        ):
            _flag(
                record,
                f"Payment captured for order {order.number}, which is "
                f"{order.status_summary.lower()}: "
                "refund the payment or re-open the order.",
            )
    elif kind == "charge.failed":
        declined = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.DECLINED, message=str(data.get("message", "Declined"))[:255]
        )
        if declined:
            # The order can be paid again, with another card.
            order_payment_failed(
                order=payment.order, note=f"Payment {payment.reference} declined by the bank"
            )
    else:
        record.note = f"Unhandled event type {kind!r}."
        record.save(update_fields=["note"])


def _flag(record: WebhookEvent, note: str) -> None:
    logger.warning("Webhook %s needs attention: %s", record.event_id, note)
    record.needs_attention = True
    record.note = note[:255]
    record.save(update_fields=["needs_attention", "note"])
