"""The read-only catalog API: filters, ordering, cursors, errors, payloads, schema, budgets."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from apps.catalog.api.pagination import KeysetCursorPagination
from apps.catalog.models import Category, Product
from tests.factories import CategoryFactory, ProductFactory, ProductImageFactory, VariantFactory

ROOT = Path(__file__).resolve().parents[2]
CATEGORIES = "/api/v1/categories/"
PRODUCTS = "/api/v1/products/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


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


def _walk(client, url: str, *, direction: str = "next") -> list[list[str]]:
    """Follows cursor links from `url`, returning the slugs of every page in order."""
    pages: list[list[str]] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        pages.append(_slugs(response))
        url = response.json()[direction]
        assert len(pages) < 100, "the cursor never ends"
    return pages


# --- the documented schema, made strict so responses cannot carry undocumented fields -----


@functools.cache
def _openapi() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _strict(node: Any) -> Any:
    """OpenAPI 3.0 schema → JSON Schema: `nullable` as a type, no unknown properties."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _strict(value) for key, value in node.items()}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    if node.pop("nullable", False):
        node = {"anyOf": [{"type": "null"}, node]}
    return node


def _assert_matches_schema(response, path: str) -> None:
    document = _openapi()
    documented = document["paths"][path]["get"]["responses"][str(response.status_code)]
    schema = documented["content"]["application/json"]["schema"]
    root = {**_strict(schema), "components": _strict(document["components"])}
    jsonschema.validate(response.json(), root)


