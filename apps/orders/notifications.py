"""Sending the e-mails recorded in the notification outbox."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from apps.orders.choices import NotificationKind
from apps.orders.links import order_email_url
from apps.orders.models import Notification

logger = logging.getLogger(__name__)

SUBJECTS = {
    NotificationKind.ORDER_CONFIRMATION: "Your order {number}",
    NotificationKind.PAYMENT_RECEIVED: "Payment received for order {number}",
    NotificationKind.SHIPPED: "Order {number} is on its way",
    NotificationKind.CANCELLED: "Order {number} was cancelled",
    NotificationKind.REFUNDED: "A refund for order {number}",
}


def notification_send(*, notification_id: int) -> bool:
    """Sends one owed e-mail; True if this call sent it, False if it was already sent.

    The row is locked while sending (other workers skip it), and marked sent in the same
    transaction, so a redelivered task or the sweep never sends it twice. A crash between
    sending and committing can repeat an e-mail; it can never lose one.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .select_related("order")
            .filter(pk=notification_id, sent_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        Notification.objects.filter(pk=notification.pk).update(attempts=F("attempts") + 1)
        order = notification.order
        context = {
            "order": order,
            "lines": list(order.lines.all()),
            "shop_name": settings.SHOP_NAME,
            "order_url": order_email_url(order=order),
            # Only guests' links expire; members' links are plain and need a sign-in.
            "order_link_days": (
                settings.GUEST_ORDER_LINK_MAX_AGE_DAYS if order.user_id is None else None
            ),
        }
        template = f"emails/{notification.kind}"
        message = EmailMultiAlternatives(
            subject=SUBJECTS[NotificationKind(notification.kind)].format(number=order.number),
            body=render_to_string(f"{template}.txt", context),
            to=[order.email],
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        message.send()
        Notification.objects.filter(pk=notification.pk).update(
            sent_at=timezone.now(), last_error=""
        )
        return True


def notifications_unsent(*, older_than: timedelta) -> list[int]:
    """Ids of e-mails still owed after `older_than` (their task was lost or failed)."""
    cutoff = timezone.now() - older_than
    return list(
        Notification.objects.filter(sent_at__isnull=True, created_at__lt=cutoff, attempts__lt=10)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
