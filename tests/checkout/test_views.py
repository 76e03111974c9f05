"""Checkout pages: details, review, placing once, paying, the confirmation, and who may see what."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.catalog.models import Variant
from apps.checkout import views as checkout_views
from apps.checkout.models import ShippingMethod
from apps.checkout.pricing import totals
from apps.orders.choices import OrderStatus
from apps.orders.models import Order
from apps.orders.services import OutOfStock
from apps.payments.gateways.simulated import DECLINE_CARD, SUCCESS_CARD
from apps.payments.models import Payment, PaymentStatus
from tests.factories import AddressFactory, ShippingMethodFactory, VariantFactory

pytestmark = pytest.mark.django_db

GUEST_DETAILS = {
    "email": "guest@example.com",
    "full_name": "Ada Lovelace",
    "line1": "1 Analytical Way",
    "city": "London",
    "postal_code": "N1 1AA",
    "country": "GB",
}
NEXT_YEAR = str(timezone.now().year + 1)
SUCCESS = {"card_number": "4242 4242 4242 4242", "exp_month": "12", "exp_year": NEXT_YEAR}
DECLINE = {"card_number": DECLINE_CARD, "exp_month": "12", "exp_year": NEXT_YEAR}


@pytest.fixture(autouse=True)
def _pricing(settings) -> None:
    settings.SHOP_TAX_RATE = Decimal("0.20")
    settings.SHOP_PRICES_INCLUDE_TAX = True
    settings.CART_MAX_LINE_QUANTITY = 10


@pytest.fixture
def courier(db: None) -> ShippingMethod:
    return ShippingMethodFactory(name="Courier", price=Decimal("4.90"), free_above=Decimal("50"))


@pytest.fixture
def kettle(db: None) -> Variant:
    return VariantFactory(
        product__title="Steel Kettle", options={"Size": "L"}, price=Decimal("12.50"), stock=5
    )


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _add(client, variant: Variant, quantity: int = 1) -> None:
    response = client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": quantity})
    assert response.status_code == 302


def _details(client, method: ShippingMethod, **fields):
    return client.post(
        reverse("checkout:details"), {**GUEST_DETAILS, "shipping_method": method.pk, **fields}
    )


def _place_form(client) -> dict[str, str]:
    """The hidden fields of the review page's "Place order" form."""
    review = client.get(reverse("checkout:review"))
    assert review.status_code == 200
    form = review.context["form"]
    return {"token": form.initial["token"], "digest": form.initial["digest"]}


def _place(client, capture, data: dict[str, str] | None = None):
    with capture(execute=True):
        return client.post(reverse("checkout:place"), data or _place_form(client))


def _pay(client, order: Order, card: dict[str, str], **extra):
    return client.post(
        reverse("checkout:pay", args=[order.number]), {"cvc": "123", **card, **extra}
    )


def _guest_order(client, capture, variant: Variant, method: ShippingMethod) -> Order:
    _add(client, variant, 2)
    assert _details(client, method).status_code == 302
    assert _place(client, capture).status_code == 302
    return Order.objects.get()


# The whole journey ----------------------------------------------------------------------


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
    assert (order.email, order.total, order.status) == (
        "guest@example.com",
        Decimal("29.90"),
        OrderStatus.PENDING_PAYMENT,
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
    assert order.status == OrderStatus.PAID
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
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.is_payable

    paid = _pay(client, order, SUCCESS)
    assert paid.url == reverse("checkout:done", args=[order.number])
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
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


# Details and review ---------------------------------------------------------------------


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


# Placing the order ----------------------------------------------------------------------


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
    tampered = {"price": "0.01", "total": "0.01", "subtotal": "0", "status": "paid"}
    _details(client, courier, **tampered, shipping_price="0")
    placed = _place(
        client,
        django_capture_on_commit_callbacks,
        {**_place_form(client), **tampered, "unit_price": "0.01", "shipping_total": "0"},
    )
    order = Order.objects.get()
    assert placed.url == reverse("checkout:pay", args=[order.number])
    assert (order.subtotal, order.shipping_total, order.total, order.status) == (
        Decimal("25.00"),
        Decimal("4.90"),
        Decimal("29.90"),
        OrderStatus.PENDING_PAYMENT,
    )
    assert order.lines.get().unit_price == Decimal("12.50")
    _pay(client, order, DECLINE, amount="0.01", status="paid", total="0.01")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
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


# Paying ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("card", "field"),
    [
        ({"card_number": "4242 4242 4242 4241"}, "card_number"),
        ({"card_number": "abcd"}, "card_number"),
        ({"card_number": "\uff14\uff12" * 8}, "card_number"),
        ({"exp_month": "13"}, "exp_month"),
        ({"exp_month": "x"}, "exp_month"),
        ({"exp_year": "2001"}, "exp_year"),
        ({"exp_year": "2999"}, "exp_year"),
        ({"exp_month": "1", "exp_year": str(timezone.now().year - 1)[2:]}, "exp_year"),
        ({"cvc": "12"}, "cvc"),
    ],
)
def test_bad_card_details_are_refused_before_charging(
    client, kettle, courier, django_capture_on_commit_callbacks, card, field
):
    order = _guest_order(client, django_capture_on_commit_callbacks, kettle, courier)
    response = _pay(client, order, {**SUCCESS, **card})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Payment.objects.exists()