def _assert_error(response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["message"]
    if field is not None:
        assert error["code"] == "invalid"
        assert field in error["fields"], error
        assert all(isinstance(message, str) for message in error["fields"][field])


# --- categories ----------------------------------------------------------------------------


def test_category_tree_nests_active_categories_and_hides_inactive_branches(client):
    home = CategoryFactory(name="Home", slug="home", position=1)
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen", parent=home)
    CategoryFactory(name="Kettles", slug="kettles", parent=kitchen)
    CategoryFactory(name="Retired", slug="retired", parent=home, is_active=False)
    garden = CategoryFactory(name="Garden", slug="garden", position=2)
    hidden = CategoryFactory(name="Hidden", slug="hidden", position=3, is_active=False)
    CategoryFactory(name="Orphan", slug="orphan", parent=hidden)
    CategoryFactory(name="Tools", slug="tools", parent=garden)

    response = client.get(CATEGORIES)

    assert response.status_code == 200
    _assert_matches_schema(response, CATEGORIES)

    def shape(nodes: list[dict[str, Any]]) -> list[Any]:
        return [(node["slug"], shape(node["children"])) for node in nodes]

    assert shape(response.json()) == [
        ("home", [("kitchen", [("kettles", [])])]),
        ("garden", [("tools", [])]),
    ]
    kettles = response.json()[0]["children"][0]["children"][0]
    assert kettles["name"] == "Kettles"
    assert kettles["web_url"] == "http://testserver/catalog/kettles/"


def test_category_tree_is_one_query_however_deep_and_wide(
    client, no_cache, django_assert_num_queries
):
    for root_index in range(3):
        parent = CategoryFactory(slug=f"root-{root_index}")
        for depth in range(4):
            parent = CategoryFactory(slug=f"node-{root_index}-{depth}", parent=parent)
    with django_assert_num_queries(1):
        response = client.get(CATEGORIES)
    assert len(response.json()) == 3
    assert Category.objects.count() == 15


# --- listing filters -----------------------------------------------------------------------


def test_listing_shows_only_active_products_in_active_categories(client):
    _product("Shown")
    _product("Retired", is_active=False)
    _product("Hidden by category", category=CategoryFactory(is_active=False))
    response = client.get(PRODUCTS)
    assert response.status_code == 200
    _assert_matches_schema(response, PRODUCTS)
    assert _titles(response) == ["Shown"]


def test_category_filter_includes_subcategories_but_not_siblings(client):
    kitchen = CategoryFactory(slug="kitchen")
    kettles = CategoryFactory(slug="kettles", parent=kitchen)
    electric = CategoryFactory(slug="electric", parent=kettles)
    garden = CategoryFactory(slug="garden")
    _product("Pan", category=kitchen)
    _product("Steel kettle", category=kettles)
    _product("Electric kettle", category=electric)
    _product("Rake", category=garden)

    assert sorted(_titles(client.get(PRODUCTS, {"category": "kitchen"}))) == [
        "Electric kettle",
        "Pan",
        "Steel kettle",
    ]
    assert sorted(_titles(client.get(PRODUCTS, {"category": "kettles"}))) == [
        "Electric kettle",
        "Steel kettle",
    ]


@pytest.mark.parametrize("slug", ["no-such-category", "switched-off", "under-switched-off"])
def test_unknown_or_inactive_category_filter_answers_400_naming_category(client, slug):
    off = CategoryFactory(slug="switched-off", is_active=False)
    CategoryFactory(slug="under-switched-off", parent=off)
    response = client.get(PRODUCTS, {"category": slug})
    _assert_error(response, 400, "category")
    _assert_matches_schema(response, PRODUCTS)


def test_price_range_is_inclusive_and_a_reversed_range_is_swapped(client):
    for title, price in [("Cheap", "5.00"), ("Low", "10.00"), ("High", "20.00"), ("Dear", "50")]:
        _product(title, price)
    in_range = {"min_price": "10", "max_price": "20.00", "ordering": "price"}
    assert _titles(client.get(PRODUCTS, in_range)) == ["Low", "High"]
    reversed_range = {"min_price": "20", "max_price": "10", "ordering": "price"}
    assert _titles(client.get(PRODUCTS, reversed_range)) == ["Low", "High"]
    assert _titles(client.get(PRODUCTS, {"min_price": "20.01"})) == ["Dear"]


@pytest.mark.parametrize(("value", "expected"), [("true", ["Ready"]), ("1", ["Ready"])])
def test_in_stock_filter_keeps_products_with_a_buyable_variant(client, value, expected):
    _product("Ready", stock=3)
    _product("Sold out", stock=0)
    dormant = _product("Only an inactive variant has stock", stock=0)
    VariantFactory(product=dormant, stock=50, is_active=False)
    assert _titles(client.get(PRODUCTS, {"in_stock": value})) == expected
    assert len(_titles(client.get(PRODUCTS, {"in_stock": "false"}))) == 3


def test_option_filter_ors_values_of_one_name_and_ands_different_names(client):
    _product("Red small", options={"Colour": "Red", "Size": "S"})
    _product("Blue small", options={"Colour": "Blue", "Size": "S"})
    _product("Green large", options={"Colour": "Green", "Size": "L"})
    both_colours = client.get(PRODUCTS + "?option=Colour:Red&option=Colour:Green&ordering=name")
    assert _titles(both_colours) == ["Green large", "Red small"]
    colour_and_size = client.get(PRODUCTS + "?option=Colour:Green&option=Size:S")
    assert _titles(colour_and_size) == []
    assert _titles(client.get(PRODUCTS, {"option": "Size:S", "ordering": "name"})) == [
        "Blue small",
        "Red small",
    ]


def test_search_finds_products_by_title_brand_and_description(client):
    _product("Falcon kettle")
    _product("Plain mug", brand="Falcon")
    _product("Teapot", description="Pairs well with a falcon kettle.")
    _product("Toaster", brand="Acme", description="Browns bread.")
    found = _titles(client.get(PRODUCTS, {"q": "falcon", "ordering": "name"}))
    assert found == ["Falcon kettle", "Plain mug", "Teapot"]


@pytest.mark.postgres
def test_search_on_postgres_ranks_title_matches_first_and_survives_a_typo(client):
    _product("Teapot", description="Goes with any kettle.")
    _product("Steel kettle")
    _product("Toaster")
    assert _titles(client.get(PRODUCTS, {"q": "kettle"})) == ["Steel kettle", "Teapot"]
    assert _titles(client.get(PRODUCTS, {"q": "ketle"})) == ["Steel kettle"]


# --- ordering and cursors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("price", ["Cheap", "Middle", "Dear"]),
        ("-price", ["Dear", "Middle", "Cheap"]),
        ("name", ["Cheap", "Dear", "Middle"]),
        ("newest", ["Middle", "Dear", "Cheap"]),
        # Without a search, relevance means newest.
        ("relevance", ["Middle", "Dear", "Cheap"]),
    ],
)
def test_orderings_sort_the_listing(client, ordering, expected):
    now = timezone.now()
    for age, (title, price) in enumerate([("Middle", "20"), ("Dear", "30"), ("Cheap", "10")]):
        product = _product(title, price)
        Product.objects.filter(pk=product.pk).update(created_at=now - timedelta(days=age))
    response = client.get(PRODUCTS, {"ordering": ordering})
    assert _titles(response) == expected


