from __future__ import annotations

from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    """Shipping methods, money math and the checkout flow that turns a cart into an order."""

    name = "apps.checkout"
    label = "checkout"