def test_card_details_are_sensitive_and_never_kept(
    client, kettle, courier, django_capture_on_commit_callbacks
):
    order = _guest_order(client, django_capture_on_commit_callbacks, kettle, courier)
    response = _pay(client, order, SUCCESS)
    assert response.wsgi_request.sensitive_post_parameters == "__ALL__"
    assert SUCCESS_CARD not in str(list(Payment.objects.values()))
    assert SUCCESS_CARD not in str(dict(client.session.items()))
    assert "4242 4242 4242 4242" not in str(dict(client.session.items()))


def test_a_paid_order_sends_the_pay_page_to_the_confirmation(
    client, kettle, courier, django_capture_on_commit_callbacks
):
    order = _guest_order(client, django_capture_on_commit_callbacks, kettle, courier)
    _pay(client, order, SUCCESS)
    done = reverse("checkout:done", args=[order.number])
    assert client.get(reverse("checkout:pay", args=[order.number])).url == done
    assert _pay(client, order, SUCCESS).url == done
    assert Payment.objects.count() == 1


def test_the_confirmation_of_an_unpaid_order_sends_to_the_pay_page(
    client, kettle, courier, django_capture_on_commit_callbacks
):
    order = _guest_order(client, django_capture_on_commit_callbacks, kettle, courier)
    response = client.get(reverse("checkout:done", args=[order.number]))
    assert response.url == reverse("checkout:pay", args=[order.number])


def test_a_pending_orders_page_links_to_the_pay_page(
    client, kettle, courier, django_capture_on_commit_callbacks
):
    order = _guest_order(client, django_capture_on_commit_callbacks, kettle, courier)
    html = client.get(order.get_absolute_url()).content.decode()
    assert f'href="{reverse("checkout:pay", args=[order.number])}"' in html
    _pay(client, order, SUCCESS)
    html = client.get(order.get_absolute_url()).content.decode()
    assert reverse("checkout:pay", args=[order.number]) not in html


# Who may see which order ----------------------------------------------------------------


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
    assert order.status == OrderStatus.PENDING_PAYMENT


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


def test_the_pending_card_shows_a_waiting_page_until_the_webhook_confirms(client):
    """The done page waits (refreshing itself) while the bank confirms by webhook."""
    import json as _json
    import time as _time

    from apps.orders.models import Order
    from apps.payments.webhooks import SIGNATURE_HEADER, webhook_signature
    from tests.payments.conftest import place

    order = place()
    session = client.session
    session["guest_orders"] = [order.number]
    session.save()
    response = client.post(
        f"/checkout/pay/{order.number}/",
        {"card_number": "4000 0000 0000 3063", "exp_month": "12", "exp_year": "2031", "cvc": "123"},
        follow=True,
    )
    body = response.content.decode()
    assert "Your bank is confirming the payment" in body
    assert 'http-equiv="refresh"' in body
    payment = Order.objects.get(pk=order.pk).payments.get()
    event = _json.dumps(
        {"id": "evt_page", "type": "charge.succeeded", "data": {"reference": payment.reference}}
    ).encode()
    client.post(
        "/api/v1/payments/webhook/",
        data=event,
        content_type="application/json",
        headers={SIGNATURE_HEADER: webhook_signature(body=event, timestamp=int(_time.time()))},
    )
    body = client.get(f"/checkout/done/{order.number}/").content.decode()
    assert "We've received your payment" in body
