"""Catalog search: full text with ranking and typo tolerance on PostgreSQL."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.catalog.models import Product
from apps.catalog.selectors import ProductFilters, product_list
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def _search(query: str) -> list[str]:
    return [p.title for p in product_list(filters=ProductFilters(query=query))]


@pytest.mark.postgres
def test_a_typo_still_finds_the_product():
    ProductFactory(title="Electric Kettle", description="Boils water.")
    ProductFactory(title="Garden Rake", description="For leaves.")
    assert _search("kettel") == ["Electric Kettle"]
    assert _search("eletric") == ["Electric Kettle"]


@pytest.mark.postgres
def test_title_matches_rank_above_brand_above_description():
    ProductFactory(title="Plain Mug", brand="Acme", description="Pairs well with a kettle.")
    ProductFactory(title="Travel Kettle", brand="Acme", description="Small.")
    ProductFactory(title="Teapot", brand="Kettle & Co", description="Ceramic.")
    assert _search("kettle") == ["Travel Kettle", "Teapot", "Plain Mug"]


@pytest.mark.postgres
def test_stemming_matches_plural_and_singular():
    ProductFactory(title="Wool Socks")
    assert _search("sock") == ["Wool Socks"]


@pytest.mark.postgres
def test_bulk_inserted_and_bulk_updated_products_are_searchable():
    category = CategoryFactory()
    Product.objects.bulk_create(
        [Product(title=f"Bulk Lantern {n}", slug=f"bulk-{n}", category=category) for n in range(3)]
    )
    assert len(_search("lantern")) == 3
    Product.objects.filter(slug="bulk-0").update(title="Bulk Compass")
    assert _search("compass") == ["Bulk Compass"]
    assert len(_search("lantern")) == 2


@pytest.mark.postgres
def test_search_combines_with_filters_and_explicit_sorting():
    cheap = ProductFactory(title="Cheap Kettle", price="5.00")
    VariantFactory(product=cheap, price="5.00")
    dear = ProductFactory(title="Dear Kettle", price="50.00")
    VariantFactory(product=dear, price="50.00")
    by_price = product_list(filters=ProductFilters(query="kettle", ordering="-price"))
    assert [p.title for p in by_price] == ["Dear Kettle", "Cheap Kettle"]
    in_range = product_list(filters=ProductFilters(query="kettle", max_price=10))
    assert [p.title for p in in_range] == ["Cheap Kettle"]


@pytest.mark.parametrize(
    "query", ['"unbalanced', "a & b | !c", "kettle:*", "'); DROP TABLE x; --", "\\", "%_%"]
)
def test_odd_search_input_never_errors(client, query):
    ProductFactory(title="Kettle")
    response = client.get(reverse("catalog:list"), {"q": query})
    assert response.status_code == 200


def test_relevance_sort_is_offered_only_when_searching(client):
    ProductFactory(title="Kettle")
    plain = client.get(reverse("catalog:list"))
    assert "relevance" not in [value for value, _ in plain.context["orderings"]]
    searching = client.get(reverse("catalog:list"), {"q": "kettle"})
    assert searching.context["filters"].effective_ordering == "relevance"
