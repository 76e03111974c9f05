"""Creates the demo shop's shipping methods when there are none yet."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand

from apps.pricing.models import ShippingMethod

DEFAULTS = [
    {
        "name": "Standard delivery",
        "description": "2 to 4 working days",
        "price": Decimal("4.90"),
        "free_above": Decimal("50.00"),
        "position": 0,
    },
    {
        "name": "Express delivery",
        "description": "Next working day",
        "price": Decimal("9.90"),
        "free_above": None,
        "position": 1,
    },
]


class Command(BaseCommand):
    help = (
        "Create standard and express shipping methods if the shop has none (staff edit them later)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if ShippingMethod.objects.exists():
            self.stdout.write("Shipping methods exist; left as they are.")
            return
        ShippingMethod.objects.bulk_create(ShippingMethod(**values) for values in DEFAULTS)
        self.stdout.write(self.style.SUCCESS(f"Created {len(DEFAULTS)} shipping methods."))
