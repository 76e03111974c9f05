"""Sale prices at checkout, units set aside, and the per-customer limit, under concurrency."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from apps.orders import services as orders
from apps.orders.models import Order
from apps.payments.gateways.simulated import SUCCESS_CARD
from apps.payments.services import order_pay
from apps.sales.models import Sale, SaleClaim, SaleCustomer, SaleItem
from apps.sales.selectors import sale_prices, schedule_forget
from apps.sales.services.claims import SaleLimitReached, SaleSoldOut, sale_release
from tests.concurrency import run_together
from tests.factories import (
    CartFactory,
    CartLineFactory,
    ShippingMethodFactory,
    UserFactory,
    VariantFactory,
)
from tests.payments.conftest import card

ADDRESS = orders.ShippingAddress(
    full_name="Ada Lovelace",
    line1="1 Analytical Way",
    city="London",
    postal_code="N1",
    country="GB",
)


@pytest.fixture(autouse=True)
def _fresh_schedule():
    schedule_forget()
    yield
    schedule_forget()


def _sale(variant, *, price="7.00", limit=None, units=None, starts=None, hours=2) -> SaleItem:
    starts = starts or timezone.now() - timedelta(minutes=5)
    sale = Sale.objects.create(
        name="Flash",
        slug=f"flash-{variant.pk}",
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        per_customer_limit=limit,
        scheduled_at=timezone.now() - timedelta(days=1),
    )
    schedule_forget()
    return SaleItem.objects.create(
        sale=sale, variant=variant, sale_price=Decimal(price), units=units
    )


def _place(variant, *, user=None, email="guest@example.com", quantity=1) -> Order:
    cart = CartFactory()
    CartLineFactory(cart=cart, variant=variant, quantity=quantity)
    return orders.order_place(
        cart=cart,
        email=email,
        address=ADDRESS,
        shipping_method_id=ShippingMethodFactory().pk,
        user=user,
    )


@pytest.mark.django_db
def test_an_order_in_a_live_sale_is_priced_at_the_sale_price():
    variant = VariantFactory(price=Decimal("10.00"), stock=10)
    _sale(variant, price="7.00")

    order = _place(variant, quantity=2)

    line = order.lines.get()
    assert (line.unit_price, line.line_total) == (Decimal("7.00"), Decimal("14.00"))
    assert SaleClaim.objects.get(order=order).units == 2


@pytest.mark.django_db
def test_the_sale_price_applies_from_the_first_second_to_the_last():
    variant = VariantFactory(price=Decimal("10.00"))
    starts = timezone.now() + timedelta(hours=1)
    item = _sale(variant, starts=starts, hours=1)

    assert sale_prices(variant_ids=[variant.pk], now=starts - timedelta(seconds=1)) == {}
    assert sale_prices(variant_ids=[variant.pk], now=starts)[variant.pk].price == item.sale_price
    last = item.sale.ends_at - timedelta(microseconds=1)
    assert sale_prices(variant_ids=[variant.pk], now=last)[variant.pk].price == item.sale_price
    assert sale_prices(variant_ids=[variant.pk], now=item.sale.ends_at) == {}


@pytest.mark.django_db
def test_an_order_placed_in_the_sale_keeps_the_sale_price_when_paid_after_the_end():
    variant = VariantFactory(price=Decimal("10.00"), stock=5)
    item = _sale(variant, price="6.00", hours=1)
    order = _place(variant)

    with time_machine.travel(item.sale.ends_at + timedelta(minutes=1)):
        schedule_forget()
        assert sale_prices(variant_ids=[variant.pk]) == {}
        order_pay(order=order, card=card(SUCCESS_CARD))

    order.refresh_from_db()
    assert order.lines.get().unit_price == Decimal("6.00")
    assert order.payments.get().amount == order.total
    assert order.payment_status == "paid"


@pytest.mark.django_db
def test_a_customer_past_the_limit_is_told_how_many_they_already_have():
    shopper = UserFactory()
    variant = VariantFactory(stock=10)
    _sale(variant, limit=2)
    _place(variant, user=shopper, email=shopper.email)

    with pytest.raises(SaleLimitReached) as refused:
        _place(variant, user=shopper, email=shopper.email, quantity=2)

    assert str(refused.value.message).startswith(
        "You can buy at most 2 of these in this sale; you have 1 already."
    )
    assert Order.objects.count() == 1
    assert SaleCustomer.objects.get().units == 1


@pytest.mark.django_db
def test_a_cancelled_order_gives_its_sale_units_back_exactly_once():
    shopper = UserFactory()
    variant = VariantFactory(stock=10)
    item = _sale(variant, limit=2, units=3)
    order = _place(variant, user=shopper, email=shopper.email, quantity=2)

    orders.order_cancel(order=order)
    assert sale_release(order_id=order.pk) == 0

    item.refresh_from_db()
    assert item.units_sold == 0
    assert SaleCustomer.objects.get().units == 0
    again = _place(variant, user=shopper, email=shopper.email, quantity=2)
    assert again.lines.get().unit_price == item.sale_price


@pytest.mark.django_db
def test_an_expired_order_gives_its_sale_units_back():
    variant = VariantFactory(stock=10)
    item = _sale(variant, units=1)
    order = _place(variant)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert orders.order_expire(order_id=order.pk)

    item.refresh_from_db()
    assert item.units_sold == 0


@pytest.mark.django_db
def test_when_the_units_set_aside_are_gone_the_variant_is_sold_out_in_the_sale():
    variant = VariantFactory(price=Decimal("10.00"), stock=10)
    _sale(variant, units=1)
    _place(variant, email="first@example.com")

    later = _place(variant, email="second@example.com")

    assert later.lines.get().unit_price == Decimal("10.00")
    assert not SaleClaim.objects.filter(order=later).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_checkouts_by_one_customer_with_a_limit_of_two_make_two_orders():
    shopper = UserFactory()
    variant = VariantFactory(stock=50)
    _sale(variant, limit=2)
    carts = []
    for _ in range(10):
        cart = CartFactory()
        CartLineFactory(cart=cart, variant=variant, quantity=1)
        carts.append(cart)
    method = ShippingMethodFactory()

    def checkout(cart):
        return lambda: orders.order_place(
            cart=cart,
            email=shopper.email,
            address=ADDRESS,
            shipping_method_id=method.pk,
            user=shopper,
        )

    placed, errors = run_together([checkout(cart) for cart in carts])

    assert len(placed) == 2
    assert len(errors) == 8
    assert all(isinstance(error, SaleLimitReached) for error in errors)
    assert Order.objects.filter(user=shopper).count() == 2
    assert SaleCustomer.objects.get().units == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_guests_sharing_an_email_are_one_customer_for_the_limit():
    variant = VariantFactory(stock=50)
    _sale(variant, limit=2)
    carts = []
    for _ in range(10):
        cart = CartFactory()
        CartLineFactory(cart=cart, variant=variant, quantity=1)
        carts.append(cart)
    method = ShippingMethodFactory()
    spellings = ["Guest@Example.com", " guest@example.com", "GUEST@EXAMPLE.COM "]

    def checkout(index, cart):
        return lambda: orders.order_place(
            cart=cart,
            email=spellings[index % 3],
            address=ADDRESS,
            shipping_method_id=method.pk,
        )

    placed, errors = run_together([checkout(i, cart) for i, cart in enumerate(carts)])

    assert len(placed) == 2
    assert all(isinstance(error, SaleLimitReached) for error in errors)
    assert SaleCustomer.objects.get().customer_key == "email:guest@example.com"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_units_set_aside_are_never_oversold_by_simultaneous_buyers():
    variant = VariantFactory(stock=50)
    item = _sale(variant, units=5)
    carts = []
    for _ in range(8):
        cart = CartFactory()
        CartLineFactory(cart=cart, variant=variant, quantity=1)
        carts.append(cart)
    method = ShippingMethodFactory()

    def checkout(index, cart):
        return lambda: orders.order_place(
            cart=cart, email=f"b{index}@example.com", address=ADDRESS, shipping_method_id=method.pk
        )

    placed, errors = run_together([checkout(i, cart) for i, cart in enumerate(carts)])

    item.refresh_from_db()
    assert item.units_sold == 5
    assert len(placed) == 5
    assert all(isinstance(error, SaleSoldOut) for error in errors)
    assert SaleClaim.objects.count() == 5


@pytest.mark.django_db
def test_the_checkout_page_says_how_many_the_customer_already_has(
    client, django_capture_on_commit_callbacks
):
    from tests.checkout import support as pages

    variant = VariantFactory(stock=10)
    _sale(variant, limit=2)
    _place(variant, email=pages.GUEST_DETAILS["email"], quantity=1)
    pages._add(client, variant, 2)
    pages._details(client, ShippingMethodFactory())

    response = pages._place(client, django_capture_on_commit_callbacks)

    assert response.url.endswith("/cart/")
    assert any("you have 1 already" in message for message in pages._messages(response))
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_the_api_refuses_past_the_limit_with_a_409(django_capture_on_commit_callbacks):
    from tests.api.support import assert_error, token_client

    shopper = UserFactory()
    variant = VariantFactory(stock=10)
    _sale(variant, limit=1)
    api = token_client(shopper)
    api.post("/api/v1/cart/items/", {"variant": variant.pk, "quantity": 2}, format="json")

    response = api.post(
        "/api/v1/checkout/",
        {"shipping_address": {**ADDRESS.__dict__}, "shipping_method": ShippingMethodFactory().pk},
        format="json",
        headers={"Idempotency-Key": "limit-1"},
    )

    error = assert_error(response, 409, code="sale_limit_reached")
    assert "at most 1" in error["message"]


@pytest.mark.django_db
def test_taking_the_last_sale_units_refreshes_cached_pages(django_capture_on_commit_callbacks):
    from apps.core.cache import namespace_version

    variant = VariantFactory(stock=10)
    _sale(variant, units=2)
    _place(variant, email="a@example.com")
    before = namespace_version("catalog")

    with django_capture_on_commit_callbacks(execute=True):
        _place(variant, email="b@example.com")

    assert namespace_version("catalog") != before
