"""Vouchers on the API: PUT/DELETE /cart/voucher/, refusals under `voucher`, checked at checkout."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.cart.models import Cart
from apps.catalog.models import Variant
from apps.orders import services as orders
from apps.orders.models import Order
from apps.pricing.models import ShippingMethod
from apps.vouchers.models import Voucher, VoucherRedemption
from tests.api.support import assert_error, assert_matches_schema, token_client
from tests.factories import (
    CartFactory,
    CartLineFactory,
    ShippingMethodFactory,
    VariantFactory,
    VoucherFactory,
)

VOUCHER = "/api/v1/cart/voucher/"
CART = "/api/v1/cart/"
CHECKOUT = "/api/v1/checkout/"
ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "1 Analytical Way",
    "city": "London",
    "postal_code": "N1 1AA",
    "country": "GB",
}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pricing(settings) -> None:
    settings.SHOP_TAX_RATE = Decimal("0.20")
    settings.SHOP_PRICES_INCLUDE_TAX = True


@pytest.fixture
def api(shopper: User) -> APIClient:
    return token_client(shopper)


@pytest.fixture
def variant(db: None) -> Variant:
    return VariantFactory(price=Decimal("12.50"), stock=5)


@pytest.fixture
def shipping(db: None) -> ShippingMethod:
    return ShippingMethodFactory(price=Decimal("4.90"), free_above=None)


@pytest.fixture
def cart(shopper: User, variant: Variant) -> Cart:
    """The shopper's cart: two of the variant, 25.00 of goods."""
    cart = CartFactory(user=shopper)
    CartLineFactory(cart=cart, variant=variant, quantity=2)
    return cart


@pytest.fixture
def ten(db: None) -> Voucher:
    return VoucherFactory(code="TEN", kind="percentage", value=Decimal("10"))


def _put(client: APIClient, body: Any):
    return client.put(VOUCHER, body, format="json")


def _checkout(client: APIClient, shipping: ShippingMethod):
    return client.post(
        CHECKOUT, {"shipping_address": ADDRESS, "shipping_method": shipping.pk}, format="json"
    )


# Applying ---------------------------------------------------------------------------------


def test_applying_a_valid_code_answers_with_the_cart_and_its_discount(api, cart, ten):
    response = _put(api, {"code": " ten "})

    assert response.status_code == 200, response.content
    assert_matches_schema(response, VOUCHER, "put")
    body = response.json()
    assert (body["voucher_code"], body["voucher_problem"]) == ("TEN", "")
    assert body["totals"]["subtotal"] == "25.00"
    assert body["totals"]["discount"] == "2.50"
    assert body["totals"]["total"] == "22.50"
    cart.refresh_from_db()
    assert cart.voucher_code == "TEN"


def test_reading_the_cart_shows_the_kept_code_and_its_discount(api, cart, ten):
    _put(api, {"code": "TEN"})
    response = api.get(CART)
    assert_matches_schema(response, CART)
    body = response.json()
    assert (body["voucher_code"], body["totals"]["discount"]) == ("TEN", "2.50")


def test_a_cart_without_a_code_has_an_empty_code_and_no_discount(api, cart):
    body = api.get(CART).json()
    assert (body["voucher_code"], body["voucher_problem"]) == ("", "")
    assert body["totals"]["discount"] == "0.00"


def test_another_code_replaces_the_kept_one(api, cart, ten):
    VoucherFactory(code="FIVE", kind="fixed", value=Decimal("5.00"))
    _put(api, {"code": "TEN"})
    body = _put(api, {"code": "FIVE"}).json()
    assert (body["voucher_code"], body["totals"]["discount"]) == ("FIVE", "5.00")


def test_applying_with_no_cart_yet_keeps_the_code_on_a_new_cart(api, shopper, ten):
    response = _put(api, {"code": "TEN"})
    assert response.status_code == 200
    assert response.json()["lines"] == []
    assert Cart.objects.get(user=shopper).voucher_code == "TEN"


