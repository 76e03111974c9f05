from __future__ import annotations

from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    """The checkout flow that turns a cart into an order and pays for it (pages and API)."""

    name = "apps.checkout"
    label = "checkout"
