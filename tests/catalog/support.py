"""Helpers for the catalog API tests: products to list, the error shape, the documented schema."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.catalog.models import Product
from tests.api.support import assert_matches_schema
from tests.factories import ProductFactory, VariantFactory

CATEGORIES = "/api/v1/categories/"
PRODUCTS = "/api/v1/products/"


def _product(
    title: str,
    price: str = "10.00",
    *,
    stock: int = 10,
    options: dict[str, str] | None = None,
    **kwargs: Any,
) -> Product:
    product = ProductFactory(title=title, price=Decimal(price), **kwargs)
    VariantFactory(product=product, price=Decimal(price), stock=stock, options=options or {})
    return product


def _slugs(response) -> list[str]:
    return [item["slug"] for item in response.json()["results"]]


def _titles(response) -> list[str]:
    return [item["title"] for item in response.json()["results"]]


def _assert_matches_schema(response, path: str) -> None:
    """The response body is exactly what the documented schema allows (strict, see tests.api)."""
    assert_matches_schema(response, path)


def _assert_error(response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["message"]
    if field is not None:
        assert error["code"] == "invalid"
        assert field in error["fields"], error
        assert all(isinstance(message, str) for message in error["fields"][field])
