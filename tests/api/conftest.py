"""Fixtures for the API tests: a buyable variant, a shipping method, signed-in clients."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.catalog.models import Variant
from apps.pricing.models import ShippingMethod
from tests.api.support import token_client
from tests.factories import ShippingMethodFactory, VariantFactory


@pytest.fixture
def variant(db: None) -> Variant:
    return VariantFactory(price=Decimal("12.50"), stock=5, options={"Size": "M"})


@pytest.fixture
def shipping(db: None) -> ShippingMethod:
    return ShippingMethodFactory(price=Decimal("4.90"), free_above=None)


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def api(shopper: User) -> APIClient:
    return token_client(shopper)


@pytest.fixture
def other_api(other_shopper: User) -> APIClient:
    return token_client(other_shopper)


@pytest.fixture
def rates(settings):
    """Sets tiny throttle rates: the throttles read them from the settings on every request."""

    def set_rates(**overrides: str) -> None:
        configured = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**configured, **overrides},
        }

    return set_rates
