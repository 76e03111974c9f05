"""Vouchers on the pages: applied in the cart or at review, refused clearly, checked at placing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from apps.accounts.models import User
from apps.cart.models import Cart
from apps.catalog.models import Variant
from apps.orders import services as orders
from apps.orders.models import Order
from apps.payments.gateways.simulated import SUCCESS_CARD
from apps.pricing.models import ShippingMethod
from apps.vouchers.models import Voucher, VoucherRedemption
from tests.factories import (
    CartFactory,
    CartLineFactory,
    ShippingMethodFactory,
    VariantFactory,
    VoucherFactory,
)

pytestmark = pytest.mark.django_db

GUEST_DETAILS = {
    "email": "guest@example.com",
    "full_name": "Ada Lovelace",
    "line1": "1 Analytical Way",
    "city": "London",
    "postal_code": "N1 1AA",
    "country": "GB",
}
CARD = {
    "card_number": SUCCESS_CARD,
    "exp_month": "12",
    "exp_year": str(timezone.now().year + 1),
    "cvc": "123",
}
CART = reverse("cart:detail")
REVIEW = reverse("checkout:review")
APPLY = reverse("cart:voucher_apply")
MINUS = "\N{MINUS SIGN}"  # what the pages print before a discount
REMOVE = reverse("cart:voucher_remove")


@pytest.fixture(autouse=True)
def _pricing(settings) -> None:
    settings.SHOP_TAX_RATE = Decimal("0.20")
    settings.SHOP_PRICES_INCLUDE_TAX = True
    settings.SHOP_CURRENCY_SYMBOL = "€"
    settings.CART_MAX_LINE_QUANTITY = 10


@pytest.fixture
def courier(db: None) -> ShippingMethod:
    return ShippingMethodFactory(name="Courier", price=Decimal("4.90"), free_above=Decimal("50"))


@pytest.fixture
def kettle(db: None) -> Variant:
    return VariantFactory(product__title="Steel Kettle", price=Decimal("12.50"), stock=5)


@pytest.fixture
def ten(db: None) -> Voucher:
    return VoucherFactory(code="TEN", kind="percentage", value=Decimal("10"))


def _said(response) -> str:
    """The message this response added (earlier ones wait until a page shows them)."""
    return [str(message) for message in get_messages(response.wsgi_request)][-1]


def _add(client, variant: Variant, quantity: int = 2) -> None:
    response = client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": quantity})
    assert response.status_code == 302


def _apply(client, code: str, **extra):
    return client.post(APPLY, {"code": code, **extra})


def _cart() -> Cart:
    return Cart.objects.get()


def _to_review(client, method: ShippingMethod, **details) -> dict[str, str]:
    """Fills in the details step and returns the review page's "Place order" fields."""
    response = client.post(
        reverse("checkout:details"),
        {**GUEST_DETAILS, "shipping_method": method.pk, **details},
    )
    assert response.url == REVIEW
    form = client.get(REVIEW).context["form"]
    return {"token": form.initial["token"], "digest": form.initial["digest"]}


def _place(client, capture, fields: dict[str, str]):
    with capture(execute=True):
        return client.post(reverse("checkout:place"), fields)


def _used_by(user: User | None, code: str, email: str = "earlier@example.com") -> Order:
    """An earlier order that used `code`, placed straight through the service."""
    cart = CartFactory()
    CartLineFactory(cart=cart, variant=VariantFactory(price=Decimal("40.00")), quantity=1)
    cart.voucher_code = code
    order = orders.order_place(
        cart=cart,
        email=email,
        address=orders.ShippingAddress(
            full_name="A", line1="1 Way", city="London", postal_code="N1", country="GB"
        ),
        shipping_method_id=ShippingMethodFactory().pk,
        user=user,
    )
    cart.delete()
    return order


# Applying and removing in the cart --------------------------------------------------------


def test_a_valid_code_applied_in_the_cart_shows_the_discount_in_the_totals(client, kettle, ten):
    _add(client, kettle, 2)

    response = _apply(client, "  ten ")

    assert response.url == CART
    assert _said(response) == "Voucher TEN applied. You save €2.50."
    assert _cart().voucher_code == "TEN"
    page = client.get(CART)
    html = page.content.decode()
    assert page.context["summary"].totals.discount == Decimal("2.50")
    assert f"<dt>Discount (TEN)</dt><dd>{MINUS}€2.50</dd>" in html
    assert "€22.50" in html  # 25.00 less 10%
    assert f'action="{REMOVE}"' in html
    assert f'action="{APPLY}"' not in html


