"""The catalog API's query budgets: listing and detail cost the same for 2 or 20 products."""

from __future__ import annotations

import pytest

from apps.catalog.models import Category, Product
from tests.catalog.support import PRODUCTS, _slugs
from tests.factories import CategoryFactory, ProductFactory, ProductImageFactory, VariantFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_media_in_tmp")]


def _catalog(count: int, category: Category) -> list[Product]:
    """`count` products with 1 to 4 variants and 0 to 3 images each."""
    products = []
    for index in range(count):
        product = ProductFactory(category=category, title=f"Budget {index}")
        for variant in range(1 + index % 4):
            VariantFactory(product=product, options={"Size": str(variant)})
        for position in range(index % 4):
            ProductImageFactory(product=product, position=position)
        products.append(product)
    return products


# The visible category tree, the listing's facet rows, its count (of 1,001 rows at most),
# the products page and its cover images; a `category` is found in the tree, so it costs
# nothing more.
LIST_QUERIES = 5
LIST_QUERIES_IN_CATEGORY = 5
# The visible category tree, the product with its category, its variants, its images.
DETAIL_QUERIES = 4


@pytest.mark.parametrize("count", [2, 20])
def test_listing_runs_a_constant_number_of_queries(
    client, no_cache, django_assert_num_queries, count
):
    products = _catalog(count, CategoryFactory(slug="budget"))
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(PRODUCTS)
    assert sorted(_slugs(response)) == sorted(product.slug for product in products)
    with_images = [item for item in response.json()["results"] if item["image"]]
    assert len(with_images) == sum(1 for index in range(count) if index % 4)


@pytest.mark.parametrize("count", [2, 20])
def test_listing_a_subcategory_with_filters_runs_a_constant_number_of_queries(
    client, no_cache, django_assert_num_queries, count
):
    parent = CategoryFactory(slug="parent")
    products = _catalog(count, CategoryFactory(slug="child", parent=parent))
    params = {"category": "parent", "in_stock": "true", "min_price": "1", "q": "budget"}
    with django_assert_num_queries(LIST_QUERIES_IN_CATEGORY):
        response = client.get(PRODUCTS, params)
    assert sorted(_slugs(response)) == sorted(product.slug for product in products)


@pytest.mark.parametrize("count", [2, 20])
def test_product_detail_runs_a_constant_number_of_queries(
    client, no_cache, django_assert_num_queries, count
):
    product = ProductFactory(slug="budget")
    skus = [VariantFactory(product=product).sku for _ in range(count)]
    images = [ProductImageFactory(product=product, position=i).image.name for i in range(count)]
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(f"{PRODUCTS}budget/")
    body = response.json()
    assert [variant["sku"] for variant in body["variants"]] == skus
    assert [image["url"] for image in body["images"]] == [
        f"http://testserver/media/{name}" for name in images
    ]
