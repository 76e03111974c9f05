"""The catalog API's product payloads: detail with variants, stock, images and SEO; covers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.catalog.support import PRODUCTS, _assert_error, _assert_matches_schema, _product
from tests.factories import CategoryFactory, ProductFactory, ProductImageFactory, VariantFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_media_in_tmp")]


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
