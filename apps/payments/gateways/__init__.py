"""Payment gateways: one module per provider, all speaking the interface in base.py."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from apps.payments.gateways.base import PaymentGateway


def get_gateway() -> PaymentGateway:
    """The configured gateway (PAYMENT_GATEWAY, a dotted path to its class)."""
    gateway_class = import_string(settings.PAYMENT_GATEWAY)
    gateway: PaymentGateway = gateway_class()
    return gateway
