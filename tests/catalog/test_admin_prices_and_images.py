"""Prices and photos in the catalog admin: the listing price follows, new images get renditions."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.catalog import services
from apps.catalog.models import ProductImage
from tests.catalog.support import _add_inline_form, _form_data, _url
from tests.factories import VariantFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_media_in_tmp")]


def _png(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "orange").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- Prices ---------------------------------------------------------------------------


def test_list_editable_price_updates_the_product_listing_price(staff_client):
    cheap = VariantFactory(price=Decimal("10.00"), sku="A-1")
    VariantFactory(product=cheap.product, price=Decimal("12.00"), sku="A-2")
    services.product_price_refresh(product_ids=[cheap.product_id])
    data = _form_data(staff_client.get(_url("variant_changelist")))
    index = next(i for i in range(2) if str(data[f"form-{i}-id"]) == str(cheap.pk))
    data[f"form-{index}-price"] = "15.00"
    data[f"form-{index}-compare_at_price"] = "20.00"
    response = staff_client.post(_url("variant_changelist"), {**data, "_save": "Save"})
    assert response.status_code == 302
    cheap.refresh_from_db()
    cheap.product.refresh_from_db()
    assert (cheap.price, cheap.compare_at_price) == (Decimal("15.00"), Decimal("20.00"))
    assert cheap.product.price == Decimal("12.00")


def test_product_save_refreshes_the_listing_price_from_its_variants(staff_client):
    variant = VariantFactory(price=Decimal("10.00"))
    VariantFactory(product=variant.product, price=Decimal("30.00"))
    url = _url("product_change", variant.product.pk)
    data = _form_data(staff_client.get(url))
    index = next(i for i in range(2) if str(data[f"variants-{i}-id"]) == str(variant.pk))
    data.pop(f"variants-{index}-is_active")
    response = staff_client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 302
    variant.product.refresh_from_db()
    assert variant.product.price == Decimal("30.00")


# --- Images ---------------------------------------------------------------------------


def test_a_new_or_replaced_image_asks_for_renditions_but_alt_text_does_not(
    staff_client, monkeypatch
):
    # The Celery task belongs to another module; here we only check the admin asks for it.
    requested: list[int] = []
    monkeypatch.setattr(
        services, "product_image_renditions_request", lambda *, image: requested.append(image.pk)
    )
    product = VariantFactory().product
    url = _url("product_change", product.pk)
    data = _form_data(staff_client.get(url))
    _add_inline_form(
        data, "images", {"product": product.pk, "image": _png(), "alt_text": "Front", "position": 0}
    )
    assert staff_client.post(url, {**data, "_save": "Save"}).status_code == 302
    image = ProductImage.objects.get(product=product)
    assert requested == [image.pk]

    data = {**_form_data(staff_client.get(url)), "images-0-alt_text": "Front view"}
    assert staff_client.post(url, {**data, "_save": "Save"}).status_code == 302
    assert requested == [image.pk]

    data = {**_form_data(staff_client.get(url)), "images-0-image": _png("back.png")}
    assert staff_client.post(url, {**data, "_save": "Save"}).status_code == 302
    assert requested == [image.pk, image.pk]
