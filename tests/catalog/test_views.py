"""Storefront pages: listing, filters, sort, pagination edge cases, product page, SEO."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.catalog.models import Product
from apps.catalog.services import catalog_facets_rebuild
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    ProductImageFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


def _product(title: str, price: str = "10.00", stock: int = 5, **kwargs) -> Product:
    product = ProductFactory(title=title, price=Decimal(price), **kwargs)
    VariantFactory(product=product, price=Decimal(price), stock=stock)
    return product


def _titles(response) -> list[str]:
    return [product.title for product in response.context["products"]]


def test_listing_shows_active_products_newest_first(client):
    old = _product("Old Kettle")
    Product.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    _product("New Kettle")
    _product("Hidden Kettle", is_active=False)
    response = client.get(reverse("catalog:list"))
    assert response.status_code == 200
    assert _titles(response) == ["New Kettle", "Old Kettle"]
    assert "Hidden Kettle" not in response.content.decode()


def test_category_page_includes_subcategories_but_not_siblings(client):
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
    kettles = CategoryFactory(name="Kettles", slug="kettles", parent=kitchen)
    garden = CategoryFactory(name="Garden", slug="garden")
    _product("Steel Kettle", category=kettles)
    _product("Pan", category=kitchen)
    _product("Rake", category=garden)
    response = client.get(reverse("catalog:category", args=["kitchen"]))
    assert sorted(_titles(response)) == ["Pan", "Steel Kettle"]
    assert [c.name for c in response.context["subcategories"]] == ["Kettles"]


def test_inactive_category_and_its_products_are_404(client):
    hidden = CategoryFactory(slug="hidden", is_active=False)
    product = _product("Secret", category=hidden)
    assert client.get(reverse("catalog:category", args=["hidden"])).status_code == 404
    assert client.get(product.get_absolute_url()).status_code == 404
    assert "Secret" not in client.get(reverse("catalog:list")).content.decode()


def test_child_of_an_inactive_category_is_404(client):
    parent = CategoryFactory(slug="parent", is_active=False)
    CategoryFactory(slug="child", parent=parent)
    assert client.get(reverse("catalog:category", args=["child"])).status_code == 404


def test_inactive_product_is_404(client):
    product = _product("Retired", is_active=False)
    assert client.get(product.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("price", ["Cheap", "Middle", "Dear"]),
        ("-price", ["Dear", "Middle", "Cheap"]),
        ("name", ["Cheap", "Dear", "Middle"]),
    ],
)
def test_listing_sorts(client, ordering, expected):
    _product("Middle", "20.00")
    _product("Cheap", "5.00")
    _product("Dear", "99.00")
    response = client.get(reverse("catalog:list"), {"ordering": ordering})
    assert _titles(response) == expected


def test_price_range_and_in_stock_filters(client):
    _product("Cheap", "5.00")
    _product("Middle", "20.00")
    _product("Middle Sold Out", "21.00", stock=0)
    _product("Dear", "99.00")
    response = client.get(
        reverse("catalog:list"), {"min_price": "10", "max_price": "50", "in_stock": "on"}
    )
    assert _titles(response) == ["Middle"]


def test_reversed_price_range_is_read_the_right_way_round(client):
    _product("Middle", "20.00")
    _product("Dear", "99.00")
    response = client.get(reverse("catalog:list"), {"min_price": "50", "max_price": "10"})
    assert response.status_code == 200
    assert _titles(response) == ["Middle"]


@pytest.mark.parametrize(
    "params",
    [
        {"min_price": "-5"},
        {"min_price": "abc"},
        {"ordering": "bogus"},
        {"option": "no colon"},
        {"option": "Size__startswith:M"},
        {"q": "x" * 500},
    ],
)
def test_bad_filter_parameters_are_ignored_with_a_message(client, params):
    _product("Kettle", "20.00")
    response = client.get(reverse("catalog:list"), params)
    assert response.status_code == 200
    assert "were not understood" in response.content.decode()
    if "q" not in params:
        assert _titles(response) == ["Kettle"]
    # The parsed parameters are remembered per query string: a repeat says the same.
    again = client.get(reverse("catalog:list"), params)
    assert again.context["filter_errors"] == response.context["filter_errors"] != ()


def test_a_valid_query_after_an_invalid_one_shows_no_error(client):
    _product("Kettle", "20.00")
    assert client.get("/catalog/?min_price=abc").context["filter_errors"]
    response = client.get("/catalog/?min_price=5")
    assert response.context["filter_errors"] == ()
    assert "were not understood" not in response.content.decode()


def test_option_filter_matches_variant_options(client):
    shirt = ProductFactory(title="Shirt", option_names=["Size", "Colour"])
    VariantFactory(product=shirt, options={"Size": "M", "Colour": "Red"})
    hat = ProductFactory(title="Hat", option_names=["Size", "Colour"])
    VariantFactory(product=hat, options={"Size": "L", "Colour": "Blue"})
    catalog_facets_rebuild()  # the factories write around the services that keep facets
    response = client.get(reverse("catalog:list"), {"option": ["Colour:Red"]})
    assert _titles(response) == ["Shirt"]
    response = client.get(reverse("catalog:list"), {"option": ["Colour:Red", "Colour:Blue"]})
    assert sorted(_titles(response)) == ["Hat", "Shirt"]
    (colour,) = [facet for facet in response.context["facets"].options if facet.name == "Colour"]
    assert [(v.value, v.count, v.selected) for v in colour.values] == [
        ("Blue", 1, True),
        ("Red", 1, True),
    ]


@pytest.mark.parametrize("page", ["abc", "0", "-2", ""])
def test_garbled_page_numbers_show_the_first_page(client, page):
    _product("Kettle")
    response = client.get(reverse("catalog:list"), {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == 1


def test_a_page_past_the_end_is_404(client):
    _product("Kettle")
    assert client.get(reverse("catalog:list"), {"page": "2"}).status_code == 404
    assert client.get(reverse("catalog:list"), {"page": "999999999999999999999"}).status_code == 404


def test_listing_paginates_24_per_page_and_keeps_filters_in_links(client):
    for n in range(30):
        _product(f"Mug {n:02d}", "12.00")
    response = client.get(reverse("catalog:list"), {"ordering": "name", "min_price": "1"})
    assert len(response.context["products"]) == 24
    body = response.content.decode()
    assert "ordering=name" in body
    assert "page=2" in body
    second = client.get(reverse("catalog:list"), {"ordering": "name", "min_price": "1", "page": 2})
    assert _titles(second) == [f"Mug {n:02d}" for n in range(24, 30)]


def test_empty_listing_says_so(client):
    response = client.get(reverse("catalog:list"), {"q": "unicorn"})
    assert response.status_code == 200
    assert "No products match" in response.content.decode()


def test_search_on_sqlite_or_postgres_finds_title_words(client):
    _product("Copper Kettle")
    _product("Garden Rake")
    response = client.get(reverse("catalog:list"), {"q": "kettle"})
    assert _titles(response) == ["Copper Kettle"]


def test_product_page_shows_variants_prices_stock_and_breadcrumbs(client):
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
    product = ProductFactory(title="Kettle", category=kitchen, option_names=["Colour"])
    VariantFactory(
        product=product,
        sku="K-RED",
        options={"Colour": "Red"},
        price=Decimal("30.00"),
        compare_at_price=Decimal("40.00"),
        stock=3,
    )
    VariantFactory(
        product=product, sku="K-BLUE", options={"Colour": "Blue"}, price=Decimal("32.00"), stock=0
    )
    VariantFactory(product=product, sku="K-OFF", options={"Colour": "Grey"}, is_active=False)
    ProductImageFactory(product=product)
    response = client.get(product.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert [v.sku for v in response.context["variants"]] == ["K-RED", "K-BLUE"]
    assert response.context["selected"].sku == "K-RED"
    assert "€30.00" in body
    assert "€40.00" in body
    assert "Only 3 left" in body
    assert "Sold out" in body
    assert "Grey" not in body
    assert 'aria-label="Breadcrumb"' in body
    assert ">Kitchen</a>" in body
    assert 'loading="eager"' in body


def test_product_page_variant_choice_by_query_parameter(client):
    product = ProductFactory(title="Kettle", option_names=["Colour"])
    VariantFactory(product=product, sku="K-RED", options={"Colour": "Red"})
    VariantFactory(
        product=product, sku="K-BLUE", options={"Colour": "Blue"}, price=Decimal("12.50")
    )
    response = client.get(product.get_absolute_url(), {"variant": "K-BLUE"})
    assert response.context["selected"].sku == "K-BLUE"
    assert "€12.50" in response.content.decode()


def test_product_page_has_seo_tags(client):
    product = _product("Kettle", seo_title="Best Kettle", seo_description="Boils fast.")
    body = client.get(product.get_absolute_url()).content.decode()
    assert "<title>Best Kettle · Shopfront</title>" in body
    assert '<meta name="description" content="Boils fast.">' in body
    assert (
        f'<link rel="canonical" href="http://127.0.0.1:8000{product.get_absolute_url()}">' in body
    )
    assert '<meta property="og:type" content="product">' in body


def test_related_products_come_from_the_same_category(client):
    kitchen = CategoryFactory(slug="kitchen")
    product = _product("Kettle", category=kitchen)
    _product("Toaster", category=kitchen)
    _product("Rake")
    response = client.get(product.get_absolute_url())
    assert [p.title for p in response.context["related"]] == ["Toaster"]


def test_home_shows_featured_products_and_top_categories(client):
    CategoryFactory(name="Kitchen", slug="kitchen")
    _product("Star Kettle", is_featured=True)
    _product("Plain Kettle")
    response = client.get(reverse("home"))
    body = response.content.decode()
    assert "Star Kettle" in body
    assert "Plain Kettle" not in body
    assert "Kitchen" in body


def test_sitemap_lists_visible_products_and_categories(client):
    visible = _product("Kettle")
    hidden = _product("Hidden", is_active=False)
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    products = client.get("/sitemap-products.xml").content.decode()
    assert visible.get_absolute_url() in products
    assert hidden.get_absolute_url() not in products
    categories = client.get("/sitemap-categories.xml").content.decode()
    assert visible.category.get_absolute_url() in categories


def test_robots_txt_points_at_the_sitemap(client):
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in body
    assert "Disallow: /admin/" in body


def _catalog(n: int, start: int = 0) -> list[Product]:
    products = []
    for i in range(start, start + n):
        product = ProductFactory(title=f"Budget Product {i:03d}", is_featured=True)
        for v in range(1 + i % 3):
            VariantFactory(product=product, options={"Size": f"S{v}"}, stock=i % 4)
        for _ in range(i % 3):
            ProductImageFactory(product=product)
        products.append(product)
    return products


def _count_queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize("url", [reverse("catalog:list"), reverse("home")])
def test_listing_pages_run_a_constant_number_of_queries(client, url):
    products = _catalog(2)
    small, body = _count_queries(client, url)
    assert all(p.title in body for p in products)
    products += _catalog(18, start=2)
    large, body = _count_queries(client, url)
    shown = products if url == reverse("catalog:list") else products[-8:]
    assert all(p.title in body for p in shown)
    assert small == large
    # Listing: categories, count, facets, products, covers. Home: categories, featured, covers.
    assert large == (5 if url == reverse("catalog:list") else 3)


def test_category_listing_runs_a_constant_number_of_queries(client):
    category = CategoryFactory(slug="budget")
    for product in _catalog(2):
        Product.objects.filter(pk=product.pk).update(category=category)
    small, _ = _count_queries(client, reverse("catalog:category", args=["budget"]))
    for product in _catalog(18, start=2):
        Product.objects.filter(pk=product.pk).update(category=category)
    large, body = _count_queries(client, reverse("catalog:category", args=["budget"]))
    assert small == large
    assert large == 5  # the category comes from the category tree, read once
    assert body.count("Budget Product") >= 20


def test_product_page_runs_a_constant_number_of_queries(client):
    few, neighbour = _catalog(2)
    # A related product in the same category, so both pages run the related-images query.
    Product.objects.filter(pk=neighbour.pk).update(category=few.category)
    small, _ = _count_queries(client, few.get_absolute_url())
    many = ProductFactory(title="Many", category=few.category)
    for v in range(20):
        VariantFactory(product=many, options={"Size": f"S{v}"})
    for _ in range(20):
        ProductImageFactory(product=many)
    _catalog(10, start=50)
    large, body = _count_queries(client, many.get_absolute_url())
    assert small == large
    # Categories, product with category, variants, images, related products, their covers.
    assert large == 6
    assert body.count('name="variant"') == 20


def test_a_product_below_an_inactive_category_is_hidden_everywhere(client):
    parent = CategoryFactory(slug="retired-range", is_active=False)
    child = CategoryFactory(slug="still-active-child", parent=parent)
    product = _product("Orphan Lamp", category=child)
    assert client.get(product.get_absolute_url()).status_code == 404
    assert "Orphan Lamp" not in client.get(reverse("catalog:list")).content.decode()
    assert "Orphan Lamp" not in client.get("/sitemap-products.xml").content.decode()