REFUSALS = [
    pytest.param({"code": "NOPE"}, None, "voucher_invalid", "doesn't exist", id="unknown"),
    pytest.param(
        {"code": "OFF"}, {"is_active": False}, "voucher_invalid", "doesn't exist", id="inactive"
    ),
    pytest.param(
        {"code": "OLD"},
        {"valid_until": timezone.now() - timedelta(days=1)},
        "voucher_invalid",
        "That voucher has expired.",
        id="expired",
    ),
    pytest.param(
        {"code": "SOON"},
        {"valid_from": timezone.now() + timedelta(days=2)},
        "voucher_invalid",
        "That voucher starts on",
        id="not-yet-valid",
    ),
    pytest.param(
        {"code": "MIN50"},
        {"min_spend": Decimal("50.00")},
        "voucher_invalid",
        "That voucher needs a minimum spend of 50.00; add 25.00 more.",
        id="below-minimum",
    ),
    pytest.param(
        {"code": "GONE"},
        {"usage_limit": 2, "times_used": 2},
        "voucher_invalid",
        "That voucher has been used up.",
        id="used-up",
    ),
    pytest.param({}, None, "invalid", "Enter a voucher code.", id="missing"),
    pytest.param({"code": ""}, None, "invalid", "Enter a voucher code.", id="blank"),
    pytest.param({"code": "   "}, None, "invalid", "Enter a voucher code.", id="spaces"),
    pytest.param({"code": None}, None, "invalid", "Enter a voucher code.", id="null"),
    pytest.param({"code": "X" * 41}, None, "invalid", "doesn't exist", id="too-long"),
    pytest.param({"code": ["TEN"]}, None, "invalid", "Not a valid string.", id="not-a-string"),
    pytest.param(["TEN"], None, "invalid", "Invalid data.", id="not-an-object"),
]


@pytest.mark.parametrize(("body", "terms", "code", "message"), REFUSALS)
def test_every_refusal_is_a_400_under_voucher_and_changes_nothing(
    api, cart, ten, body, terms, code, message
):
    if terms is not None:
        VoucherFactory(code=body["code"], **terms)
    _put(api, {"code": "TEN"})

    response = _put(api, body)

    error = assert_error(response, 400, code=code, field="voucher")
    assert_matches_schema(response, VOUCHER, "put")
    [reason] = error["fields"]["voucher"]
    assert message in reason
    cart.refresh_from_db()
    assert cart.voucher_code == "TEN"
    assert not VoucherRedemption.objects.exists()


def test_a_code_the_shopper_already_used_is_refused(api, shopper, cart):
    VoucherFactory(code="ONCE", once_per_customer=True)
    earlier = CartFactory(voucher_code="ONCE")
    CartLineFactory(cart=earlier, variant=VariantFactory(price=Decimal("30.00")))
    orders.order_place(
        cart=earlier,
        email="elsewhere@example.com",
        address=orders.ShippingAddress(**ADDRESS),
        shipping_method_id=ShippingMethodFactory().pk,
        user=shopper,
    )

    response = _put(api, {"code": "once"})

    error = assert_error(response, 400, code="voucher_invalid", field="voucher")
    assert error["fields"]["voucher"] == ["You have already used that voucher."]
    cart.refresh_from_db()
    assert cart.voucher_code == ""


def test_a_refused_code_with_no_cart_yet_leaves_no_cart_behind(api, shopper):
    assert_error(_put(api, {"code": "NOPE"}), 400, field="voucher")
    assert not Cart.objects.filter(user=shopper).exists()


def test_a_kept_code_that_stopped_applying_is_explained_and_gives_no_discount(api, cart, ten):
    _put(api, {"code": "TEN"})
    Voucher.objects.filter(pk=ten.pk).update(usage_limit=0)

    body = api.get(CART).json()

    assert body["voucher_code"] == "TEN"
    assert body["voucher_problem"] == "That voucher has been used up."
    assert body["totals"]["discount"] == "0.00"
    assert body["totals"]["total"] == "25.00"