def test_first_page_holds_24_products_and_links_to_the_next(client):
    for index in range(25):
        _product(f"Product {index:02d}")
    response = client.get(PRODUCTS)
    body = response.json()
    assert len(body["results"]) == 24
    assert body["previous"] is None
    assert body["next"].startswith("http://testserver/api/v1/products/?cursor=")
    assert len(client.get(body["next"]).json()["results"]) == 1


@pytest.mark.parametrize("ordering", ["price", "-price", "name", "newest"])
def test_paging_through_many_equal_values_sees_every_product_exactly_once(
    client, monkeypatch, ordering
):
    monkeypatch.setattr(KeysetCursorPagination, "page_size", 4)
    now = timezone.now()
    for index in range(23):
        # Three prices, two titles and two timestamps for 23 products: ties everywhere.
        product = _product(f"Same {index % 2}", ("5.00", "7.50", "9.99")[index % 3])
        created = now - timedelta(days=index % 2)
        Product.objects.filter(pk=product.pk).update(created_at=created)

    pages = _walk(client, f"{PRODUCTS}?ordering={ordering}")

    seen = [slug for page in pages for slug in page]
    assert len(pages) == 6
    assert sorted(seen) == sorted(Product.objects.values_list("slug", flat=True))
    assert len(set(seen)) == 23
    values = [
        Product.objects.values_list("price", "title", "created_at").get(slug=slug) for slug in seen
    ]
    key = {"price": 0, "-price": 0, "name": 1, "newest": 2}[ordering]
    descending = ordering in ("-price", "newest")
    assert [v[key] for v in values] == sorted((v[key] for v in values), reverse=descending)


def test_previous_links_walk_back_through_the_same_pages(client, monkeypatch):
    monkeypatch.setattr(KeysetCursorPagination, "page_size", 3)
    for index in range(10):
        _product(f"Item {index}", ("4.00", "8.00")[index % 2])
    forward = _walk(client, f"{PRODUCTS}?ordering=price")
    last = client.get(PRODUCTS, {"ordering": "price"})
    while last.json()["next"]:
        last = client.get(last.json()["next"])
    backward = _walk(client, last.json()["previous"], direction="previous")
    assert list(reversed(backward)) == forward[:-1]


def test_next_link_keeps_the_filters(client, monkeypatch):
    monkeypatch.setattr(KeysetCursorPagination, "page_size", 2)
    for index in range(5):
        _product(f"Red {index}", options={"Colour": "Red"})
    _product("Blue", options={"Colour": "Blue"})
    pages = _walk(client, f"{PRODUCTS}?option=Colour:Red&ordering=-price")
    assert sum(len(page) for page in pages) == 5


@pytest.mark.postgres
def test_relevance_cursor_pages_through_equal_ranks_exactly_once_on_postgres(client, monkeypatch):
    monkeypatch.setattr(KeysetCursorPagination, "page_size", 3)
    for index in range(8):
        _product("Trail running shoe", slug=f"trail-{index}")
        _product("Running sock", slug=f"sock-{index}", description="For trail running.")
    _product("Umbrella")

    pages = _walk(client, f"{PRODUCTS}?q=trail+running")

    seen = [slug for page in pages for slug in page]
    assert len(seen) == len(set(seen)) == 16
    assert all(slug.startswith("trail-") for slug in seen[:8])
    assert len(pages) == 6


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_price": "abc"}, "min_price"),
        ({"min_price": "-1"}, "min_price"),
        ({"max_price": "1.234"}, "max_price"),
        ({"max_price": "NaN"}, "max_price"),
        ({"ordering": "bogus"}, "ordering"),
        ({"in_stock": "maybe"}, "in_stock"),
        ({"option": "Colour"}, "option"),
        ({"option": "Colour__contains:Red"}, "option"),
        ({"q": "x" * 201}, "q"),
        ({"category": "not a slug!"}, "category"),
        ({"cursor": "garbage"}, "cursor"),
    ],
)
def test_invalid_parameters_answer_400_with_the_error_shape_naming_the_field(client, params, field):
    _product("Anything")
    response = client.get(PRODUCTS, params)
    _assert_error(response, 400, field)
    _assert_matches_schema(response, PRODUCTS)


