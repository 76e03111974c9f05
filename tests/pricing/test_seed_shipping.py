"""The demo shop's shipping methods."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.pricing.models import ShippingMethod

pytestmark = pytest.mark.django_db


def test_seed_shipping_methods_creates_defaults_once():
    call_command("seed_shipping_methods")
    call_command("seed_shipping_methods")
    assert list(ShippingMethod.objects.values_list("name", flat=True)) == [
        "Standard delivery",
        "Express delivery",
    ]
