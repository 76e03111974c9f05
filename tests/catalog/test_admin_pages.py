"""The catalog admin's pages: open to staff only, the add forms, and their query budgets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.catalog import services
from apps.catalog.models import Category, Product, StockMovement, Variant
from tests.catalog.support import _form_data, _url
from tests.factories import CategoryFactory, ProductFactory, ProductImageFactory, VariantFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_media_in_tmp")]


# --- Pages render ---------------------------------------------------------------------


def test_every_catalog_admin_page_renders_for_staff(staff_client, staff):
    variant = VariantFactory(product__title="Enamel Mug", sku="MUG-ENAMEL")
    ProductImageFactory(product=variant.product)
    movement = services.stock_adjust(variant_id=variant.pk, delta=5, reason="received", actor=staff)
    category = variant.product.category
    pages = [
        (_url("product_changelist"), "Enamel Mug"),
        (_url("product_change", variant.product.pk), "Enamel Mug"),
        (_url("product_add"), "Add product"),
        (_url("variant_changelist"), "MUG-ENAMEL"),
        (_url("variant_change", variant.pk), "MUG-ENAMEL"),
        (_url("variant_add"), "Add variant"),
        (_url("category_changelist"), category.name),
        (_url("category_change", category.pk), category.name),
        (_url("category_add"), "Add category"),
        (_url("stockmovement_changelist"), "MUG-ENAMEL"),
        (_url("stockmovement_change", movement.pk), "MUG-ENAMEL"),
    ]
    for url, text in pages:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url


def test_admin_pages_and_export_are_closed_to_shoppers(client, shopper):
    client.force_login(shopper)
    for url in [_url("product_changelist"), _url("product_export")]:
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


def test_a_product_added_with_a_variant_records_its_initial_stock(staff_client, staff):
    category = CategoryFactory()
    data = _form_data(staff_client.get(_url("product_add")))
    data.update(
        {
            "title": "Walnut Board",
            "slug": "walnut-board",
            "category": category.pk,
            "option_names": '["Size"]',
            "is_active": "on",
            "variants-0-sku": "BOARD-L",
            "variants-0-options_text": "Size: L",
            "variants-0-price": "45.00",
            "variants-0-stock_change": "+5",
            "_save": "Save",
        }
    )
    response = staff_client.post(_url("product_add"), data)
    assert response.status_code == 302
    product = Product.objects.get(slug="walnut-board")
    variant = product.variants.get()
    assert (variant.sku, variant.stock, product.price) == ("BOARD-L", 5, Decimal("45.00"))
    movement = StockMovement.objects.get(variant=variant)
    assert (movement.delta, movement.actor) == (5, staff)


def test_a_category_is_added_under_its_parent_through_the_tree_form(staff_client):
    kitchen = CategoryFactory(name="Kitchen")
    response = staff_client.post(
        _url("category_add"),
        {
            "name": "Kettles",
            "slug": "kettles",
            "position": "0",
            "is_active": "on",
            "treebeard_position": "sorted-child",
            "treebeard_ref_node": kitchen.pk,
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    kettles = Category.objects.get(slug="kettles")
    assert Category.objects.get_parent(kettles) == kitchen


def test_category_autocomplete_serves_the_product_form(staff_client):
    kitchen = CategoryFactory(name="Kitchen")
    CategoryFactory(name="Garden")
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "catalog", "model_name": "product", "field_name": "category", "term": "kit"},
    )
    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(kitchen.pk), "text": "Kitchen"}]


# --- Query budgets --------------------------------------------------------------------


def _catalog(count: int, start: int = 0) -> list[Product]:
    """Products with 1 to 3 variants, 0 to 2 images and a category of their own."""
    products = []
    for i in range(start, start + count):
        product = ProductFactory(title=f"Admin item {i:02d}", slug=f"admin-item-{i:02d}")
        for n in range(i % 3 + 1):
            VariantFactory(product=product, stock=10 * n)
        for _ in range(i % 3):
            ProductImageFactory(product=product)
        products.append(product)
    return products


def _count_queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize(
    "query", ["", "?q=admin+item&stock=in_stock&is_active__exact=1&o=3"], ids=["plain", "filtered"]
)
def test_product_changelist_runs_the_same_queries_for_2_and_20_products(staff_client, query):
    url = _url("product_changelist") + query
    products = _catalog(2)
    few, _ = _count_queries(staff_client, url)
    products += _catalog(18, start=2)
    many, html = _count_queries(staff_client, url)
    assert few == many
    # Every third product has only a sold-out variant, so "filtered" leaves it out.
    hidden = {p for i, p in enumerate(products) if query and i % 3 == 0}
    assert all(product.title in html for product in products if product not in hidden)
    assert not any(product.title in html for product in hidden)


def test_variant_and_movement_changelists_run_the_same_queries_for_2_and_20_rows(
    staff_client, staff
):
    def rows(count: int, start: int) -> list[Variant]:
        made = []
        for i in range(start, start + count):
            variant = VariantFactory(sku=f"ROW-{i:02d}", product__title=f"Row product {i:02d}")
            services.stock_adjust(
                variant_id=variant.pk, delta=i + 1, reason="received", actor=staff
            )
            made.append(variant)
        return made

    variants = rows(2, 0)
    counts = [
        _count_queries(staff_client, _url(name))[0]
        for name in ("variant_changelist", "stockmovement_changelist")
    ]
    variants += rows(18, 2)
    for name, before in zip(
        ("variant_changelist", "stockmovement_changelist"), counts, strict=True
    ):
        after, html = _count_queries(staff_client, _url(name))
        assert after == before, name
        assert all(variant.sku in html for variant in variants), name
