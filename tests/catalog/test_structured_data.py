"""The product page's schema.org JSON-LD: Product, Offers and breadcrumbs that match the
page, escaped against script injection, allowed by the CSP through its nonce, no query."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog import views
from tests.factories import CategoryFactory, ProductFactory, ProductImageFactory, VariantFactory
from tests.sales.support import START, add_item, clock, make_sale

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"
SCHEMA = "https://schema.org"
AVAILABILITIES = {f"{SCHEMA}/{name}" for name in ("InStock", "LimitedAvailability", "OutOfStock")}


class _Scripts(HTMLParser):
    """Every <script> element of a page: its attributes and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open, self._text = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open is not None:
            self.found.append((self._open, "".join(self._text)))
            self._open = None


def _scripts(body: str) -> list[tuple[dict[str, str | None], str]]:
    parser = _Scripts()
    parser.feed(body)
    return parser.found


def _graph(body: str) -> list[dict[str, Any]]:
    """The nodes of the page's JSON-LD blocks (each block one @graph under schema.org)."""
    blocks = [text for attrs, text in _scripts(body) if attrs.get("type") == "application/ld+json"]
    assert blocks, body
    nodes = []
    for text in blocks:
        data = json.loads(text)
        assert data["@context"] == SCHEMA
        nodes += data["@graph"]
    return nodes


def _node(body: str, kind: str) -> dict[str, Any]:
    (node,) = [node for node in _graph(body) if node["@type"] == kind]
    return node


def _assert_valid_product(product: dict[str, Any]) -> None:
    """What schema.org's Product and Offer need to mean anything to a search engine."""
    assert isinstance(product["name"], str)
    assert product["name"]
    assert product["url"].startswith(f"{SITE}/")
    if "brand" in product:
        assert product["brand"]["@type"] == "Brand"
        assert product["brand"]["name"]
    assert all(url.startswith(("http://", "https://")) for url in product.get("image", []))
    offers = product["offers"]
    assert isinstance(offers, list)
    assert offers
    for offer in offers:
        assert offer["@type"] == "Offer"
        assert re.fullmatch(r"\d+\.\d\d", offer["price"]), offer  # a Text, 2 decimals
        assert re.fullmatch(r"[A-Z]{3}", offer["priceCurrency"]), offer  # ISO 4217
        assert offer["availability"] in AVAILABILITIES
        assert offer["url"].startswith(product["url"])
        if "priceValidUntil" in offer:
            assert re.fullmatch(r"\d{4}-\d\d-\d\d", offer["priceValidUntil"])  # a Date


def _assert_valid_breadcrumbs(breadcrumbs: dict[str, Any]) -> None:
    items = breadcrumbs["itemListElement"]
    assert [item["position"] for item in items] == list(range(1, len(items) + 1))
    for item in items:
        assert item["@type"] == "ListItem"
        assert isinstance(item["name"], str)
        assert item["name"]
        assert item["item"].startswith(f"{SITE}/")


def _get(client, url: str, **params: str) -> tuple[Any, str]:
    response = client.get(url, params)
    assert response.status_code == 200
    return response, response.content.decode()


@pytest.fixture
def kettle():
    home = CategoryFactory(name="Home & Garden", slug="home-garden")
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen", parent=home)
    product = ProductFactory(
        title="Copper Kettle",
        slug="copper-kettle",
        brand="Hearth",
        description="Boils fast.",
        category=kitchen,
        option_names=["Colour"],
    )
    VariantFactory(
        product=product, sku="KET-RED", options={"Colour": "Red"}, price=Decimal("30"), stock=3
    )
    VariantFactory(
        product=product, sku="KET-BLUE", options={"Colour": "Blue"}, price=Decimal("32.5"), stock=9
    )
    VariantFactory(
        product=product, sku="KET-GREY", options={"Colour": "Grey"}, price=Decimal("29"), stock=0
    )
    VariantFactory(product=product, sku="KET-OFF", options={"Colour": "Black"}, is_active=False)
    ProductImageFactory(product=product)
    return product