# Removing ---------------------------------------------------------------------------------


def test_removing_the_code_answers_with_the_cart_without_a_discount(api, cart, ten):
    _put(api, {"code": "TEN"})

    response = api.delete(VOUCHER)

    assert response.status_code == 200
    assert_matches_schema(response, VOUCHER, "delete")
    body = response.json()
    assert (body["voucher_code"], body["totals"]["discount"]) == ("", "0.00")
    cart.refresh_from_db()
    assert cart.voucher_code == ""


def test_removing_when_there_is_no_code_or_no_cart_changes_nothing(api, shopper):
    assert api.delete(VOUCHER).status_code == 200
    assert not Cart.objects.filter(user=shopper).exists()


def test_the_voucher_endpoint_needs_a_signed_in_caller(cart, ten):
    anonymous = APIClient()
    assert_error(_put(anonymous, {"code": "TEN"}), 401)
    assert_error(anonymous.delete(VOUCHER), 401)
    cart.refresh_from_db()
    assert cart.voucher_code == ""


def test_one_shopper_s_code_does_not_touch_another_shopper_s_cart(api, cart, ten, other_shopper):
    theirs = CartFactory(user=other_shopper, voucher_code="")
    _put(api, {"code": "TEN"})
    token_client(other_shopper).delete(VOUCHER)
    cart.refresh_from_db()
    theirs.refresh_from_db()
    assert (cart.voucher_code, theirs.voucher_code) == ("TEN", "")


# Checkout ---------------------------------------------------------------------------------


def test_checkout_with_a_code_records_the_discount_and_one_use(api, cart, ten, shipping):
    _put(api, {"code": "TEN"})

    response = _checkout(api, shipping)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["subtotal"], body["discount_total"], body["total"]) == (
        "25.00",
        "2.50",
        "27.40",
    )
    order = Order.objects.get(number=body["number"])
    assert order.discount_total == Decimal("2.50")
    redemption = VoucherRedemption.objects.get()
    assert (redemption.order, redemption.amount) == (order, Decimal("2.50"))
    assert redemption.customer_key == f"user:{order.user_id}"
    assert Voucher.objects.get(pk=ten.pk).times_used == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            {"valid_until": timezone.now() - timedelta(seconds=1)},
            "That voucher has expired.",
            id="expired",
        ),
        pytest.param({"usage_limit": 0}, "That voucher has been used up.", id="used-up"),
        pytest.param({"is_active": False}, "That voucher code doesn't exist.", id="deactivated"),
    ],
)
def test_checkout_with_a_code_that_stopped_applying_is_a_400_and_takes_nothing(
    api, cart, ten, shipping, variant, change, message
):
    _put(api, {"code": "TEN"})
    Voucher.objects.filter(pk=ten.pk).update(**change)

    response = _checkout(api, shipping)

    error = assert_error(response, 400, code="voucher_invalid", field="voucher")
    assert error["fields"]["voucher"] == [message]
    assert not Order.objects.exists()
    assert not VoucherRedemption.objects.exists()
    variant.refresh_from_db()
    assert variant.stock == 5
    cart.refresh_from_db()
    assert (cart.voucher_code, cart.lines.count()) == ("TEN", 1)


# Documentation ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_voucher_endpoint_is_documented_with_the_shared_error_shape(schema):
    item = schema["paths"][VOUCHER]
    assert set(item) == {"put", "delete"}
    assert item["put"]["summary"]
    assert item["delete"]["summary"]
    body = item["put"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schema["components"]["schemas"][body.rsplit("/", 1)[1]]["required"] == ["code"]
    for method, status in (("put", "400"), ("put", "401"), ("delete", "401")):
        response = item[method]["responses"][status]["content"]["application/json"]
        assert response["schema"]["$ref"] == "#/components/schemas/Error"
    cart = schema["components"]["schemas"]["Cart"]
    assert {"voucher_code", "voucher_problem"} <= set(cart["required"])