def test_the_cart_page_offers_a_voucher_code_field_when_no_code_is_applied(client, kettle):
    _add(client, kettle, 1)
    html = client.get(CART).content.decode()
    assert f'action="{APPLY}"' in html
    assert '<label for="id_code">Voucher code</label>' in html
    assert "Discount" not in html


REFUSALS = [
    pytest.param("NOPE", None, "That voucher code doesn't exist.", id="unknown"),
    pytest.param("OFF", {"is_active": False}, "That voucher code doesn't exist.", id="deactivated"),
    pytest.param(
        "OLD",
        {"valid_until": timezone.now() - timedelta(days=1)},
        "That voucher has expired.",
        id="expired",
    ),
    pytest.param(
        "SOON",
        {"valid_from": timezone.now() + timedelta(days=3)},
        "That voucher starts on",
        id="not-yet-valid",
    ),
    pytest.param(
        "MIN50",
        {"min_spend": Decimal("50.00")},
        "That voucher needs a minimum spend of 50.00; add 25.00 more.",
        id="below-minimum",
    ),
    pytest.param(
        "GONE", {"usage_limit": 3, "times_used": 3}, "That voucher has been used up.", id="used-up"
    ),
    pytest.param("", None, "Enter a voucher code.", id="blank"),
    pytest.param("X" * 41, None, "That voucher code doesn't exist.", id="too-long"),
]


@pytest.mark.parametrize(("code", "terms", "message"), REFUSALS)
def test_a_refused_code_says_why_and_leaves_the_cart_as_it_was(
    client, kettle, ten, code, terms, message
):
    if terms is not None:
        VoucherFactory(code=code, **terms)
    _add(client, kettle, 2)
    _apply(client, "TEN")

    response = _apply(client, code)

    assert response.url == CART
    said = _said(response)
    assert said.startswith(message)
    assert _cart().voucher_code == "TEN"
    assert client.get(CART).context["summary"].totals.discount == Decimal("2.50")


def test_a_code_already_used_by_the_signed_in_shopper_is_refused(client, shopper, kettle):
    VoucherFactory(code="ONCE", once_per_customer=True)
    _used_by(shopper, "ONCE")
    client.force_login(shopper)
    _add(client, kettle, 2)

    response = _apply(client, "once")

    assert _said(response) == "You have already used that voucher."
    assert _cart().voucher_code == ""


def test_a_refused_code_on_a_browser_without_a_cart_leaves_no_cart_behind(client):
    response = _apply(client, "NOPE")
    assert _said(response) == "That voucher code doesn't exist."
    assert not Cart.objects.exists()
    assert "cart" not in response.cookies


def test_removing_the_code_takes_the_discount_off(client, kettle, ten):
    _add(client, kettle, 2)
    _apply(client, "TEN")

    response = client.post(REMOVE)

    assert response.url == CART
    assert _said(response) == "Voucher TEN removed."
    assert _cart().voucher_code == ""
    page = client.get(CART)
    assert page.context["summary"].totals.discount == Decimal("0.00")
    assert "Discount" not in page.content.decode()


def test_removing_when_there_is_no_code_changes_nothing(client, kettle):
    _add(client, kettle, 1)
    response = client.post(REMOVE)
    assert _said(response) == "There is no voucher on your cart."
    assert _cart().voucher_code == ""


def test_voucher_forms_only_accept_posts(client):
    assert client.get(APPLY).status_code == 405
    assert client.get(REMOVE).status_code == 405


def test_a_next_address_on_another_site_is_ignored(client, kettle, ten):
    _add(client, kettle, 1)
    response = _apply(client, "TEN", next="https://evil.example.com/")
    assert response.url == CART


def test_a_kept_code_that_stopped_applying_is_explained_on_the_cart_page(client, kettle, ten):
    _add(client, kettle, 2)
    _apply(client, "TEN")
    Voucher.objects.filter(pk=ten.pk).update(valid_until=timezone.now() - timedelta(minutes=1))

    page = client.get(CART)

    html = page.content.decode()
    assert page.context["summary"].voucher_problem == "That voucher has expired."
    assert "That voucher has expired. Remove the voucher or enter another code" in html
    assert f'action="{APPLY}"' in html
    assert "<dt>Discount" not in html
    assert f'action="{REMOVE}"' in html