def test_a_cursor_made_for_another_ordering_answers_400(client, monkeypatch):
    monkeypatch.setattr(KeysetCursorPagination, "page_size", 1)
    _product("One", "1.00")
    _product("Two", "2.00")
    next_by_price = client.get(PRODUCTS, {"ordering": "price"}).json()["next"]
    cursor = re.search(r"cursor=([^&]+)", next_by_price).group(1)
    response = client.get(PRODUCTS, {"ordering": "name", "cursor": cursor})
    _assert_error(response, 400, "cursor")


def test_the_api_is_read_only(client):
    product = _product("Fixed")
    for url in (PRODUCTS, f"{PRODUCTS}{product.slug}/", CATEGORIES):
        response = client.post(url, {"title": "Changed"}, content_type="application/json")
        _assert_error(response, 405)
        assert client.delete(url).status_code == 405
    assert Product.objects.get(pk=product.pk).title == "Fixed"


# --- product detail ------------------------------------------------------------------------


def test_product_detail_describes_variants_stock_images_and_seo(client):
    category = CategoryFactory(name="Kettles", slug="kettles")
    product = ProductFactory(
        title="Falcon kettle",
        slug="falcon-kettle",
        brand="Falcon",
        category=category,
        price=Decimal("19.50"),
        option_names=["Colour"],
        seo_title="Falcon enamel kettle, 1.5 l",
        description="An enamel kettle. " * 20,
    )
    VariantFactory(
        product=product,
        sku="FK-RED",
        options={"Colour": "Red"},
        price=Decimal("19.50"),
        compare_at_price=Decimal("25.00"),
        stock=500,
    )
    VariantFactory(product=product, sku="FK-BLUE", options={"Colour": "Blue"}, stock=3)
    VariantFactory(product=product, sku="FK-GREEN", options={"Colour": "Green"}, stock=0)
    VariantFactory(product=product, sku="FK-OLD", options={"Colour": "Grey"}, is_active=False)
    cover = ProductImageFactory(product=product, position=0, alt_text="Red kettle")
    cover.renditions = {
        "listing": [
            {"width": 300, "height": 300, "webp": "r/k-300.webp", "jpeg": "r/k-300.jpg"},
            {"width": 600, "height": 600, "webp": "r/k-600.webp", "jpeg": "r/k-600.jpg"},
        ],
        "detail": [
            {"width": 600, "height": 600, "webp": "r/k-d600.webp", "jpeg": "r/k-d600.jpg"},
            {"width": 1200, "height": 1200, "webp": "r/k-1200.webp", "jpeg": "r/k-1200.jpg"},
        ],
    }
    cover.save()
    pending = ProductImageFactory(product=product, position=1)

    response = client.get(f"{PRODUCTS}falcon-kettle/")

    assert response.status_code == 200
    _assert_matches_schema(response, "/api/v1/products/{slug}/")
    body = response.json()
    assert body["title"] == "Falcon kettle"
    assert body["url"] == "http://testserver/api/v1/products/falcon-kettle/"
    assert body["web_url"] == "http://testserver/products/falcon-kettle/"
    assert body["category"] == {"id": category.pk, "slug": "kettles", "name": "Kettles"}
    assert body["price"] == "19.50"
    assert body["currency"] == "EUR"
    assert body["in_stock"] is True
    assert body["option_names"] == ["Colour"]
    assert body["seo_title"] == "Falcon enamel kettle, 1.5 l"
    assert body["seo_description"].startswith("An enamel kettle.")
    assert len(body["seo_description"]) == 155

    variants = {variant["sku"]: variant for variant in body["variants"]}
    assert set(variants) == {"FK-RED", "FK-BLUE", "FK-GREEN"}
    assert variants["FK-RED"]["price"] == "19.50"
    assert variants["FK-RED"]["compare_at_price"] == "25.00"
    assert variants["FK-RED"]["on_sale"] is True
    assert variants["FK-RED"]["options"] == {"Colour": "Red"}
    assert (variants["FK-RED"]["stock_state"], variants["FK-RED"]["stock_quantity"]) == (
        "in_stock",
        10,
    )
    assert (variants["FK-BLUE"]["stock_state"], variants["FK-BLUE"]["stock_quantity"]) == (
        "low",
        3,
    )
    assert variants["FK-BLUE"]["compare_at_price"] is None
    assert (variants["FK-GREEN"]["stock_state"], variants["FK-GREEN"]["stock_quantity"]) == (
        "sold_out",
        0,
    )

    first, second = body["images"]
    assert first["alt_text"] == "Red kettle"
    assert first["url"] == f"http://testserver/media/{cover.image.name}"
    assert [r["width"] for r in first["detail"]] == [600, 1200]
    assert first["detail"][1]["webp"] == "http://testserver/media/r/k-1200.webp"
    assert first["listing"][0]["jpeg"] == "http://testserver/media/r/k-300.jpg"
    assert second["url"] == f"http://testserver/media/{pending.image.name}"
    assert second["listing"] == second["detail"] == []