def test_the_product_carries_name_sku_brand_images_and_an_offer_per_active_variant(client, kettle):
    _response, body = _get(client, kettle.get_absolute_url())
    product = _node(body, "Product")
    _assert_valid_product(product)
    assert product["name"] == "Copper Kettle"
    assert product["description"] == "Boils fast."
    assert product["sku"] == "KET-RED"  # the selected variant, as the page's "SKU:"
    assert f"SKU: {product['sku']}" in body
    assert product["brand"] == {"@type": "Brand", "name": "Hearth"}
    assert product["url"] == f"{SITE}/products/copper-kettle/"
    (image,) = product["image"]
    assert image.startswith(f"{SITE}/media/products/{kettle.pk}/")
    offers = {offer["sku"]: offer for offer in product["offers"]}
    assert set(offers) == {"KET-RED", "KET-BLUE", "KET-GREY"}  # not the inactive one
    assert offers["KET-RED"] == {
        "@type": "Offer",
        "sku": "KET-RED",
        "price": "30.00",
        "priceCurrency": "EUR",
        "availability": f"{SCHEMA}/LimitedAvailability",  # "Only 3 left"
        "url": f"{SITE}/products/copper-kettle/?variant=KET-RED",
    }
    assert offers["KET-BLUE"]["price"] == "32.50"
    assert offers["KET-BLUE"]["availability"] == f"{SCHEMA}/InStock"
    # What the page shows for the selected variant, in the page's own words.
    assert '<span class="price__now">€30.00</span>' in body
    assert "Only 3 left" in body


def test_a_sold_out_variant_is_out_of_stock(client, kettle):
    _response, body = _get(client, kettle.get_absolute_url(), variant="KET-GREY")
    product = _node(body, "Product")
    assert product["sku"] == "KET-GREY"
    (grey,) = [offer for offer in product["offers"] if offer["sku"] == "KET-GREY"]
    assert grey["availability"] == f"{SCHEMA}/OutOfStock"
    assert 'class="stock stock--sold_out">' in body


def test_images_are_the_largest_detail_renditions_on_the_storage_url(client, kettle):
    photo = kettle.images.get()
    photo.renditions = {
        "detail": [
            {"width": 600, "height": 600, "jpeg": "renditions/k-600.jpg", "webp": "k-600.webp"},
            {"width": 1200, "height": 1200, "jpeg": "renditions/k-1200.jpg", "webp": "k.webp"},
        ]
    }
    photo.save()
    _response, body = _get(client, kettle.get_absolute_url())
    assert _node(body, "Product")["image"] == [f"{SITE}/media/renditions/k-1200.jpg"]


def test_the_breadcrumbs_follow_the_category_path(client, kettle):
    _response, body = _get(client, kettle.get_absolute_url())
    breadcrumbs = _node(body, "BreadcrumbList")
    _assert_valid_breadcrumbs(breadcrumbs)
    assert [(item["name"], item["item"]) for item in breadcrumbs["itemListElement"]] == [
        ("Home", f"{SITE}/"),
        ("All products", f"{SITE}/catalog/"),
        ("Home & Garden", f"{SITE}/catalog/home-garden/"),
        ("Kitchen", f"{SITE}/catalog/kitchen/"),
        ("Copper Kettle", f"{SITE}/products/copper-kettle/"),
    ]
    # The same trail as the visible one.
    nav = re.search(r'<nav class="breadcrumbs".*?</nav>', body, re.S)
    assert nav is not None
    shown = re.findall(r"<li[^>]*>(?:<a [^>]*>)?([^<]+)", nav.group(0))
    assert [item["name"] for item in breadcrumbs["itemListElement"]] == [
        name.replace("&amp;", "&") for name in shown
    ]


def test_a_title_that_closes_the_script_element_stays_data(client):
    attack = "</script><script>alert(1)</script> & more"
    product = ProductFactory(title=attack, slug="attack")
    VariantFactory(product=product)
    _response, body = _get(client, product.get_absolute_url())
    assert "<script>alert(1)" not in body
    (block,) = [
        text for attrs, text in _scripts(body) if attrs.get("type") == "application/ld+json"
    ]
    assert "\\u003C/script\\u003E" in block
    assert _node(body, "Product")["name"] == attack
    assert _node(body, "BreadcrumbList")["itemListElement"][-1]["name"] == attack


