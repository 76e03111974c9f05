from __future__ import annotations

from django.apps import AppConfig


class PricingConfig(AppConfig):
    """Money math (rounding, tax, line and order totals) and the shipping methods priced."""

    name = "apps.pricing"
    label = "pricing"
