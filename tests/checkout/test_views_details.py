"""Checkout details and review: the address form, the shipping choices, the totals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.catalog.models import Variant
from apps.pricing.money import totals
from tests.checkout.support import _add, _details, _messages
from tests.factories import ShippingMethodFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_pricing")]


def test_a_guest_must_give_an_email_and_an_address(client, kettle, courier):
    _add(client, kettle)
    response = client.post(reverse("checkout:details"), {"shipping_method": courier.pk})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"email", "full_name", "line1", "city", "postal_code", "country"}
    assert "checkout" not in client.session


def test_the_shipping_choices_show_their_price_and_free_threshold(client, kettle, courier):
    ShippingMethodFactory(name="Express", price=Decimal("9.00"), free_above=None)
    ShippingMethodFactory(name="Retired", is_active=False)
    _add(client, kettle)
    html = client.get(reverse("checkout:details")).content.decode()
    assert "Courier: €4.90 (free for orders from €50.00)" in html
    assert "Express: €9.00" in html
    assert "Retired" not in html
    _add(client, kettle, 4)
    html = client.get(reverse("checkout:details")).content.decode()
    assert "Courier: free (your order is over €50.00)" in html


def test_an_inactive_shipping_method_is_refused(client, kettle):
    retired = ShippingMethodFactory(is_active=False)
    _add(client, kettle)
    response = _details(client, retired)
    assert response.context["form"].errors["shipping_method"] == [
        "Choose one of the shipping methods offered."
    ]


def test_the_review_shows_shipping_tax_and_total_from_the_pricing_rules(
    client, settings, kettle, courier
):
    settings.SHOP_PRICES_INCLUDE_TAX = False
    _add(client, kettle, 2)
    _details(client, courier)
    amounts = client.get(reverse("checkout:review")).context["amounts"]
    expected = totals(lines=[(Decimal("12.50"), 2)], shipping=Decimal("4.90"))
    assert amounts == expected
    assert (amounts.tax, amounts.total) == (Decimal("5.98"), Decimal("35.88"))


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client, courier):
    response = client.get(reverse("checkout:details"))
    assert response.url == reverse("cart:detail")
    assert _messages(response) == ["Your cart is empty."]
    assert client.get(reverse("checkout:review")).url == reverse("cart:detail")


def test_checkout_with_a_sold_out_item_goes_back_to_the_cart(client, kettle, courier):
    _add(client, kettle)
    Variant.objects.filter(pk=kettle.pk).update(stock=0)
    response = client.get(reverse("checkout:details"))
    assert response.url == reverse("cart:detail")
    assert "sold out" in _messages(response)[-1]


def test_the_review_page_needs_the_details_first(client, kettle):
    _add(client, kettle)
    assert client.get(reverse("checkout:review")).url == reverse("checkout:details")