def test_the_csp_allows_the_block_by_its_nonce_and_the_page_has_no_other_inline_script(
    client, kettle
):
    response, body = _get(client, kettle.get_absolute_url())
    policy = response["Content-Security-Policy"]
    (script_src,) = [part.split() for part in policy.split(";") if "script-src" in part.split()]
    sources = script_src[1:]
    scripts = _scripts(body)
    inline = [attrs for attrs, _text in scripts if not attrs.get("src")]
    assert [attrs["type"] for attrs in inline] == ["application/ld+json"]
    nonce = inline[0]["nonce"]
    assert nonce
    assert sources == ["'self'", f"'nonce-{nonce}'"]
    assert "'unsafe-inline'" not in policy
    # Each response its own nonce.
    again, _body = _get(client, kettle.get_absolute_url())
    assert f"'nonce-{nonce}'" not in again["Content-Security-Policy"]


def test_pages_without_the_block_keep_a_policy_without_a_nonce(client, kettle):
    response, body = _get(client, "/catalog/")
    assert "nonce-" not in response["Content-Security-Policy"]
    assert all(attrs.get("src") for attrs, _text in _scripts(body))


def test_offers_carry_the_live_sale_price_until_the_sale_ends(client, kettle):
    red = kettle.variants.get(sku="KET-RED")
    blue = kettle.variants.get(sku="KET-BLUE")
    with clock(START):
        sale = make_sale()
        add_item(sale, red, "24.00")
        add_item(sale, blue, "25.00", units=2, sold=2)  # sold out in the sale
        _response, body = _get(client, kettle.get_absolute_url())
    offers = {offer["sku"]: offer for offer in _node(body, "Product")["offers"]}
    assert offers["KET-RED"]["price"] == "24.00"
    assert offers["KET-RED"]["priceValidUntil"] == sale.ends_at.date().isoformat()
    assert '<span class="price__now">€24.00</span>' in body
    # Sold out in the sale: the regular price, as the page and the cart charge.
    assert offers["KET-BLUE"]["price"] == "32.50"
    assert "priceValidUntil" not in offers["KET-BLUE"]


def test_the_structured_data_costs_no_query(client, kettle, django_assert_num_queries, monkeypatch):
    ProductFactory(category=kettle.category)  # a related product, so its covers are read
    # The page's budget (tests/catalog/test_views.py): categories, the product with its
    # category, variants, images, related products, their covers.
    with django_assert_num_queries(6):
        _response, body = _get(client, kettle.get_absolute_url())
    assert _node(body, "Product")["offers"]
    # And exactly what the page costs with no structured data built at all.
    monkeypatch.setattr(views, "product_structured_data", lambda **_parts: {})
    with django_assert_num_queries(6):
        _get(client, kettle.get_absolute_url())


def test_during_a_sale_the_structured_data_reads_no_more_than_the_page(
    client, kettle, django_assert_num_queries, monkeypatch
):
    with clock(START):
        add_item(make_sale(), kettle.variants.get(sku="KET-RED"), "24.00")
        _get(client, kettle.get_absolute_url())  # this process reads the new schedule
        with CaptureQueriesContext(connection) as with_data:
            _response, body = _get(client, kettle.get_absolute_url())
        monkeypatch.setattr(views, "product_structured_data", lambda **_parts: {})
        with CaptureQueriesContext(connection) as without:
            _get(client, kettle.get_absolute_url())
    assert _node(body, "Product")["offers"][0]["price"] == "24.00"
    # The sale prices are read once, by the page and the structured data together.
    assert len([q for q in with_data.captured_queries if "sales_saleitem" in q["sql"]]) == 1
    assert len(with_data) == len(without)


@pytest.mark.redis
def test_a_warm_page_serves_its_structured_data_from_the_cache(client, kettle, settings):
    settings.CATALOG_CACHE = True
    _response, cold = _get(client, kettle.get_absolute_url())
    with CaptureQueriesContext(connection) as captured:
        _response, warm = _get(client, kettle.get_absolute_url())
    assert [q["sql"] for q in captured.captured_queries if "catalog_" in q["sql"]] == []
    assert _graph(warm) == _graph(cold)
    # The block is outside the cached fragment: each response carries its own nonce.
    assert _ld_nonce(warm) != _ld_nonce(cold)


def _ld_nonce(body: str) -> str | None:
    (attrs,) = [a for a, _text in _scripts(body) if a.get("type") == "application/ld+json"]
    return attrs["nonce"]
