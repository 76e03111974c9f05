"""Fixtures for the checkout tests: the shop's pricing rules, a courier and a kettle."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.catalog.models import Variant
from apps.pricing.models import ShippingMethod
from tests.factories import ShippingMethodFactory, VariantFactory


@pytest.fixture
def _pricing(settings) -> None:
    settings.SHOP_TAX_RATE = Decimal("0.20")
    settings.SHOP_PRICES_INCLUDE_TAX = True
    settings.CART_MAX_LINE_QUANTITY = 10


@pytest.fixture
def courier(db: None) -> ShippingMethod:
    return ShippingMethodFactory(name="Courier", price=Decimal("4.90"), free_above=Decimal("50"))


@pytest.fixture
def kettle(db: None) -> Variant:
    return VariantFactory(
        product__title="Steel Kettle", options={"Size": "L"}, price=Decimal("12.50"), stock=5
    )
