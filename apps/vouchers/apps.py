from __future__ import annotations

from django.apps import AppConfig


class VouchersConfig(AppConfig):
    """Discount codes and who used them."""

    name = "apps.vouchers"
    label = "vouchers"
