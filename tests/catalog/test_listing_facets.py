"""Facets with counts and bounded counts on the listing pages and the API."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.catalog import services
from apps.catalog.facets import _PendingRefresh
from apps.catalog.models import Category, Product
from apps.catalog.services import catalog_facets_rebuild
from tests.catalog.support import PRODUCTS, _assert_matches_schema
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_media_in_tmp")]


def _shop(category: Category, count: int, **options: str) -> list[Product]:
    products = ProductFactory.create_batch(count, category=category, option_names=list(options))
    for product in products:
        VariantFactory(product=product, options=options)
    return products


def _facets(response) -> dict[str, list[tuple[str, int, bool]]]:
    return {
        facet.name: [(item.value, item.count, item.selected) for item in facet.values]
        for facet in response.context["facets"].options
    }


def _result_count(response) -> str:
    match = re.search(r'class="result-count"[^>]*>([^<]*)', response.content.decode())
    assert match is not None
    return match.group(1).strip()


@pytest.fixture
def furniture() -> dict[str, Category]:
    department = CategoryFactory(name="Furniture", slug="furniture")
    tables = CategoryFactory(name="Tables", slug="tables", parent=department)
    chairs = CategoryFactory(name="Chairs", slug="chairs", parent=department)
    _shop(tables, 3, Wood="Oak")
    _shop(tables, 1, Wood="Walnut")
    _shop(chairs, 2, Wood="Oak")
    catalog_facets_rebuild()
    return {"department": department, "tables": tables, "chairs": chairs}


def test_a_category_shows_its_values_with_their_product_counts(client, furniture):
    response = client.get(reverse("catalog:category", args=["tables"]))
    assert _facets(response) == {"Wood": [("Oak", 3, False), ("Walnut", 1, False)]}
    assert 'Oak <span class="facet__count">(3)</span>' in response.content.decode()


def test_a_parent_category_sums_its_children_and_drops_hidden_ones(client, furniture):
    response = client.get(reverse("catalog:category", args=["furniture"]))
    assert _facets(response) == {"Wood": [("Oak", 5, False), ("Walnut", 1, False)]}
    # Hiding a category needs no refresh: the listing sums only the visible ones.
    Category.objects.filter(pk=furniture["chairs"].pk).update(is_active=False)
    response = client.get(reverse("catalog:category", args=["furniture"]))
    assert _facets(response) == {"Wood": [("Oak", 3, False), ("Walnut", 1, False)]}


def test_values_no_product_of_the_listing_offers_are_not_shown(client, furniture):
    _shop(CategoryFactory(slug="lamps"), 2, Wood="Bamboo")
    catalog_facets_rebuild()
    response = client.get(reverse("catalog:category", args=["chairs"]))
    assert _facets(response) == {"Wood": [("Oak", 2, False)]}


def test_a_ticked_value_stays_on_show_even_with_nothing_left(client, furniture):
    response = client.get(reverse("catalog:category", args=["chairs"]), {"option": "Wood:Teak"})
    assert _facets(response) == {"Wood": [("Oak", 2, False), ("Teak", 0, True)]}
    assert 'value="Wood:Teak" checked' in response.content.decode()


def test_the_all_products_page_shows_only_the_commonest_names_and_values(client):
    shelf = CategoryFactory(slug="shelf")
    for index in range(12):
        _shop(shelf, 12 - index, Colour=f"Colour {index:02d}")
    _shop(shelf, 30, Size="M")
    _shop(shelf, 20, Finish="Matt")
    _shop(shelf, 2, Scent="Fig")
    catalog_facets_rebuild()
    facets = _facets(client.get(reverse("catalog:list")))
    assert set(facets) == {"Colour", "Size", "Finish"}
    assert [value for value, _, _ in facets["Colour"]] == [f"Colour {i:02d}" for i in range(8)]
    # In a category, every name and value.
    facets = _facets(client.get(reverse("catalog:category", args=["shelf"])))
    assert set(facets) == {"Colour", "Size", "Finish", "Scent"}
    assert len(facets["Colour"]) == 12


def test_values_sort_numbers_as_numbers(client):
    pans = CategoryFactory(slug="pans")
    for size in ("100 cm", "20 cm", "9 cm"):
        _shop(pans, 1, Diameter=size)
    catalog_facets_rebuild()
    facets = _facets(client.get(reverse("catalog:category", args=["pans"])))
    assert [value for value, _, _ in facets["Diameter"]] == ["9 cm", "20 cm", "100 cm"]


# --- counts -----------------------------------------------------------------------------


def test_a_count_below_the_limit_is_exact_on_the_page_and_in_the_api(client, furniture):
    response = client.get(reverse("catalog:category", args=["furniture"]), {"option": "Wood:Oak"})
    assert _result_count(response) == "5 products"
    assert 'data-count-exact="true"' in response.content.decode()
    body = client.get(PRODUCTS, {"category": "furniture", "option": "Wood:Oak"}).json()
    assert (body["count"], body["count_exact"]) == (5, True)
    assert body["facets"] == [
        {
            "name": "Wood",
            "values": [
                {"value": "Oak", "count": 5, "selected": True},
                {"value": "Walnut", "count": 1, "selected": False},
            ],
        }
    ]


def test_a_count_past_the_limit_says_so_and_stops_counting(client, settings, furniture):
    settings.CATALOG_COUNT_LIMIT = 4
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("catalog:list"), {"min_price": "1"})
    assert _result_count(response) == "4+ products"
    assert 'data-count-exact="false"' in response.content.decode()
    (count,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT")]
    assert "LIMIT 5" in count
    response = client.get(PRODUCTS, {"min_price": "1"})
    assert (response.json()["count"], response.json()["count_exact"]) == (4, False)
    _assert_matches_schema(response, PRODUCTS)


def test_pages_past_an_inexact_count_stop_at_the_pages_counted(client, settings):
    settings.CATALOG_COUNT_LIMIT = 30
    _shop(CategoryFactory(slug="mugs"), 60, Colour="Red")
    # Counted up to 30: two whole pages of 24 are offered, the third is not.
    response = client.get(reverse("catalog:list"), {"min_price": "1", "page": "2"})
    assert len(response.context["products"]) == 24
    body = response.content.decode()
    assert "Page 2<" in body
    assert "of 2" not in body
    assert "the pages stop here" in body
    assert client.get(reverse("catalog:list"), {"min_price": "1", "page": "3"}).status_code == 404


def test_a_listing_without_filters_takes_its_exact_count_from_the_facet_table(
    client, settings, furniture
):
    settings.CATALOG_COUNT_LIMIT = 4
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("catalog:category", args=["furniture"]))
    assert _result_count(response) == "6 products"
    assert not [q for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT")]
    # As does one option value and nothing else.
    response = client.get(reverse("catalog:category", args=["furniture"]), {"option": "Wood:Oak"})
    assert _result_count(response) == "5 products"
    # Two values of one name are not a sum (a product may have both): counted, up to 4.
    response = client.get(
        reverse("catalog:category", args=["furniture"]), {"option": ["Wood:Oak", "Wood:Walnut"]}
    )
    assert _result_count(response) == "4+ products"
    body = client.get(PRODUCTS, {"category": "furniture"}).json()
    assert (body["count"], body["count_exact"]) == (6, True)


def test_a_facet_table_total_below_the_limit_is_counted_again(client, settings, furniture):
    settings.CATALOG_COUNT_LIMIT = 10
    _shop(furniture["tables"], 5, Wood="Ash")  # written around the services: not in the table
    response = client.get(reverse("catalog:category", args=["furniture"]))
    assert _result_count(response) == "10+ products"
    assert len(response.context["products"]) == 11


def test_the_schema_documents_count_exactness_and_facets(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    content = schema["paths"][PRODUCTS]["get"]["responses"]["200"]["content"]
    page = content["application/json"]["schema"]
    page = (
        schema["components"]["schemas"][page["$ref"].rsplit("/", 1)[-1]] if "$ref" in page else page
    )
    assert {"count", "count_exact", "facets"} <= set(page["required"])
    assert page["properties"]["count_exact"]["type"] == "boolean"
    assert "lower bound" in page["properties"]["count"]["description"]


# --- queries ----------------------------------------------------------------------------


def _facet_queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("url", ["/catalog/", "/catalog/furniture/", "/api/v1/products/"])
def test_a_cold_listing_reads_its_facets_in_one_small_query(client, furniture, url):
    few = _facet_queries(client, url)
    for index in range(20):
        extra = CategoryFactory(slug=f"extra-{index}", parent=furniture["department"])
        _shop(extra, 2, Wood=f"Wood {index}", Size=f"S{index}")
    catalog_facets_rebuild()
    many = _facet_queries(client, url)
    assert len(few) == len(many)
    facet_reads = [sql for sql in many if "catalog_categoryfacet" in sql]
    assert len(facet_reads) == 1
    assert "GROUP BY" in facet_reads[0]
    # Never the options of the variants again.
    assert not [sql for sql in many if 'DISTINCT "catalog_variant"."options"' in sql]


@pytest.mark.redis
def test_a_cached_listing_shows_the_new_facets_after_a_write(
    client, settings, furniture, django_capture_on_commit_callbacks
):
    settings.CATALOG_CACHE = True
    url = reverse("catalog:category", args=["tables"])
    walnut = 'Walnut <span class="facet__count">(1)</span>'
    assert walnut in client.get(url).content.decode()
    assert walnut in client.get(url).content.decode()  # from the cache
    table = Product.objects.get(variants__options__Wood="Walnut")
    with django_capture_on_commit_callbacks(execute=True):
        services.product_set_active(product_ids=[table.pk], active=False)
    body = client.get(url).content.decode()
    assert "Walnut" not in body
    assert 'Oak <span class="facet__count">(3)</span>' in body


@pytest.mark.redis
def test_a_page_cached_between_the_write_and_its_refresh_is_not_kept(
    client, settings, furniture, django_capture_on_commit_callbacks
):
    settings.CATALOG_CACHE = True
    url = reverse("catalog:category", args=["tables"])
    table = Product.objects.get(variants__options__Wood="Walnut")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.product_set_active(product_ids=[table.pk], active=False)
    refresh = [c for c in callbacks if isinstance(c, _PendingRefresh)]
    assert len(refresh) == 1
    assert len(callbacks) == 2
    for callback in callbacks:
        if callback not in refresh:
            callback()  # the write's own version bump, first
    assert "Walnut" in client.get(url).content.decode()  # rebuilt from the old facet rows
    refresh[0]()
    assert "Walnut" not in client.get(url).content.decode()
