from __future__ import annotations

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Payment attempts and the gateways that process them."""

    name = "apps.payments"
    label = "payments"
