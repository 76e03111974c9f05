"""Vouchers: clear refusals, exact use limits under concurrency, uses given back once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.cart.services import cart_apply_voucher
from apps.orders import services as orders
from apps.orders.models import Order
from apps.vouchers.models import Voucher, VoucherRedemption
from apps.vouchers.services import VoucherInvalid, voucher_codes_generate, voucher_release
from tests.concurrency import run_together
from tests.factories import (
    CartFactory,
    CartLineFactory,
    ShippingMethodFactory,
    VariantFactory,
    VoucherFactory,
)

ADDRESS = orders.ShippingAddress(
    full_name="Ada Lovelace", line1="1 Way", city="London", postal_code="N1", country="GB"
)


def _cart(price: str = "40.00", quantity: int = 1, code: str = ""):
    cart = CartFactory(voucher_code=code)
    CartLineFactory(
        cart=cart, variant=VariantFactory(price=Decimal(price), stock=100), quantity=quantity
    )
    return cart


def _place(cart, email="buyer@example.com", user=None) -> Order:
    method = ShippingMethodFactory(price=Decimal("5.00"), free_above=None)
    return orders.order_place(
        cart=cart, email=email, address=ADDRESS, shipping_method_id=method.pk, user=user
    )


@pytest.mark.django_db
def test_a_percentage_voucher_discounts_the_goods_not_the_shipping():
    VoucherFactory(code="TEN", kind="percentage", value=Decimal("10"))
    order = _place(_cart("40.00", code="TEN"))
    assert (order.subtotal, order.discount_total, order.shipping_total, order.total) == (
        Decimal("40.00"),
        Decimal("4.00"),
        Decimal("5.00"),
        Decimal("41.00"),
    )
    assert order.voucher_redemption.amount == Decimal("4.00")
    assert Voucher.objects.get(code="TEN").times_used == 1


@pytest.mark.django_db
def test_a_fixed_voucher_never_takes_the_goods_below_zero():
    VoucherFactory(code="BIG", kind="fixed", value=Decimal("100.00"))
    order = _place(_cart("40.00", code="BIG"))
    assert order.discount_total == Decimal("40.00")
    assert order.total == Decimal("5.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("voucher", "message"),
    [
        ({"code": "OLD", "valid_until": timezone.now() - timedelta(days=1)}, "expired"),
        ({"code": "SOON", "valid_from": timezone.now() + timedelta(days=1)}, "starts on"),
        ({"code": "OFF", "is_active": False}, "doesn't exist"),
        ({"code": "MIN", "min_spend": Decimal("50.00")}, "add 10.00 more"),
        ({"code": "GONE", "usage_limit": 1, "times_used": 1}, "used up"),
    ],
)
def test_unusable_vouchers_are_refused_with_a_clear_message(voucher, message):
    VoucherFactory(**voucher)
    cart = _cart("40.00")
    with pytest.raises(VoucherInvalid, match=message):
        cart_apply_voucher(cart=cart, code=voucher["code"].lower())
    cart.voucher_code = voucher["code"]
    with pytest.raises(VoucherInvalid, match=message):
        _place(cart)
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_an_unknown_code_is_refused():
    with pytest.raises(VoucherInvalid, match="doesn't exist"):
        cart_apply_voucher(cart=_cart(), code="NOPE")


@pytest.mark.django_db
def test_once_per_customer_is_by_e_mail_for_guests():
    VoucherFactory(code="ONCE", once_per_customer=True)
    _place(_cart(code="ONCE"), email="ann@example.com")
    with pytest.raises(VoucherInvalid, match="already used"):
        _place(_cart(code="ONCE"), email="ANN@example.com")
    _place(_cart(code="ONCE"), email="bob@example.com")
    assert Voucher.objects.get(code="ONCE").times_used == 2


@pytest.mark.django_db
def test_once_per_customer_is_by_account_for_signed_in_shoppers(shopper):
    VoucherFactory(code="ONCE", once_per_customer=True)
    _place(_cart(code="ONCE"), email="a@example.com", user=shopper)
    with pytest.raises(VoucherInvalid, match="already used"):
        _place(_cart(code="ONCE"), email="b@example.com", user=shopper)


@pytest.mark.django_db
def test_a_cancelled_order_gives_its_use_back_exactly_once():
    VoucherFactory(code="LIMITED", usage_limit=1, once_per_customer=True)
    order = _place(_cart(code="LIMITED"))
    assert Voucher.objects.get(code="LIMITED").uses_left == 0
    orders.order_cancel(order=order)
    assert voucher_release(order_id=order.pk) is False
    voucher = Voucher.objects.get(code="LIMITED")
    assert (voucher.times_used, voucher.uses_left) == (0, 1)
    # The same customer may use it again now that the first use was given back.
    _place(_cart(code="LIMITED"))
    assert Voucher.objects.get(code="LIMITED").times_used == 1


@pytest.mark.django_db
def test_an_expired_order_gives_its_use_back():
    VoucherFactory(code="LIMITED", usage_limit=1)
    order = _place(_cart(code="LIMITED"))
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert orders.order_expire(order_id=order.pk) is True
    assert orders.order_expire(order_id=order.pk) is False
    assert Voucher.objects.get(code="LIMITED").times_used == 0


@pytest.mark.django_db
def test_bulk_generated_codes_are_unique_and_share_terms():
    vouchers = voucher_codes_generate(
        prefix="spring", count=50, kind="fixed", value=Decimal("5.00"), usage_limit=1
    )
    codes = {v.code for v in vouchers}
    assert len(codes) == 50
    assert all(code.startswith("SPRING-") for code in codes)
    assert Voucher.objects.filter(code__in=codes, usage_limit=1).count() == 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_checkouts_for_five_uses_left_use_it_exactly_five_times():
    VoucherFactory(code="FLASH", usage_limit=8, times_used=3)
    carts = [_cart(code="FLASH") for _ in range(20)]
    method = ShippingMethodFactory()
    jobs = [
        lambda cart=cart, n=n: orders.order_place(
            cart=cart, email=f"b{n}@example.com", address=ADDRESS, shipping_method_id=method.pk
        )
        for n, cart in enumerate(carts)
    ]
    results, errors = run_together(jobs)
    assert len(results) == 5
    assert len(errors) == 15
    assert all(isinstance(error, VoucherInvalid) for error in errors)
    assert Voucher.objects.get(code="FLASH").times_used == 8
    assert VoucherRedemption.objects.count() == Order.objects.count() == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_once_per_customer_holds_across_simultaneous_checkouts():
    VoucherFactory(code="ONCE", once_per_customer=True)
    carts = [_cart(code="ONCE") for _ in range(6)]
    method = ShippingMethodFactory()
    jobs = [
        lambda cart=cart: orders.order_place(
            cart=cart, email="same@example.com", address=ADDRESS, shipping_method_id=method.pk
        )
        for cart in carts
    ]
    results, errors = run_together(jobs)
    assert len(results) == 1
    assert all(isinstance(error, VoucherInvalid) for error in errors)
    assert Voucher.objects.get(code="ONCE").times_used == 1