def test_another_code_replaces_one_that_stopped_applying(client, kettle, ten):
    VoucherFactory(code="FIVE", kind="fixed", value=Decimal("5.00"))
    _add(client, kettle, 2)
    _apply(client, "TEN")
    Voucher.objects.filter(pk=ten.pk).update(is_active=False)

    response = _apply(client, "five")

    assert _said(response) == "Voucher FIVE applied. You save €5.00."
    assert _cart().voucher_code == "FIVE"
    summary = client.get(CART).context["summary"]
    assert (summary.voucher_problem, summary.totals.discount) == ("", Decimal("5.00"))


def test_a_code_below_its_minimum_after_a_line_is_lowered_says_how_much_more_to_add(client, kettle):
    VoucherFactory(code="MIN20", kind="fixed", value=Decimal("5.00"), min_spend=Decimal("20.00"))
    _add(client, kettle, 2)
    _apply(client, "MIN20")
    line = _cart().lines.get()
    client.post(reverse("cart:line_update", args=[line.pk]), {"quantity": "1"})

    html = client.get(CART).content.decode()

    assert "That voucher needs a minimum spend of 20.00; add 7.50 more." in html


# Checkout ---------------------------------------------------------------------------------


def test_the_review_page_shows_the_code_and_its_discount(client, kettle, courier, ten):
    _add(client, kettle, 2)
    _apply(client, "TEN")
    _to_review(client, courier)

    review = client.get(REVIEW)

    html = review.content.decode()
    assert review.context["amounts"].discount == Decimal("2.50")
    assert f"<dt>Discount (TEN)</dt><dd>{MINUS}€2.50</dd>" in html
    assert "Place order and pay €27.40" in html  # 25.00 - 2.50 + 4.90 shipping


def test_free_shipping_is_judged_on_the_goods_after_the_discount(client, courier, ten):
    # 55.00 of goods reach the courier's free-shipping 50.00; less 10% (49.50) they don't.
    _add(client, VariantFactory(price=Decimal("27.50"), stock=5), 2)
    _apply(client, "TEN")

    details = client.get(reverse("checkout:details"))

    html = details.content.decode()
    assert "Courier: €4.90" in html
    assert f"<dt>Discount (TEN)</dt><dd>{MINUS}€5.50</dd>" in html
    _to_review(client, courier)
    assert client.get(REVIEW).context["amounts"].shipping == Decimal("4.90")


def test_a_code_can_be_entered_on_the_review_page(client, kettle, courier, ten):
    _add(client, kettle, 2)
    _to_review(client, courier)
    assert f'action="{APPLY}"' in client.get(REVIEW).content.decode()

    response = _apply(client, "ten", next=REVIEW)

    assert response.url == REVIEW
    assert _said(response) == "Voucher TEN applied. You save €2.50."
    assert "Place order and pay €27.40" in client.get(REVIEW).content.decode()


def test_placing_the_order_records_the_discount_and_one_use_of_the_code(
    client, kettle, courier, ten, django_capture_on_commit_callbacks
):
    _add(client, kettle, 2)
    _apply(client, "TEN")
    fields = _to_review(client, courier)

    placed = _place(client, django_capture_on_commit_callbacks, fields)

    order = Order.objects.get()
    assert placed.url == reverse("checkout:pay", args=[order.number])
    assert (order.subtotal, order.discount_total, order.shipping_total, order.total) == (
        Decimal("25.00"),
        Decimal("2.50"),
        Decimal("4.90"),
        Decimal("27.40"),
    )
    redemption = VoucherRedemption.objects.get()
    assert (redemption.order, redemption.voucher, redemption.amount) == (
        order,
        ten,
        Decimal("2.50"),
    )
    assert redemption.customer_key == "email:guest@example.com"
    assert Voucher.objects.get(pk=ten.pk).times_used == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            {"valid_until": timezone.now() - timedelta(seconds=1)},
            "That voucher has expired.",
            id="expired",
        ),
        pytest.param(
            {"usage_limit": 1, "times_used": 1}, "That voucher has been used up.", id="used-up"
        ),
        pytest.param({"is_active": False}, "That voucher code doesn't exist.", id="deactivated"),
    ],
)
def test_a_code_that_stops_applying_before_placing_refuses_the_order_and_takes_no_stock(
    client, kettle, courier, ten, change, message, django_capture_on_commit_callbacks
):
    _add(client, kettle, 2)
    _apply(client, "TEN")
    fields = _to_review(client, courier)
    Voucher.objects.filter(pk=ten.pk).update(**change)

    response = _place(client, django_capture_on_commit_callbacks, fields)

    assert response.url == REVIEW
    said = _said(response)
    assert said.startswith(f"{message} Your order was not placed")
    assert not Order.objects.exists()
    assert not VoucherRedemption.objects.exists()
    kettle.refresh_from_db()
    assert kettle.stock == 5
    assert _cart().lines.count() == 1
    assert mail.outbox == []
    review = client.get(REVIEW).content.decode()
    assert escape(message) in review
    assert 'disabled aria-describedby="voucher-problem"' in review


