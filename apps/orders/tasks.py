"""Background jobs for orders: e-mails from the outbox, the outbox sweep, unpaid expiry."""

from __future__ import annotations

import logging
from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

from apps.orders.choices import FulfillmentStatus
from apps.orders.models import Order
from apps.orders.notifications import notification_send, notifications_unsent
from apps.orders.services import AWAITING_PAYMENT, order_expire

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_kwargs={"max_retries": 8},
)
def send_notification(notification_id: int) -> bool:
    """Sends one e-mail from the outbox (a no-op if it was already sent)."""
    return notification_send(notification_id=notification_id)


@shared_task
def sweep_notifications() -> int:
    """Re-sends e-mails whose task never ran (e.g. the broker was down at order time)."""
    ids = notifications_unsent(older_than=timedelta(seconds=30))
    for notification_id in ids:
        send_notification.delay(notification_id)
    return len(ids)


@shared_task
def expire_unpaid_orders() -> int:
    """Cancels unpaid orders past their deadline and returns their stock."""
    ids = list(
        Order.objects.filter(
            payment_status__in=AWAITING_PAYMENT,
            fulfillment_status=FulfillmentStatus.UNFULFILLED,
            expires_at__lt=timezone.now(),
        )
        .order_by("expires_at")
        .values_list("pk", flat=True)[:1000]
    )
    expired = sum(1 for order_id in ids if order_expire(order_id=order_id))
    if expired:
        logger.info("Expired %d unpaid orders", expired)
    return expired
