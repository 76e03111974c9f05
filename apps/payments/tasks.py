"""Background jobs for payments: the simulated gateway's webhook deliveries."""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request

from celery import shared_task
from django.conf import settings

from apps.payments.webhooks import SIGNATURE_HEADER, webhook_signature


class WebhookDeliveryFailed(OSError):
    """The shop answered with a server error; worth retrying."""


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_kwargs={"max_retries": 10},
)
def deliver_simulated_webhook(
    reference: str, kind: str, amount: str, currency: str, event_id: str | None = None
) -> int:
    """Plays the gateway: POSTs a signed event about a charge to the shop's webhook URL.

    The event id is fixed on the first attempt and kept across retries, as a real
    gateway does, so a retry after a lost response is recognised as a duplicate.
    """
    event_id = event_id or f"evt_{secrets.token_hex(12)}"
    body = json.dumps(
        {
            "id": event_id,
            "type": kind,
            "created": int(time.time()),
            "data": {"reference": reference, "amount": amount, "currency": currency},
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - our own configured https/http URL
        settings.PAYMENT_WEBHOOK_URL,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: webhook_signature(body=body, timestamp=int(time.time())),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            raise deliver_simulated_webhook.retry(
                args=(reference, kind, amount, currency, event_id), exc=WebhookDeliveryFailed()
            ) from error
        return int(error.code)  # a 4xx is final: the shop refused this event
    except OSError as error:
        raise deliver_simulated_webhook.retry(
            args=(reference, kind, amount, currency, event_id), exc=error
        ) from error
