from __future__ import annotations

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    """Orders, their lines and status history, and the e-mails about them."""

    name = "apps.orders"
    label = "orders"
