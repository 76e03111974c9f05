"""Placing the order: once only, at the reviewed prices, or back to the cart or review."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from apps.catalog.models import Variant
from apps.checkout import views as checkout_views
from apps.orders.choices import OrderPaymentStatus
from apps.orders.models import Order
from apps.orders.services import OutOfStock
from apps.payments.models import Payment
from tests.checkout.support import DECLINE, _add, _details, _messages, _pay, _place, _place_form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_pricing")]


def test_a_double_submitted_place_order_form_creates_one_order(
    client, kettle, courier, django_capture_on_commit_callbacks
):
    _add(client, kettle, 2)
    _details(client, courier)
    form = _place_form(client)
    details = client.session["checkout"]
    first = _place(client, django_capture_on_commit_callbacks, form)
    second = _place(client, django_capture_on_commit_callbacks, form)
    # The second submission read the session before the first one saved it.
    session = client.session
    session["checkout"] = details
    session.pop("checkout_placed")
    session.save()
    third = _place(client, django_capture_on_commit_callbacks, form)
    order = Order.objects.get()
    assert first.url == second.url == third.url == reverse("checkout:pay", args=[order.number])
    kettle.refresh_from_db()
    assert kettle.stock == 3
    assert len(mail.outbox) == 1


def test_tampered_price_total_and_status_fields_are_ignored(
    client, kettle, courier, django_capture_on_commit_callbacks
):
    _add(client, kettle, 2)
    tampered = {
        "price": "0.01",
        "total": "0.01",
        "subtotal": "0",
        "status": "paid",
        "payment_status": "paid",
    }
    _details(client, courier, **tampered, shipping_price="0")
    placed = _place(
        client,
        django_capture_on_commit_callbacks,
        {**_place_form(client), **tampered, "unit_price": "0.01", "shipping_total": "0"},
    )
    order = Order.objects.get()
    assert placed.url == reverse("checkout:pay", args=[order.number])
    assert (order.subtotal, order.shipping_total, order.total, order.payment_status) == (
        Decimal("25.00"),
        Decimal("4.90"),
        Decimal("29.90"),
        OrderPaymentStatus.UNPAID,
    )
    assert order.lines.get().unit_price == Decimal("12.50")
    _pay(client, order, DECLINE, amount="0.01", status="paid", total="0.01")
    order.refresh_from_db()
    assert order.payment_status == OrderPaymentStatus.UNPAID
    assert Payment.objects.get().amount == Decimal("29.90")


def test_a_price_change_after_the_review_asks_to_review_again(
    client, kettle, courier, django_capture_on_commit_callbacks
):
    _add(client, kettle, 1)
    _details(client, courier)
    form = _place_form(client)
    Variant.objects.filter(pk=kettle.pk).update(price=Decimal("15.00"))
    response = _place(client, django_capture_on_commit_callbacks, form)
    assert response.url == reverse("checkout:review")
    assert "changed since you reviewed" in _messages(response)[-1]
    assert not Order.objects.exists()


def test_an_out_of_date_token_asks_to_review_again(
    client, kettle, courier, django_capture_on_commit_callbacks
):
    _add(client, kettle, 1)
    _details(client, courier)
    form = _place_form(client)
    _details(client, courier)  # the details were changed in another tab: a new token
    response = _place(client, django_capture_on_commit_callbacks, form)
    assert response.url == reverse("checkout:review")
    assert not Order.objects.exists()


def test_selling_out_while_placing_goes_back_to_the_cart_with_the_reason(
    client, kettle, courier, monkeypatch, django_capture_on_commit_callbacks
):
    _add(client, kettle, 1)
    _details(client, courier)
    form = _place_form(client)

    def sold_out(**kwargs):
        raise OutOfStock("Sorry, Steel Kettle sold out while you were checking out.")

    monkeypatch.setattr(checkout_views, "order_place", sold_out)
    response = _place(client, django_capture_on_commit_callbacks, form)
    assert response.url == reverse("cart:detail")
    assert _messages(response)[-1] == "Sorry, Steel Kettle sold out while you were checking out."


def test_an_item_selling_out_after_the_review_goes_back_to_the_cart(
    client, kettle, courier, django_capture_on_commit_callbacks
):
    _add(client, kettle, 1)
    _details(client, courier)
    form = _place_form(client)
    Variant.objects.filter(pk=kettle.pk).update(stock=0)
    response = _place(client, django_capture_on_commit_callbacks, form)
    assert response.url == reverse("cart:detail")
    assert not Order.objects.exists()
