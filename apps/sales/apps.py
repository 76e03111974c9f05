from __future__ import annotations

from django.apps import AppConfig


class SalesConfig(AppConfig):
    """Flash sales: scheduled sale prices, units set aside, per-customer limits."""

    name = "apps.sales"
    label = "sales"
