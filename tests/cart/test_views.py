"""Cart pages: adding, changing and removing lines, the header count, and who sees which cart."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core import signing
from django.urls import reverse

from apps.cart.http import COOKIE_NAME, COOKIE_SALT
from apps.cart.models import Cart, CartLine
from apps.catalog.models import Variant
from tests.factories import (
    CartFactory,
    CartLineFactory,
    ProductFactory,
    ProductImageFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db

QUANTITY_MESSAGE = "Enter a whole number from 1 to 10."


@pytest.fixture(autouse=True)
def _ten_per_line(settings) -> None:
    settings.CART_MAX_LINE_QUANTITY = 10


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _last_message(response) -> str:
    """The message this response added (earlier ones wait until a page shows them)."""
    return _messages(response)[-1]


def _add(client, variant_id, quantity="1", **data):
    payload = {"quantity": quantity, **data}
    if variant_id is not None:
        payload["variant"] = variant_id
    return client.post(reverse("cart:add"), payload)


def _use_cart(client, cart: Cart) -> None:
    """Gives the test client the signed cookie an anonymous shopper gets for `cart`."""
    signer = signing.get_cookie_signer(salt=COOKIE_NAME + COOKIE_SALT)
    client.cookies[COOKIE_NAME] = signer.sign(str(cart.token))


def _lines(cart: Cart) -> list[tuple[int, int]]:
    return list(CartLine.objects.filter(cart=cart).values_list("variant_id", "quantity"))


def _anonymous_cart() -> Cart:
    return Cart.objects.get(user=None)


# Adding ---------------------------------------------------------------------------------


def test_adding_puts_the_variant_in_a_new_cart_and_goes_back_to_the_product_page(client):
    variant = VariantFactory(product__title="Kettle", options={"Size": "L"}, stock=5)
    response = _add(client, variant.pk, "2")
    assert response.status_code == 302
    assert response.url == variant.product.get_absolute_url()
    assert _messages(response) == ["Added 2 of Kettle (L) to your cart."]
    assert _lines(_anonymous_cart()) == [(variant.pk, 2)]
    assert response.cookies[COOKIE_NAME]["httponly"]


def test_adding_the_same_variant_again_adds_to_its_line(client):
    variant = VariantFactory(stock=5)
    _add(client, variant.pk, "2")
    _add(client, variant.pk, "1")
    assert _lines(_anonymous_cart()) == [(variant.pk, 3)]


def test_adding_follows_a_local_next_but_never_an_offsite_one(client):
    variant = VariantFactory(stock=5)
    assert _add(client, variant.pk, next="/catalog/?page=2").url == "/catalog/?page=2"
    offsite = _add(client, variant.pk, next="https://evil.example/")
    assert offsite.url == variant.product.get_absolute_url()


def test_a_signed_in_shopper_adds_to_their_own_cart_without_a_cookie(client, shopper):
    client.force_login(shopper)
    variant = VariantFactory(stock=5)
    response = _add(client, variant.pk, "1")
    assert COOKIE_NAME not in response.cookies
    assert _lines(Cart.objects.get(user=shopper)) == [(variant.pk, 1)]


@pytest.mark.parametrize("quantity", ["0", "-1", str(10**9), "1.5", "abc", "", " ", "²", "1e3"])
def test_adding_a_bad_quantity_explains_and_changes_nothing(client, quantity):
    variant = VariantFactory(stock=50)
    _add(client, variant.pk, "1")
    cart = _anonymous_cart()
    response = _add(client, variant.pk, quantity, next="/catalog/")
    assert response.status_code == 302
    assert response.url == "/catalog/"
    assert _last_message(response) == QUANTITY_MESSAGE
    assert _lines(cart) == [(variant.pk, 1)]


@pytest.mark.parametrize(
    "variant_id", [None, "", "abc", "0", "-3", "999999", "1.5", "99999999999999999999999"]
)
def test_adding_a_missing_variant_explains_and_creates_no_cart(client, variant_id):
    VariantFactory(stock=5)
    response = _add(client, variant_id, "1")
    assert response.status_code == 302
    assert _messages(response) == ["That product is not available."]
    assert not Cart.objects.exists()
    assert COOKIE_NAME not in response.cookies


@pytest.mark.parametrize(
    "hidden", [{"is_active": False}, {"product__is_active": False}], ids=["variant", "product"]
)
def test_adding_an_inactive_variant_explains_and_changes_nothing(client, hidden):
    variant = VariantFactory(stock=5, **hidden)
    response = _add(client, variant.pk, "1")
    assert _messages(response) == ["That product is not available."]
    assert not CartLine.objects.exists()


def test_adding_more_than_the_stock_says_how_many_are_left(client):
    variant = VariantFactory(product__title="Kettle", stock=3)
    _add(client, variant.pk, "2")
    response = _add(client, variant.pk, "2")
    assert _last_message(response) == "Only 3 of Kettle left; you asked for 4."
    assert _lines(_anonymous_cart()) == [(variant.pk, 2)]


def test_adding_beyond_the_per_line_maximum_is_refused(client):
    variant = VariantFactory(stock=50)
    _add(client, variant.pk, "8")
    response = _add(client, variant.pk, "3")
    assert _last_message(response) == "You can buy at most 10 of one item per order."
    assert _lines(_anonymous_cart()) == [(variant.pk, 8)]


def test_a_refused_add_goes_back_to_the_page_it_came_from(client):
    variant = VariantFactory(stock=1)
    response = client.post(
        reverse("cart:add"),
        {"variant": variant.pk, "quantity": "5"},
        headers={"referer": "http://testserver/products/x/"},
    )
    assert response.url == "http://testserver/products/x/"
    offsite = client.post(
        reverse("cart:add"),
        {"variant": variant.pk, "quantity": "5"},
        headers={"referer": "https://evil.example/"},
    )
    assert offsite.url == reverse("cart:detail")


def test_adding_needs_a_post(client):
    assert client.get(reverse("cart:add")).status_code == 405


# Changing and removing ------------------------------------------------------------------


def test_updating_a_line_sets_its_quantity(client):
    variant = VariantFactory(stock=5)
    _add(client, variant.pk, "1")
    line = CartLine.objects.get()
    response = client.post(reverse("cart:line_update", args=[line.pk]), {"quantity": "4"})
    assert response.url == reverse("cart:detail")
    line.refresh_from_db()
    assert line.quantity == 4


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", QUANTITY_MESSAGE),
        ("-1", QUANTITY_MESSAGE),
        (str(10**9), QUANTITY_MESSAGE),
        ("1.5", QUANTITY_MESSAGE),
        ("abc", QUANTITY_MESSAGE),
        ("", QUANTITY_MESSAGE),
        ("11", QUANTITY_MESSAGE),
        ("6", "Only 5 of Kettle left; you asked for 6."),
    ],
)
def test_updating_to_a_bad_quantity_explains_and_changes_nothing(client, quantity, message):
    variant = VariantFactory(product__title="Kettle", stock=5)
    _add(client, variant.pk, "2")
    line = CartLine.objects.get()
    response = client.post(reverse("cart:line_update", args=[line.pk]), {"quantity": quantity})
    assert _last_message(response) == message
    line.refresh_from_db()
    assert line.quantity == 2


def test_removing_a_line_empties_it_from_the_cart(client):
    keep, drop = VariantFactory(stock=5), VariantFactory(stock=5)
    _add(client, keep.pk)
    _add(client, drop.pk)
    line = CartLine.objects.get(variant=drop)
    response = client.post(reverse("cart:line_remove", args=[line.pk]))
    assert response.url == reverse("cart:detail")
    assert _last_message(response) == "The item was removed from your cart."
    assert _lines(_anonymous_cart()) == [(keep.pk, 1)]


def test_another_shoppers_line_is_a_404_and_stays_as_it_was(client, shopper, other_shopper):
    theirs = CartLineFactory(cart=CartFactory(user=other_shopper), quantity=2)
    client.force_login(shopper)
    _add(client, VariantFactory(stock=5).pk)
    update = client.post(reverse("cart:line_update", args=[theirs.pk]), {"quantity": "5"})
    remove = client.post(reverse("cart:line_remove", args=[theirs.pk]))
    assert (update.status_code, remove.status_code) == (404, 404)
    theirs.refresh_from_db()
    assert theirs.quantity == 2


def test_an_anonymous_shoppers_line_is_a_404_for_a_browser_without_its_cookie(client):
    line = CartLineFactory(quantity=2)
    assert client.post(reverse("cart:line_remove", args=[line.pk])).status_code == 404
    assert client.post(reverse("cart:line_update", args=[10**20])).status_code == 404
    assert CartLine.objects.filter(pk=line.pk).exists()


# The cart page --------------------------------------------------------------------------


def test_the_cart_page_shows_lines_prices_totals_and_a_checkout_button(client):
    product = ProductFactory(title="Steel Kettle")
    ProductImageFactory(product=product)
    variant = VariantFactory(product=product, options={"Size": "L"}, price=Decimal("12.50"))
    _add(client, variant.pk, "2")
    line = CartLine.objects.get()
    response = client.get(reverse("cart:detail"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Steel Kettle" in html
    assert "<picture>" in html
    assert ">L</p>" in html
    assert "€12.50 each" in html
    assert "€25.00" in html
    assert f'action="{reverse("cart:line_update", args=[line.pk])}"' in html
    assert f'action="{reverse("cart:line_remove", args=[line.pk])}"' in html
    assert f'href="{reverse("checkout:details")}"' in html


def test_an_empty_cart_says_so(client):
    html = client.get(reverse("cart:detail")).content.decode()
    assert "Your cart is empty." in html
    assert reverse("checkout:details") not in html


def test_the_header_counts_the_items_in_the_cart(client):
    _add(client, VariantFactory(stock=5).pk, "2")
    _add(client, VariantFactory(stock=5).pk, "3")
    html = client.get(reverse("catalog:list")).content.decode()
    assert '<span class="badge">5</span>' in html


def test_a_price_change_since_adding_is_pointed_out(client):
    variant = VariantFactory(price=Decimal("10.00"), stock=5)
    _add(client, variant.pk)
    Variant.objects.filter(pk=variant.pk).update(price=Decimal("12.50"))
    html = client.get(reverse("cart:detail")).content.decode()
    assert "The price changed from €10.00 to €12.50 since you added it." in html
    assert f'href="{reverse("checkout:details")}"' in html


def test_a_sold_out_item_is_pointed_out_and_blocks_checkout(client):
    variant = VariantFactory(stock=5)
    _add(client, variant.pk)
    Variant.objects.filter(pk=variant.pk).update(stock=0)
    html = client.get(reverse("cart:detail")).content.decode()
    assert "Sold out since you added it." in html
    assert f'href="{reverse("checkout:details")}"' not in html
    assert "disabled" in html
    assert "Remove sold-out items" in html


def test_a_quantity_above_the_stock_left_is_pointed_out_and_blocks_checkout(client):
    variant = VariantFactory(stock=5)
    _add(client, variant.pk, "4")
    Variant.objects.filter(pk=variant.pk).update(stock=1)
    html = client.get(reverse("cart:detail")).content.decode()
    assert "Only 1 left. Lower the quantity to check out." in html
    assert f'href="{reverse("checkout:details")}"' not in html


@pytest.mark.parametrize("lines", [2, 20])
def test_the_cart_page_runs_a_constant_number_of_queries(client, lines, django_assert_num_queries):
    cart = CartFactory()
    for _ in range(lines):
        line = CartLineFactory(cart=cart)
        ProductImageFactory(product=line.variant.product)
    _use_cart(client, cart)
    # the cart by its cookie, its lines with variants and products, their cover images
    with django_assert_num_queries(3):
        response = client.get(reverse("cart:detail"))
    assert response.content.decode().count('id="line-') == lines


# Which cart a browser sees --------------------------------------------------------------


def test_an_anonymous_cart_is_found_by_its_signed_cookie(client):
    line = CartLineFactory(variant__product__title="Teapot")
    _use_cart(client, line.cart)
    assert "Teapot" in client.get(reverse("cart:detail")).content.decode()


@pytest.mark.parametrize("forge", ["unsigned", "wrong-salt", "garbage"])
def test_a_forged_cart_cookie_is_ignored(client, forge):
    victim = CartLineFactory(variant__product__title="Teapot", quantity=2)
    token = str(victim.cart.token)
    client.cookies[COOKIE_NAME] = {
        "unsigned": token,
        "wrong-salt": signing.get_cookie_signer(salt="other").sign(token),
        "garbage": "x:y:z",
    }[forge]
    html = client.get(reverse("cart:detail")).content.decode()
    assert "Teapot" not in html
    assert "Your cart is empty." in html
    _add(client, VariantFactory(stock=5).pk)
    victim.refresh_from_db()
    assert victim.quantity == 2
    assert victim.cart.lines.count() == 1


def test_logging_in_merges_the_anonymous_cart_capped_by_stock_and_says_so(
    client, shopper, password
):
    kettle = VariantFactory(product__title="Kettle", stock=4)
    mug = VariantFactory(product__title="Mug", stock=9)
    CartLineFactory(cart=CartFactory(user=shopper), variant=kettle, quantity=2)
    _add(client, kettle.pk, "3")
    _add(client, mug.pk, "1")
    response = client.post(
        reverse("accounts:login"),
        {"username": shopper.email, "password": password},
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert "Items from before you signed in are in your cart." in messages
    assert "Kettle: quantity reduced to 4." in messages
    assert sorted(_lines(Cart.objects.get(user=shopper))) == sorted([(kettle.pk, 4), (mug.pk, 1)])
    assert not Cart.objects.filter(user=None).exists()


@pytest.mark.parametrize("raw", ["²", "٣", "1e3", " 1 2 "])
def test_unicode_and_odd_digit_strings_are_refused_not_crashed(raw):
    from apps.cart.services import CartError, parse_quantity

    with pytest.raises(CartError, match="whole number"):
        parse_quantity(raw)


@pytest.mark.parametrize("lines", [2, 20])
def test_adding_from_a_product_page_runs_a_constant_number_of_queries(
    client, lines, django_assert_num_queries
):
    cart = CartFactory()
    for _ in range(lines):
        CartLineFactory(cart=cart)
    _use_cart(client, cart)
    variant = VariantFactory(stock=5)
    # The cart by its cookie; the visible categories and the variant; the line, in one
    # upsert; the cart's updated_at; the view's transaction (a savepoint in the test, two
    # statements). The redirect needs nothing more: the variant came with its product.
    with django_assert_num_queries(7):
        response = _add(client, variant.pk)
    assert response.status_code == 302
    assert response["Location"] == variant.product.get_absolute_url()