def test_a_guest_whose_e_mail_already_used_a_once_per_customer_code_is_refused_at_placing(
    client, kettle, courier, django_capture_on_commit_callbacks
):
    VoucherFactory(code="ONCE", once_per_customer=True)
    _used_by(None, "ONCE", email="guest@example.com")
    _add(client, kettle, 2)
    # The guest's e-mail isn't known in the cart, so the code is taken there...
    assert _said(_apply(client, "ONCE")) == "Voucher ONCE applied. You save €2.50."
    fields = _to_review(client, courier, email="GUEST@example.com")

    response = _place(client, django_capture_on_commit_callbacks, fields)

    # ...and refused when the order is placed with that e-mail.
    assert response.url == REVIEW
    said = _said(response)
    assert said.startswith("You have already used that voucher. Your order was not placed")
    assert Order.objects.count() == 1  # only the earlier one
    kettle.refresh_from_db()
    assert kettle.stock == 5


def test_the_shopper_can_remove_a_refused_code_and_place_the_order_without_it(
    client, kettle, courier, ten, django_capture_on_commit_callbacks
):
    _add(client, kettle, 2)
    _apply(client, "TEN")
    _to_review(client, courier)
    Voucher.objects.filter(pk=ten.pk).update(is_active=False)

    assert client.post(REMOVE, {"next": REVIEW}).url == REVIEW
    form = client.get(REVIEW).context["form"]
    fields = {"token": form.initial["token"], "digest": form.initial["digest"]}
    placed = _place(client, django_capture_on_commit_callbacks, fields)

    order = Order.objects.get()
    assert placed.url == reverse("checkout:pay", args=[order.number])
    assert (order.discount_total, order.total) == (Decimal("0.00"), Decimal("29.90"))


def test_a_code_applied_in_another_tab_after_review_asks_to_review_again(
    client, kettle, courier, ten, django_capture_on_commit_callbacks
):
    _add(client, kettle, 2)
    fields = _to_review(client, courier)
    _apply(client, "TEN")

    response = _place(client, django_capture_on_commit_callbacks, fields)

    assert response.url == REVIEW
    assert "changed since you reviewed" in _said(response)
    assert not Order.objects.exists()


# The whole journey ------------------------------------------------------------------------


def test_a_guest_buys_with_a_voucher_and_sees_the_discount_on_the_confirmation_and_e_mail(
    client, kettle, courier, ten, django_capture_on_commit_callbacks
):
    _add(client, kettle, 2)
    _apply(client, "ten")
    assert "€22.50" in client.get(CART).content.decode()
    fields = _to_review(client, courier)
    assert f"<dt>Discount (TEN)</dt><dd>{MINUS}€2.50</dd>" in client.get(REVIEW).content.decode()

    placed = _place(client, django_capture_on_commit_callbacks, fields)
    order = Order.objects.get()
    assert "Discount" in client.get(placed.url).content.decode()  # the payment page
    paid = client.post(reverse("checkout:pay", args=[order.number]), CARD)
    assert paid.url == reverse("checkout:done", args=[order.number])

    done = client.get(paid.url).content.decode()
    assert f"<dt>Discount</dt><dd>{MINUS}€2.50</dd>" in done
    assert "We've received your payment of €27.40" in done
    [confirmation] = [m for m in mail.outbox if m.subject == f"Your order {order.number}"]
    assert "Discount: -€2.50" in confirmation.body
    assert "Total: €27.40" in confirmation.body
    html_body = confirmation.alternatives[0][0]
    assert f'<td>Discount</td><td align="right">{MINUS}€2.50</td>' in html_body
    order_page = client.get(order.get_absolute_url()).content.decode()
    assert "Discount (TEN)" in order_page
    assert f"{MINUS}€2.50" in order_page
    kettle.refresh_from_db()
    assert kettle.stock == 3


def test_an_order_without_a_discount_shows_no_discount_row(
    client, kettle, courier, django_capture_on_commit_callbacks
):
    _add(client, kettle, 2)
    fields = _to_review(client, courier)
    _place(client, django_capture_on_commit_callbacks, fields)
    order = Order.objects.get()
    assert "Discount" not in client.get(order.get_absolute_url()).content.decode()
    assert "Discount" not in mail.outbox[0].body
