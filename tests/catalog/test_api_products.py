"""The catalog API's product listing: filters, search, ordering, cursors and bad parameters."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.catalog.api.pagination import KeysetCursorPagination
from apps.catalog.models import Product
from tests.catalog.support import (
    CATEGORIES,
    PRODUCTS,
    _assert_error,
    _assert_matches_schema,
    _product,
    _slugs,
    _titles,
)
from tests.factories import CategoryFactory, VariantFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_media_in_tmp")]


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
