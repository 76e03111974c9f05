"""The cart API: what it shows, every bad quantity refused, owner only, a constant budget."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from apps.cart.models import Cart, CartLine
from apps.catalog.models import Variant
from tests.api.support import assert_error, assert_matches_schema, token_client
from tests.factories import (
    CartFactory,
    CartLineFactory,
    ProductImageFactory,
    UserFactory,
    VariantFactory,
)

CART = "/api/v1/cart/"
ITEMS = "/api/v1/cart/items/"
ITEM = "/api/v1/cart/items/{id}/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _add(client, variant_id, quantity=1, **extra):
    return client.post(ITEMS, {"variant": variant_id, "quantity": quantity, **extra}, format="json")


def _line(user) -> CartLine:
    return CartLine.objects.get(cart__user=user)


def test_an_empty_cart_has_no_lines_and_zero_totals(api):
    response = api.get(CART)
    assert response.status_code == 200
    assert_matches_schema(response, CART)
    body = response.json()
    assert body["lines"] == []
    assert body["count"] == 0
    assert body["can_check_out"] is False
    assert body["totals"]["total"] == "0.00"
    assert body["currency"] == settings.SHOP_CURRENCY


def test_adding_returns_the_cart_with_the_line_and_its_totals(api, shopper, variant):
    response = _add(api, variant.pk, 2)

    assert response.status_code == 201, response.content
    assert_matches_schema(response, ITEMS, "post")
    body = response.json()
    [line] = body["lines"]
    assert line["id"] == _line(shopper).pk
    assert line["variant"] == variant.pk
    assert line["sku"] == variant.sku
    assert line["title"] == variant.product.title
    assert line["options"] == {"Size": "M"}
    assert line["quantity"] == 2
    assert line["unit_price"] == line["price_seen"] == "12.50"
    assert line["line_total"] == "25.00"
    assert (line["price_changed"], line["sold_out"], line["too_many"]) == (False, False, False)
    assert line["stock_state"] == "low"
    assert line["max_quantity"] == 5
    assert body["count"] == 2
    assert body["can_check_out"] is True
    assert body["totals"]["subtotal"] == body["totals"]["total"] == "25.00"


def test_adding_a_variant_already_in_the_cart_adds_to_its_quantity(api, shopper, variant):
    _add(api, variant.pk, 2)
    body = _add(api, variant.pk, 1).json()
    assert [line["quantity"] for line in body["lines"]] == [3]
    assert _line(shopper).quantity == 3


def test_the_cart_says_when_a_price_changed_or_an_item_sold_out(api, shopper):
    dearer, gone = VariantFactory(price=Decimal("10.00")), VariantFactory(stock=4)
    ProductImageFactory(product=dearer.product)
    _add(api, dearer.pk)
    _add(api, gone.pk, 2)
    Variant.objects.filter(pk=dearer.pk).update(price=Decimal("11.00"))
    Variant.objects.filter(pk=gone.pk).update(stock=0)

    response = api.get(CART)

    assert_matches_schema(response, CART)
    body = response.json()
    changed, sold_out = body["lines"]
    assert (changed["unit_price"], changed["price_seen"], changed["price_changed"]) == (
        "11.00",
        "10.00",
        True,
    )
    assert "price changed" in changed["problem"]
    assert changed["image"]["url"].startswith("http://testserver/media/")
    assert sold_out["image"] is None
    assert (sold_out["sold_out"], sold_out["stock_state"], sold_out["max_quantity"]) == (
        True,
        "sold_out",
        0,
    )
    assert body["can_check_out"] is False
    assert body["totals"]["subtotal"] == "11.00"  # a sold-out line is not counted


def test_a_line_above_the_stock_now_is_flagged(api, variant):
    _add(api, variant.pk, 4)
    Variant.objects.filter(pk=variant.pk).update(stock=2)
    [line] = api.get(CART).json()["lines"]
    assert (line["too_many"], line["max_quantity"]) == (True, 2)
    assert "Only 2 left" in line["problem"]


BAD_QUANTITIES = [0, -1, 10**9, "1.5", 1.5, "abc", "", None, True, [], {"n": 1}, "1e3", " 2 x"]


@pytest.mark.parametrize("quantity", BAD_QUANTITIES)
def test_adding_refuses_every_bad_quantity_with_a_field_error(api, variant, quantity):
    assert_error(_add(api, variant.pk, quantity), 400, field="quantity")
    assert not CartLine.objects.exists()


@pytest.mark.parametrize("quantity", BAD_QUANTITIES)
def test_changing_refuses_every_bad_quantity_and_changes_nothing(api, shopper, variant, quantity):
    _add(api, variant.pk, 2)
    line = _line(shopper)

    response = api.patch(ITEM.format(id=line.pk), {"quantity": quantity}, format="json")

    assert_error(response, 400, field="quantity")
    line.refresh_from_db()
    assert line.quantity == 2


def test_changing_without_a_quantity_is_refused(api, shopper, variant):
    _add(api, variant.pk)
    response = api.patch(ITEM.format(id=_line(shopper).pk), {}, format="json")
    assert_error(response, 400, field="quantity")


def test_adding_more_than_the_stock_is_refused(api, variant):
    assert_error(_add(api, variant.pk, 6), 400, code="cart_invalid", field="quantity")
    _add(api, variant.pk, 4)
    assert_error(_add(api, variant.pk, 2), 400, field="quantity")
    assert CartLine.objects.get().quantity == 4


def test_more_than_the_per_line_maximum_is_refused_even_with_stock(api, shopper, settings):
    settings.CART_MAX_LINE_QUANTITY = 3
    variant = VariantFactory(stock=50)
    assert_error(_add(api, variant.pk, 4), 400, field="quantity")
    _add(api, variant.pk, 2)
    assert_error(_add(api, variant.pk, 2), 400, field="quantity")
    line = _line(shopper)
    response = api.patch(ITEM.format(id=line.pk), {"quantity": 4}, format="json")
    assert_error(response, 400, field="quantity")
    line.refresh_from_db()
    assert line.quantity == 2


@pytest.mark.parametrize(
    "case", ["missing", "huge", "inactive", "hidden_product", "text", "absent"]
)
def test_a_missing_or_unavailable_variant_is_refused(api, case):
    if case == "missing":
        body = {"variant": 999_999, "quantity": 1}
    elif case == "huge":
        body = {"variant": 10**30, "quantity": 1}
    elif case == "inactive":
        body = {"variant": VariantFactory(is_active=False).pk, "quantity": 1}
    elif case == "hidden_product":
        body = {"variant": VariantFactory(product__is_active=False).pk, "quantity": 1}
    elif case == "text":
        body = {"variant": "abc", "quantity": 1}
    else:
        body = {"quantity": 1}
    assert_error(api.post(ITEMS, body, format="json"), 400, field="variant")
    assert not Cart.objects.filter(lines__isnull=False).exists()


def test_a_refused_add_leaves_no_empty_cart_behind(api, shopper):
    _add(api, 999_999)
    assert not Cart.objects.filter(user=shopper).exists()


def test_prices_sent_by_the_client_are_ignored(api, shopper, variant):
    response = _add(
        api,
        variant.pk,
        2,
        price="0.01",
        unit_price="0.01",
        price_seen="0.01",
        line_total="0.02",
        totals={"total": "0.02"},
    )
    assert response.status_code == 201
    assert response.json()["totals"]["total"] == "25.00"
    assert _line(shopper).price_seen == Decimal("12.50")


def test_changing_a_quantity_returns_the_updated_cart(api, shopper, variant):
    _add(api, variant.pk)
    line = _line(shopper)

    response = api.patch(ITEM.format(id=line.pk), {"quantity": 3}, format="json")

    assert response.status_code == 200, response.content
    assert_matches_schema(response, ITEM, "patch")
    assert response.json()["totals"]["subtotal"] == "37.50"
    line.refresh_from_db()
    assert line.quantity == 3


def test_removing_a_line_empties_it_from_the_cart(api, shopper, variant):
    _add(api, variant.pk)
    response = api.delete(ITEM.format(id=_line(shopper).pk))
    assert response.status_code == 204
    assert api.get(CART).json()["lines"] == []


def test_another_users_line_is_a_404_and_stays_as_it_was(other_api, shopper, variant):
    line = CartLineFactory(cart=CartFactory(user=shopper), variant=variant, quantity=2)

    patch = other_api.patch(ITEM.format(id=line.pk), {"quantity": 1}, format="json")
    delete = other_api.delete(ITEM.format(id=line.pk))

    assert_error(patch, 404, code="not_found")
    assert_error(delete, 404, code="not_found")
    line.refresh_from_db()
    assert line.quantity == 2


@pytest.mark.parametrize("line_id", ["999999", "abc", "1.5", str(10**30)])
def test_an_unknown_line_is_a_404(api, line_id):
    response = api.patch(f"{ITEMS}{line_id}/", {"quantity": 1}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", CART), ("post", ITEMS), ("patch", ITEM.format(id=1)), ("delete", ITEM.format(id=1))],
)
def test_the_cart_needs_a_signed_in_user(anonymous, method, url):
    response = getattr(anonymous, method)(url, {"variant": 1, "quantity": 1}, format="json")
    assert_error(response, 401, code="not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_the_browser_session_can_use_the_cart_api_with_its_csrf_token(shopper, variant):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(shopper)

    assert_error(_add(client, variant.pk), 403)
    assert client.get(CART).json()["lines"] == []

    client.cookies["csrftoken"] = "a" * 32
    added = client.post(
        ITEMS, {"variant": variant.pk}, format="json", headers={"X-CSRFToken": "a" * 32}
    )
    assert added.status_code == 201, added.content
    assert len(client.get(CART).json()["lines"]) == 1


# Token and its user, the cart, its lines with variants and products, their cover images.
CART_QUERIES = 4


@pytest.mark.parametrize("count", [2, 20])
def test_reading_the_cart_runs_a_constant_number_of_queries(
    no_cache, django_assert_num_queries, count
):
    user = UserFactory()
    client = token_client(user)
    cart = CartFactory(user=user)
    for index in range(count):
        line = CartLineFactory(cart=cart, quantity=1)
        if index % 2:
            ProductImageFactory(product=line.variant.product)

    with django_assert_num_queries(CART_QUERIES):
        response = client.get(CART)

    assert len(response.json()["lines"]) == count


# Token and its user; the cart; the visible categories (from the cache in production) and
# the variant; the line, in one upsert (a concurrent add of the same variant adds to it);
# the cart's updated_at; then the answer: the lines with variants and products, their
# photos. The view's transaction is a savepoint in the test.
ADD_QUERIES = 10


@pytest.mark.parametrize("count", [2, 20])
def test_adding_to_the_cart_runs_a_constant_number_of_queries(
    no_cache, django_assert_num_queries, count
):
    user = UserFactory()
    client = token_client(user)
    cart = CartFactory(user=user)
    for _ in range(count):
        ProductImageFactory(product=CartLineFactory(cart=cart, quantity=1).variant.product)
    variant = VariantFactory(stock=5)

    with django_assert_num_queries(ADD_QUERIES):
        response = _add(client, variant.pk)

    assert response.status_code == 201, response.content
    assert len(response.json()["lines"]) == count + 1


def test_adding_a_sold_out_item_is_refused_before_anything_is_written(
    no_cache, django_assert_num_queries, shopper, variant
):
    client = token_client(shopper)
    CartFactory(user=shopper)
    Variant.objects.filter(pk=variant.pk).update(stock=0)

    # Token and its user; the cart; the visible categories and the variant; the view's
    # transaction (a savepoint in the test), rolled back. The line is not even looked at.
    with django_assert_num_queries(7) as captured:
        response = _add(client, variant.pk)

    assert_error(response, 400, field="quantity")
    assert "sold out" in response.json()["error"]["message"]
    writes = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SELECT")]
    assert all(sql.startswith(("SAVEPOINT", "ROLLBACK", "RELEASE")) for sql in writes), writes
    assert not CartLine.objects.exists()
