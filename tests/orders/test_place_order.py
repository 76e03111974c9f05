"""Placing orders: prices from the database, stock that never oversells, idempotency."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from apps.catalog.models import StockMovement, Variant
from apps.orders import services
from apps.orders.choices import FulfillmentStatus, OrderPaymentStatus
from apps.orders.models import Notification, Order
from apps.orders.tasks import expire_unpaid_orders, sweep_notifications
from apps.payments.gateways.base import CardDetails
from apps.payments.gateways.simulated import SUCCESS_CARD
from apps.payments.services import OrderNotPayable, order_pay
from tests.concurrency import run_together
from tests.factories import CartFactory, CartLineFactory, ShippingMethodFactory, VariantFactory

ADDRESS = services.ShippingAddress(
    full_name="Ada Lovelace",
    line1="1 Analytical Way",
    city="London",
    postal_code="N1 1AA",
    country="GB",
)


def _cart_with(*lines: tuple[Variant, int]):
    cart = CartFactory()
    for variant, quantity in lines:
        CartLineFactory(cart=cart, variant=variant, quantity=quantity)
    return cart


def _place(cart, method, **kwargs) -> Order:
    return services.order_place(
        cart=cart,
        email="buyer@example.com",
        address=ADDRESS,
        shipping_method_id=method.pk,
        **kwargs,
    )


@pytest.mark.django_db
def test_placing_an_order_takes_stock_and_freezes_current_prices():
    method = ShippingMethodFactory(price=Decimal("4.90"), free_above=None)
    variant = VariantFactory(price=Decimal("10.00"), stock=5)
    cart = _cart_with((variant, 2))
    # The price changed after the shopper added it: the order charges today's price.
    Variant.objects.filter(pk=variant.pk).update(price=Decimal("12.50"))
    order = _place(cart, method)
    variant.refresh_from_db()
    assert variant.stock == 3
    line = order.lines.get()
    assert (line.unit_price, line.quantity, line.line_total) == (
        Decimal("12.50"),
        2,
        Decimal("25.00"),
    )
    assert (order.subtotal, order.shipping_total, order.total) == (
        Decimal("25.00"),
        Decimal("4.90"),
        Decimal("29.90"),
    )
    assert order.tax_total == Decimal("4.98")  # 20% included in 29.90
    assert order.payment_status == OrderPaymentStatus.UNPAID
    assert not cart.lines.exists()
    assert StockMovement.objects.get(variant=variant).note == f"Order {order.number}"


@pytest.mark.django_db
def test_shipping_is_free_above_the_threshold():
    method = ShippingMethodFactory(price=Decimal("4.90"), free_above=Decimal("20.00"))
    order = _place(_cart_with((VariantFactory(price=Decimal("25.00")), 1)), method)
    assert order.shipping_total == Decimal("0.00")
    assert order.total == Decimal("25.00")


@pytest.mark.django_db
def test_an_empty_cart_cannot_be_ordered():
    with pytest.raises(services.CheckoutError, match="empty"):
        _place(CartFactory(), ShippingMethodFactory())


@pytest.mark.django_db
def test_not_enough_stock_rolls_everything_back():
    method = ShippingMethodFactory()
    plenty = VariantFactory(stock=10)
    scarce = VariantFactory(stock=1)
    cart = _cart_with((plenty, 2), (scarce, 2))
    with pytest.raises(services.OutOfStock, match="sold out while you were checking out"):
        _place(cart, method)
    plenty.refresh_from_db()
    assert plenty.stock == 10
    assert not Order.objects.exists()
    assert cart.lines.count() == 2


@pytest.mark.django_db
def test_the_same_checkout_token_places_one_order():
    method = ShippingMethodFactory()
    variant = VariantFactory(stock=5)
    cart = _cart_with((variant, 1))
    first = _place(cart, method, checkout_token="tok-1")
    CartLineFactory(cart=cart, variant=variant, quantity=1)  # e.g. the back button, then resubmit
    second = _place(cart, method, checkout_token="tok-1")
    assert first.pk == second.pk
    assert Order.objects.count() == 1
    variant.refresh_from_db()
    assert variant.stock == 4


@pytest.mark.django_db
def test_expiry_cancels_unpaid_orders_and_returns_stock_exactly_once():
    variant = VariantFactory(stock=5)
    order = _place(_cart_with((variant, 3)), ShippingMethodFactory())
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert expire_unpaid_orders() == 1
    assert expire_unpaid_orders() == 0
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.fulfillment_status == FulfillmentStatus.CANCELLED
    assert variant.stock == 5
    assert list(order.events.values_list("state", "to_status")) == [
        ("", "placed"),
        ("fulfillment", "cancelled"),
    ]


@pytest.mark.django_db
def test_orders_not_yet_due_are_left_alone_by_expiry():
    variant = VariantFactory(stock=5)
    order = _place(_cart_with((variant, 1)), ShippingMethodFactory())
    assert expire_unpaid_orders() == 0
    order.refresh_from_db()
    assert order.payment_status == OrderPaymentStatus.UNPAID


@pytest.mark.django_db
def test_order_confirmation_email_is_sent_once_even_if_the_task_runs_twice(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        order = _place(_cart_with((VariantFactory(stock=5), 1)), ShippingMethodFactory())
    notification = Notification.objects.get(order=order)
    from apps.orders.tasks import send_notification

    assert send_notification(notification.pk) is False  # already sent by the on-commit task
    assert len(mail.outbox) == 1
    assert order.number in mail.outbox[0].subject
    assert mail.outbox[0].to == ["buyer@example.com"]


@pytest.mark.django_db
def test_broker_down_at_order_time_the_order_stands_and_the_email_goes_out_later(
    dead_broker, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        order = _place(_cart_with((VariantFactory(stock=5), 1)), ShippingMethodFactory())
    assert Order.objects.filter(pk=order.pk).exists()
    notification = Notification.objects.get(order=order)
    assert notification.sent_at is None
    assert mail.outbox == []

    dead_broker.restore()  # the broker is back; the periodic sweep finds the owed e-mail
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert sweep_notifications() == 1
    assert sweep_notifications() == 0
    assert len(mail.outbox) == 1
    assert order.number in mail.outbox[0].subject


# --- Under real concurrency (PostgreSQL) -------------------------------------------------

concurrent = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _buyers(variant: Variant, count: int, method, buy=None):
    carts = [_cart_with((variant, 1)) for _ in range(count)]
    buy = buy or (lambda cart: _place(cart, method))
    return [lambda cart=cart: buy(cart) for cart in carts]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_forty_buyers_for_the_last_ten_units_make_exactly_ten_orders():
    method = ShippingMethodFactory()
    variant = VariantFactory(stock=10)
    results, errors = run_together(_buyers(variant, 40, method))
    variant.refresh_from_db()
    assert variant.stock == 0
    assert len(results) == Order.objects.count() == 10
    assert len(errors) == 30
    assert all(isinstance(error, services.OutOfStock) for error in errors)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_stock_partly_held_by_unpaid_orders_is_not_sold_again():
    method = ShippingMethodFactory()
    variant = VariantFactory(stock=16)
    held = [_place(_cart_with((variant, 2)), method) for _ in range(3)]  # 6 units held, unpaid
    results, _errors = run_together(_buyers(variant, 40, method))
    variant.refresh_from_db()
    assert variant.stock == 0
    assert len(results) == 10
    assert Order.objects.filter(payment_status=OrderPaymentStatus.UNPAID).count() == 13
    assert all(o.lines.get().quantity == 2 for o in held)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_test_catches_overselling_in_a_naive_read_then_write_checkout():
    """Control: the same harness against a deliberately naive checkout does oversell."""
    variant = VariantFactory(stock=10)
    everyone_has_read = threading.Barrier(40)

    def naive_buy(cart):
        current = Variant.objects.get(pk=variant.pk)
        everyone_has_read.wait()  # make the race certain: all read before anyone writes
        if current.stock >= 1:
            current.stock -= 1
            current.save(update_fields=["stock"])
            return "sold"
        raise services.OutOfStock("sold out")

    results, _errors = run_together(_buyers(variant, 40, None, buy=naive_buy))
    variant.refresh_from_db()
    assert results.count("sold") > 10  # more sales than there were units: an oversell
    assert variant.stock == 9


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_carts_holding_the_same_variants_in_opposite_order_never_deadlock():
    method = ShippingMethodFactory()
    first, second = VariantFactory(stock=100), VariantFactory(stock=100)
    jobs = []
    for n in range(20):
        pair = (first, second) if n % 2 else (second, first)
        cart = _cart_with((pair[0], 1), (pair[1], 1))
        jobs.append(lambda cart=cart: _place(cart, method))
    _results, errors = run_together(jobs)
    assert errors == []
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.stock, second.stock) == (80, 80)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_form_at_the_same_instant_places_one_order():
    method = ShippingMethodFactory()
    variant = VariantFactory(stock=10)
    cart = _cart_with((variant, 2))
    results, errors = run_together([lambda: _place(cart, method, checkout_token="same")] * 2)
    assert errors == []
    assert len({order.pk for order in results}) == 1
    variant.refresh_from_db()
    assert variant.stock == 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(5))
def test_payment_racing_expiry_ends_paid_or_cancelled_never_both(round_):
    method = ShippingMethodFactory()
    variant = VariantFactory(stock=5)
    order = _place(_cart_with((variant, 2)), method)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    card = CardDetails(number=SUCCESS_CARD, exp_month=12, exp_year=2099, cvc="123")

    def pay():
        return order_pay(order=Order.objects.get(pk=order.pk), card=card)

    def expire():
        return services.order_expire(order_id=order.pk)

    results, errors = run_together([pay, expire])
    order.refresh_from_db()
    variant.refresh_from_db()
    assert all(isinstance(error, OrderNotPayable) for error in errors)
    if order.payment_status == OrderPaymentStatus.PAID:
        assert variant.stock == 3  # kept by the paid order
        assert errors == []
        assert False in results  # expiry lost
    else:
        assert order.fulfillment_status == FulfillmentStatus.CANCELLED
        assert variant.stock == 5  # returned exactly once
        assert order.payments.exclude(status="refunded").filter(status="captured").count() == 0
    statuses = list(order.events.values_list("to_status", flat=True))
    assert statuses.count("paid") + statuses.count("cancelled") == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_checkouts_of_the_same_cart_at_once_place_one_order():
    method = ShippingMethodFactory()
    variant = VariantFactory(stock=10)
    cart = _cart_with((variant, 2))
    results, errors = run_together([lambda: _place(cart, method)] * 2)
    assert len(results) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], services.CheckoutError)
    assert "empty" in errors[0].message
    variant.refresh_from_db()
    assert variant.stock == 8
