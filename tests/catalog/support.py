"""Helpers for the catalog tests.

API: products to list, the error shape, the documented schema. Admin: URLs, the values a
change form posts, extra inline forms, the rows of a changelist.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.forms import CheckboxInput, FileField
from django.urls import reverse

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


# --- the admin --------------------------------------------------------------------------


def _url(name: str, *args: Any) -> str:
    return reverse(f"admin:catalog_{name}", args=args)


def _form_data(response) -> dict[str, Any]:
    """The values a change form (or an editable changelist) shows, as a browser posts them."""
    context = response.context
    forms = []
    if "adminform" in context:
        forms.append(context["adminform"].form)
    formsets = [inline.formset for inline in context.get("inline_admin_formsets", [])]
    if context.get("cl") is not None and context["cl"].formset is not None:
        formsets.append(context["cl"].formset)
    for formset in formsets:
        forms += [formset.management_form, *formset.forms]
    data: dict[str, Any] = {}
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if isinstance(field, FileField):
                continue  # a browser sends a file input only when a new file is chosen
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[form.add_prefix(name)] = "on"
            elif value is not None:
                data[form.add_prefix(name)] = value
    return data


def _add_inline_form(data: dict[str, Any], prefix: str, fields: dict[str, Any]) -> None:
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = index + 1
    data.update({f"{prefix}-{index}-{name}": value for name, value in fields.items()})


def _results(response) -> set[Any]:
    return set(response.context["cl"].result_list)
