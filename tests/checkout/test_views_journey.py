"""Checkout pages end to end: a guest, a declined card, a shopper with a saved address."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from apps.orders.choices import OrderPaymentStatus
from apps.orders.models import Order
from apps.payments.gateways.simulated import DECLINE_CARD
from apps.payments.models import PaymentStatus
from tests.checkout.support import DECLINE, SUCCESS, _add, _details, _guest_order, _pay, _place
from tests.factories import AddressFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_pricing")]


def test_a_guest_buys_from_the_product_page_to_the_confirmation(
    client, kettle, courier, django_capture_on_commit_callbacks
):
    assert client.get(kettle.product.get_absolute_url()).status_code == 200
    _add(client, kettle, 2)
    cart_page = client.get(reverse("cart:detail")).content.decode()
    assert f'href="{reverse("checkout:details")}"' in cart_page

    assert client.get(reverse("checkout:details")).status_code == 200
    details = _details(client, courier)
    assert details.url == reverse("checkout:review")

    review = client.get(reverse("checkout:review")).content.decode()
    assert "Steel Kettle" in review
    assert "€29.90" in review  # 2 x 12.50 + 4.90 shipping

    placed = _place(client, django_capture_on_commit_callbacks)
    order = Order.objects.get()
    assert placed.url == reverse("checkout:pay", args=[order.number])
    assert (order.email, order.total, order.payment_status) == (
        "guest@example.com",
        Decimal("29.90"),
        OrderPaymentStatus.UNPAID,
    )
    assert [m.subject for m in mail.outbox] == [f"Your order {order.number}"]
    assert mail.outbox[0].to == ["guest@example.com"]

    pay_page = client.get(placed.url)
    assert pay_page.status_code == 200
    assert "Pay €29.90" in pay_page.content.decode()
    paid = _pay(client, order, SUCCESS)
    assert paid.url == reverse("checkout:done", args=[order.number])

    done = client.get(paid.url).content.decode()
    assert order.number in done
    assert "Steel Kettle" in done
    assert "€29.90" in done
    assert "e-mailed a confirmation to <strong>guest@example.com</strong>" in done
    order.refresh_from_db()
    kettle.refresh_from_db()
    assert order.payment_status == OrderPaymentStatus.PAID
    assert kettle.stock == 3
    assert '<span class="badge">' not in done  # the cart was emptied


def test_a_declined_card_leaves_the_order_pending_and_another_card_pays_it(
    client, kettle, courier, django_capture_on_commit_callbacks
):
    order = _guest_order(client, django_capture_on_commit_callbacks, kettle, courier)
    declined = _pay(client, order, DECLINE)
    html = declined.content.decode()
    assert declined.status_code == 200
    assert "Your card was declined. Please use another card." in html
    assert DECLINE_CARD not in html  # the card number is not written back into the page
    order.refresh_from_db()
    assert order.payment_status == OrderPaymentStatus.UNPAID
    assert order.is_payable

    paid = _pay(client, order, SUCCESS)
    assert paid.url == reverse("checkout:done", args=[order.number])
    order.refresh_from_db()
    assert order.payment_status == OrderPaymentStatus.PAID
    assert list(order.payments.order_by("id").values_list("status", "card_last4")) == [
        (PaymentStatus.DECLINED, "0002"),
        (PaymentStatus.CAPTURED, "4242"),
    ]


def test_a_signed_in_shopper_checks_out_with_a_saved_address(
    client, shopper, kettle, courier, django_capture_on_commit_callbacks
):
    home = AddressFactory(user=shopper, line1="7 Saved Street", is_default=True)
    client.force_login(shopper)
    _add(client, kettle, 1)

    form = client.get(reverse("checkout:details")).context["form"]
    assert form.initial["email"] == shopper.email
    assert form.initial["saved_address"] == str(home.pk)
    assert "7 Saved Street" in str(form["saved_address"])

    response = client.post(
        reverse("checkout:details"),
        {"email": shopper.email, "saved_address": home.pk, "shipping_method": courier.pk},
    )
    assert response.url == reverse("checkout:review")
    assert "7 Saved Street" in client.get(reverse("checkout:review")).content.decode()
    placed = _place(client, django_capture_on_commit_callbacks)
    order = Order.objects.get()
    assert placed.url == reverse("checkout:pay", args=[order.number])
    assert (order.user, order.shipping_line1, order.shipping_country) == (
        shopper,
        "7 Saved Street",
        "GB",
    )
    assert _pay(client, order, SUCCESS).url == reverse("checkout:done", args=[order.number])


def test_another_users_saved_address_cannot_be_chosen(
    client, shopper, other_shopper, kettle, courier
):
    AddressFactory(user=shopper)
    theirs = AddressFactory(user=other_shopper)
    client.force_login(shopper)
    _add(client, kettle)
    response = client.post(
        reverse("checkout:details"),
        {"email": shopper.email, "saved_address": theirs.pk, "shipping_method": courier.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["saved_address"]
    assert "checkout" not in client.session
