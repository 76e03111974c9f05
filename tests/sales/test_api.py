"""The sales API and the catalog API's sale prices: documented shapes, drafts not found,
cached JSON that switches at a sale's first and last second."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.api.support import _openapi, assert_error, assert_matches_schema
from tests.factories import CategoryFactory, ProductFactory, VariantFactory
from tests.sales.support import END, START, T0, add_item, clock, make_sale, move

pytestmark = pytest.mark.django_db

SALES = "/api/v1/sales/"
PRODUCT = "/api/v1/products/copper-kettle/"


@pytest.fixture
def kettle():
    category = CategoryFactory(slug="kitchen", name="Kitchen")
    product = ProductFactory(
        title="Copper Kettle", slug="copper-kettle", category=category, price=Decimal("30.00")
    )
    return VariantFactory(product=product, price=Decimal("30.00"), stock=20, sku="KET-1")


def test_the_sale_list_and_a_sale_match_the_documented_schema(client, kettle):
    with clock(START):
        sale = make_sale(per_customer_limit=2)
        add_item(sale, kettle, "24.00", units=10, sold=3)
        listed = client.get(SALES)
        one = client.get(f"{SALES}summer/")
    assert listed.status_code == one.status_code == 200
    assert_matches_schema(listed, "/api/v1/sales/")
    assert_matches_schema(one, "/api/v1/sales/{slug}/")
    assert listed.json() == [one.json()]
    assert one.json() == {
        "id": sale.pk,
        "name": "Summer Sale",
        "slug": "summer",
        "status": "live",
        "starts_at": "2026-06-01T10:00:00Z",
        "ends_at": "2026-06-01T12:00:00Z",
        "per_customer_limit": 2,
        "items": [
            {
                "variant": kettle.pk,
                "sku": "KET-1",
                "sale_price": "24.00",
                "regular_price": "30.00",
                "units_left": 7,
                "sold_out": False,
            }
        ],
    }


def test_a_sale_reports_its_status_by_the_clock_and_sold_out_items(client, kettle):
    with clock(T0) as traveller:
        add_item(make_sale(), kettle, "24.00", units=2, sold=2)
        assert client.get(f"{SALES}summer/").json()["status"] == "scheduled"
        move(traveller, START)
        body = client.get(f"{SALES}summer/").json()
        assert body["status"] == "live"
        assert body["items"][0]["sold_out"] is True
        assert body["items"][0]["units_left"] == 0
        move(traveller, END)
        response = client.get(f"{SALES}summer/")
        assert response.json()["status"] == "ended"
        assert_matches_schema(response, "/api/v1/sales/{slug}/")
        assert client.get(SALES).json() == []


def test_a_draft_sale_is_not_found_and_not_listed(client, kettle):
    with clock(START):
        add_item(make_sale(draft=True), kettle, "24.00")
        response = client.get(f"{SALES}summer/")
        assert_error(response, 404)
        assert_matches_schema(response, "/api/v1/sales/{slug}/")
        assert client.get(SALES).json() == []
        assert client.get(PRODUCT).json()["variants"][0]["sale_price"] is None


@pytest.mark.parametrize("count", [2, 20])
def test_the_sale_list_runs_a_constant_number_of_queries(
    client, no_cache, django_assert_num_queries, count
):
    with clock(START):
        for index in range(count):
            sale = make_sale(slug=f"sale-{index}", name=f"Sale {index}")
            add_item(sale, VariantFactory(), "1.00")
        # The schedule is not read: the sales, then all their items.
        with django_assert_num_queries(2):
            response = client.get(SALES)
    assert len(response.json()) == count


def _variant(client, **headers):
    response = client.get(PRODUCT, **headers)
    return response, (response.json()["variants"][0] if response.status_code == 200 else None)


@pytest.mark.redis
def test_the_cached_product_json_has_the_sale_price_only_while_the_sale_is_live(
    client, kettle, settings
):
    settings.CATALOG_CACHE = True
    with clock(T0) as traveller:
        add_item(make_sale(), kettle, "24.00")
        response, variant = _variant(client)
        assert variant["price"] == "30.00"
        assert variant["sale_price"] is None
        assert variant["sale_ends_at"] is None
        assert_matches_schema(response, "/api/v1/products/{slug}/")
        before = response["ETag"]

        # The clock alone moves the sale; the cached JSON and the ETag follow it.
        move(traveller, START - timedelta(seconds=1), forget=False)
        assert client.get(PRODUCT, HTTP_IF_NONE_MATCH=before).status_code == 304
        move(traveller, START, forget=False)
        response, variant = _variant(client, HTTP_IF_NONE_MATCH=before)
        assert response.status_code == 200
        assert variant["sale_price"] == "24.00"
        assert variant["sale_ends_at"] == "2026-06-01T12:00:00Z"
        assert_matches_schema(response, "/api/v1/products/{slug}/")
        during = response["ETag"]
        assert during != before

        move(traveller, END, forget=False)
        response, variant = _variant(client, HTTP_IF_NONE_MATCH=during)
        assert response.status_code == 200
        assert variant["sale_price"] is None
        assert response["ETag"] != during


def test_a_variant_sold_out_in_the_sale_has_no_sale_price(client, kettle):
    with clock(START):
        add_item(make_sale(), kettle, "24.00", units=1, sold=1)
        _response, variant = _variant(client)
    assert variant["sale_price"] is None
    assert variant["price"] == "30.00"


def test_the_schema_documents_the_sale_fields():
    components = _openapi()["components"]["schemas"]
    variant = components["Variant"]["properties"]
    assert variant["sale_price"]["nullable"] is True
    assert "live sale" in variant["sale_price"]["description"]
    assert variant["sale_ends_at"]["format"] == "date-time"
    assert set(components["Sale"]["properties"]) == {
        "id",
        "name",
        "slug",
        "status",
        "starts_at",
        "ends_at",
        "per_customer_limit",
        "items",
    }
    assert set(components["SaleItem"]["properties"]) == {
        "variant",
        "sku",
        "sale_price",
        "regular_price",
        "units_left",
        "sold_out",
    }
