"""Who may see which order: pay, confirmation and order pages are the owner's alone."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.catalog.models import Variant
from apps.orders.choices import OrderPaymentStatus
from apps.orders.models import Order
from apps.pricing.models import ShippingMethod
from tests.checkout.support import SUCCESS, _add, _details, _guest_order, _pay, _place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_pricing")]


def _signed_in_order(client, user: User, variant: Variant, method: ShippingMethod, capture):
    client.force_login(user)
    _add(client, variant)
    _details(client, method, email=user.email)
    _place(client, capture)
    client.logout()
    return Order.objects.get(user=user)


@pytest.mark.parametrize("page", ["checkout:pay", "checkout:done", "orders:detail"])
def test_another_shoppers_order_is_a_404(
    client, shopper, other_shopper, kettle, courier, page, django_capture_on_commit_callbacks
):
    order = _signed_in_order(client, shopper, kettle, courier, django_capture_on_commit_callbacks)
    client.force_login(other_shopper)
    assert client.get(reverse(page, args=[order.number])).status_code == 404
    assert _pay(client, order, SUCCESS).status_code == 404
    order.refresh_from_db()
    assert order.payment_status == OrderPaymentStatus.UNPAID


@pytest.mark.parametrize("page", ["checkout:pay", "checkout:done"])
def test_a_guest_order_is_a_404_in_another_browser(
    client, kettle, courier, page, django_capture_on_commit_callbacks
):
    order = _guest_order(client, django_capture_on_commit_callbacks, kettle, courier)
    stranger = Client()
    assert stranger.get(reverse(page, args=[order.number])).status_code == 404
    assert client.get(reverse("checkout:pay", args=[order.number])).status_code == 200


def test_the_owner_sees_their_pay_page_after_signing_in_again(
    client, shopper, kettle, courier, django_capture_on_commit_callbacks
):
    order = _signed_in_order(client, shopper, kettle, courier, django_capture_on_commit_callbacks)
    assert client.get(reverse("checkout:pay", args=[order.number])).status_code == 404
    client.force_login(shopper)
    assert client.get(reverse("checkout:pay", args=[order.number])).status_code == 200


def test_the_account_menu_links_to_the_orders(client, shopper):
    client.force_login(shopper)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert re.search(rf'<a href="{reverse("orders:list")}"[^>]*>Orders</a>', html)
