"""Shoppers see the sale: countdown, sale prices and badges that switch on the second,
cached pages included; the sale pages; drafts nowhere."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CategoryFactory, ProductFactory, VariantFactory
from tests.sales.support import END, START, T0, add_item, clock, make_sale, move

pytestmark = pytest.mark.django_db

PRODUCT = "/products/copper-kettle/"
SECOND = timedelta(seconds=1)


@pytest.fixture
def kettle():
    category = CategoryFactory(slug="kitchen", name="Kitchen")
    product = ProductFactory(
        title="Copper Kettle", slug="copper-kettle", category=category, price=Decimal("30.00")
    )
    return VariantFactory(product=product, price=Decimal("30.00"), stock=20, sku="KET-1")


@pytest.fixture
def cache_on(settings):
    settings.CATALOG_CACHE = True


def _price(body: str) -> str:
    """The product page's price paragraph, whitespace squeezed."""
    found = re.search(r'<p class="price">(.*?)</p>', body, re.S)
    assert found, body
    return " ".join(found.group(1).split())


def _get(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    return response, response.content.decode()


def _warm_catalog_queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return [q["sql"] for q in captured.captured_queries if "catalog_" in q["sql"]]


@pytest.mark.redis
def test_the_cached_product_page_counts_down_then_switches_at_the_first_and_last_second(
    client, kettle, cache_on
):
    with clock(T0) as traveller:
        sale = make_sale()
        add_item(sale, kettle, "24.00")

        response, body = _get(client, PRODUCT)
        assert 'data-seconds="3600"' in body
        assert "1 June 2026, 10:00" in body  # the start, for a page without script
        assert 'src="/static/js/countdown.js"' in body
        assert "sale-badge" not in body
        assert _price(body) == '<span class="price__now">€30.00</span>'
        # Revalidated later, a copy would count down from the seconds left back then.
        assert "no-store" in response["Cache-Control"]
        assert not response.has_header("ETag")

        # The fragment is cached; the countdown is not: it follows the server's clock.
        move(traveller, START - 30 * 60 * SECOND, forget=False)
        assert _warm_catalog_queries(client, PRODUCT) == []
        _response, body = _get(client, PRODUCT)
        assert 'data-seconds="1800"' in body
        move(traveller, START - SECOND, forget=False)
        _response, body = _get(client, PRODUCT)
        assert 'data-seconds="1"' in body
        assert "sale-badge" not in body

        # The first second: no write happened, the clock alone switches the page.
        move(traveller, START, forget=False)
        response, body = _get(client, PRODUCT)
        assert "data-countdown" not in body
        assert _price(body) == (
            '<span class="sale-badge">Sale</span> <span class="price__now">€24.00</span> '
            '<s class="price__was"><span class="visually-hidden">was </span>€30.00</s>'
        )
        assert "Sale price until" in body
        during = response["ETag"]
        assert _warm_catalog_queries(client, PRODUCT) == []

        move(traveller, END - SECOND, forget=False)
        assert client.get(PRODUCT, HTTP_IF_NONE_MATCH=during).status_code == 304

        # The last second is over: the regular price again, and the sale's ETag is stale.
        move(traveller, END, forget=False)
        response = client.get(PRODUCT, HTTP_IF_NONE_MATCH=during)
        assert response.status_code == 200
        body = response.content.decode()
        assert _price(body) == '<span class="price__now">€30.00</span>'
        assert "sale-badge" not in body
        assert "data-countdown" not in body  # nor the countdown cached before the start
        assert response["ETag"] != during


@pytest.mark.redis
@pytest.mark.parametrize("url", ["/catalog/", "/catalog/kitchen/", "/"])
def test_cached_product_cards_show_the_sale_only_while_it_is_live(client, kettle, cache_on, url):
    kettle.product.is_featured = True
    kettle.product.save()
    with clock(T0) as traveller:
        add_item(make_sale(), kettle, "24.00")
        _response, body = _get(client, url)
        assert "€30.00" in body
        assert "sale-badge" not in body

        move(traveller, START, forget=False)
        _response, body = _get(client, url)
        assert '<span class="sale-badge">Sale</span> <span class="price__now">€24.00</span>' in body
        assert "€30.00</s>" in body
        assert _warm_catalog_queries(client, url) == []

        move(traveller, END, forget=False)
        _response, body = _get(client, url)
        assert "sale-badge" not in body
        assert "€24.00" not in body


def test_a_card_shows_the_lowest_price_among_the_variants_now(client, kettle):
    large = VariantFactory(product=kettle.product, price=Decimal("40.00"), sku="KET-2")
    with clock(START):
        add_item(make_sale(), large, "20.00")
        _response, body = _get(client, "/catalog/")
    assert '<span class="price__now">€20.00</span>' in body
    assert "€30.00</s>" in body


def test_sold_out_in_the_sale_shows_the_regular_price(client, kettle):
    with clock(START):
        add_item(make_sale(), kettle, "24.00", units=5, sold=5)
        _response, body = _get(client, PRODUCT)
        assert "Sold out in this sale" in body
        assert _price(body) == '<span class="price__now">€30.00</span>'
        _response, body = _get(client, "/catalog/")
        assert "Sold out in this sale" in body
        assert "€24.00" not in body


def test_a_draft_sale_changes_no_page(client, kettle):
    with clock(T0):
        add_item(make_sale(draft=True, starts_at=T0 - SECOND), kettle, "24.00")
        _response, body = _get(client, PRODUCT)
        assert "sale-badge" not in body
        assert "data-countdown" not in body
        assert client.get("/sales/summer/").status_code == 404
        assert "Summer Sale" not in client.get("/sales/").content.decode()


def _catalog(count: int) -> None:
    category = CategoryFactory(slug="budget")
    with clock(START):
        sale = make_sale(slug=f"budget-{count}")
        for index in range(count):
            product = ProductFactory(category=category, title=f"Budget {index}")
            for size in range(1 + index % 3):
                variant = VariantFactory(product=product, options={"Size": str(size)})
                add_item(sale, variant, "5.00")


@pytest.mark.parametrize("count", [2, 20])
def test_a_listing_during_a_sale_runs_a_constant_number_of_queries(client, count):
    _catalog(count)
    with clock(START), CaptureQueriesContext(connection) as captured:
        _response, body = _get(client, "/catalog/budget/")
    assert body.count('<span class="sale-badge">Sale</span>') == count
    # The usual five (tests/catalog/test_views.py), the schedule, the variants shown, and
    # their sale prices.
    assert len(captured.captured_queries) == 8


def test_the_sale_page_counts_down_then_lists_its_items_then_says_it_ended(client, kettle):
    with clock(T0) as traveller:
        sale = make_sale(description="Kettles, half the year's price.", per_customer_limit=2)
        add_item(sale, kettle, "24.00", units=10, sold=3)

        response, body = _get(client, "/sales/summer/")
        assert "Summer Sale" in body
        assert "Kettles, half the year" in body
        assert "Scheduled" in body
        assert 'data-seconds="3600"' in body
        assert "no-store" in response["Cache-Control"]
        assert "Copper Kettle" in body
        assert "€24.00" in body
        assert "€30.00" in body
        assert "7 left in this sale" in body
        assert "At most 2 units per customer" in body

        move(traveller, START)
        _response, body = _get(client, "/sales/summer/")
        assert "Live" in body
        assert "data-countdown" not in body
        assert '<span class="sale-badge">Sale</span>' in body

        move(traveller, END)
        _response, body = _get(client, "/sales/summer/")
        assert "This sale has ended" in body
        assert "sale-badge" not in body


def test_the_sale_page_says_when_a_sale_is_sold_out_or_empty(client, kettle):
    with clock(START):
        add_item(make_sale(), kettle, "24.00", units=4, sold=4)
        make_sale(slug="empty", name="Empty Sale")
        _response, body = _get(client, "/sales/summer/")
        assert "Sold out in this sale" in body
        _response, body = _get(client, "/sales/empty/")
        assert "Nothing is in this sale yet" in body


def test_the_sale_list_shows_live_then_coming_sales_only(client):
    with clock(START):
        make_sale(slug="live", name="Live Sale")
        make_sale(slug="soon", name="Soon Sale", starts_at=END, ends_at=END + 3600 * SECOND)
        make_sale(slug="draft", name="Draft Sale", draft=True)
        make_sale(slug="over", name="Over Sale", starts_at=T0 - 7200 * SECOND, ends_at=T0)
        _response, body = _get(client, "/sales/")
    assert body.index("Live Sale") < body.index("Soon Sale")
    assert 'data-seconds="7200"' in body
    assert "Draft Sale" not in body
    assert "Over Sale" not in body


def test_the_sale_list_has_an_empty_state(client):
    _response, body = _get(client, "/sales/")
    assert "No sale is on or coming up right now" in body