def test_seo_fields_fall_back_to_title_and_description(client):
    ProductFactory(slug="plain", title="Plain mug", description="A mug.", seo_title="")
    body = client.get(f"{PRODUCTS}plain/").json()
    assert (body["seo_title"], body["seo_description"]) == ("Plain mug", "A mug.")
    assert body["in_stock"] is False
    assert body["variants"] == body["images"] == []


def test_listing_items_carry_the_cover_photo_with_absolute_listing_renditions(client):
    product = _product("Photographed")
    cover = ProductImageFactory(product=product, position=0)
    cover.renditions = {
        "listing": [{"width": 300, "height": 300, "webp": "r/a.webp", "jpeg": "r/a.jpg"}]
    }
    cover.save()
    ProductImageFactory(product=product, position=1)
    _product("Unphotographed")

    response = client.get(PRODUCTS, {"ordering": "name"})

    _assert_matches_schema(response, PRODUCTS)
    photographed, unphotographed = response.json()["results"]
    assert photographed["image"]["url"] == f"http://testserver/media/{cover.image.name}"
    assert photographed["image"]["listing"] == [
        {
            "width": 300,
            "height": 300,
            "webp": "http://testserver/media/r/a.webp",
            "jpeg": "http://testserver/media/r/a.jpg",
        }
    ]
    assert unphotographed["image"] is None
    assert photographed["price"] == "10.00"
    assert photographed["in_stock"] is True


@pytest.mark.parametrize("case", ["inactive product", "inactive category", "unknown slug"])
def test_hidden_or_unknown_products_are_404_with_the_error_shape(client, case):
    if case == "inactive product":
        _product("Retired", slug="wanted", is_active=False)
    elif case == "inactive category":
        _product("Hidden", slug="wanted", category=CategoryFactory(is_active=False))
    response = client.get(f"{PRODUCTS}wanted/")
    _assert_error(response, 404)
    assert response.json()["error"]["code"] == "not_found"
    _assert_matches_schema(response, "/api/v1/products/{slug}/")


# --- query budgets -------------------------------------------------------------------------


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


# The visible category tree, the products page and its cover images; a `category` is
# found in the tree, so it costs nothing more.
LIST_QUERIES = 3
LIST_QUERIES_IN_CATEGORY = 3
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


# --- schema and docs -----------------------------------------------------------------------


def test_schema_endpoint_serves_openapi_3_listing_every_endpoint(client):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) >= {CATEGORIES, PRODUCTS, "/api/v1/products/{slug}/"}
    listing = schema["paths"][PRODUCTS]["get"]
    documented = {parameter["name"] for parameter in listing["parameters"]}
    assert documented == {
        "category",
        "min_price",
        "max_price",
        "in_stock",
        "q",
        "ordering",
        "option",
        "cursor",
    }
    assert all(parameter.get("description") for parameter in listing["parameters"])
    assert set(listing["responses"]) == {"200", "400"}


def test_schema_passes_drf_spectacular_validation_without_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "openapi: 3." in result.stdout


def test_docs_page_loads_swagger_ui_from_local_files_without_inline_script(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert not re.search(r"(https?:)?//[^\"'\s]*(cdn|unpkg|jsdelivr|cloudflare)", html, re.I)
    assert "://" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts
    assert all('src="' in attributes and not body.strip() for attributes, body in scripts)
    assert "<style" not in html  # the CSP allows no inline style either
    assert "/static/css/api-docs.css" in html
    sources = [re.search(r'src="([^"]+)"', attributes).group(1) for attributes, _ in scripts]
    bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert bundle in sources
    assert finders.find(bundle.removeprefix("/static/"))

    init = client.get(sources[-1].replace("&amp;", "&"))
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert '"/api/v1/schema/"' in init.content.decode()
