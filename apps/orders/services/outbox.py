"""The e-mail outbox: an e-mail owed is a row written with the change that owes it."""

from __future__ import annotations

from apps.core.queue import enqueue_on_commit
from apps.orders.models import Notification, Order


def notification_queue(*, order: Order, kind: str) -> Notification:
    """Records an e-mail owed to the customer and sends it after commit (outbox)."""
    notification = Notification.objects.create(order=order, kind=kind)
    enqueue_on_commit("apps.orders.tasks.send_notification", notification.pk)
    return notification
