"""At most one charge ever reaches the gateway for an order, whatever the clients send."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.orders import services
from apps.orders.models import Order
from apps.payments.gateways.base import CardDetails
from apps.payments.gateways.simulated import SUCCESS_CARD, SimulatedCardGateway
from apps.payments.models import Payment, PaymentStatus
from apps.payments.services import OrderNotPayable, order_pay
from tests.api.support import assert_error, token_client
from tests.concurrency import run_together
from tests.factories import CartFactory, CartLineFactory, ShippingMethodFactory, UserFactory

PAY = "/api/v1/orders/{number}/pay/"
ADDRESS = services.ShippingAddress(
    full_name="Ada Lovelace",
    line1="1 Analytical Way",
    city="London",
    postal_code="N1",
    country="GB",
)
CARD = {"card_number": SUCCESS_CARD, "exp_month": 12, "cvc": "123"}


def _order(user) -> Order:
    cart = CartFactory()
    CartLineFactory(cart=cart, quantity=1)
    return services.order_place(
        cart=cart,
        email=user.email,
        address=ADDRESS,
        shipping_method_id=ShippingMethodFactory().pk,
        user=user,
    )


@pytest.fixture
def charges(monkeypatch) -> Counter:
    """Counts the charges the gateway is asked for, each taking as long as a real one."""
    calls: Counter = Counter()
    charge = SimulatedCardGateway.charge

    def slow_charge(self, **kwargs):
        calls[kwargs["reference"]] += 1
        # A bank answers in a fraction of a second: long enough for a double click.
        time.sleep(0.2)
        return charge(self, **kwargs)

    monkeypatch.setattr(SimulatedCardGateway, "charge", slow_charge)
    return calls


def _card() -> dict:
    return {**CARD, "exp_year": timezone.now().year + 2}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("clients", [4, 6])
def test_simultaneous_pays_with_different_keys_charge_the_card_once(charges, clients):
    shopper = UserFactory()
    order = _order(shopper)
    apis = [token_client(shopper) for _ in range(clients)]

    def pay(index: int):
        return lambda: apis[index].post(
            PAY.format(number=order.number),
            _card(),
            format="json",
            headers={"Idempotency-Key": f"click-{index}"},
        )

    responses, errors = run_together([pay(i) for i in range(clients)])

    assert errors == []
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * (clients - 1)
    for response in responses:
        if response.status_code == 409:
            assert_error(response, 409, code="order_not_payable")
    assert charges[order.number] == 1
    assert list(order.payments.values_list("status", flat=True)) == [PaymentStatus.CAPTURED]


@pytest.mark.django_db
def test_a_pay_while_a_charge_is_in_flight_is_refused_without_asking_the_gateway(charges):
    shopper = UserFactory()
    order = _order(shopper)
    Payment.objects.create(
        order=order, gateway="simulated", amount=order.total, status=PaymentStatus.PROCESSING
    )

    response = token_client(shopper).post(
        PAY.format(number=order.number), _card(), format="json", headers={"Idempotency-Key": "k"}
    )

    error = assert_error(response, 409, code="order_not_payable")
    assert "in progress" in error["message"]
    assert charges[order.number] == 0


@pytest.mark.django_db
def test_a_paid_order_is_never_charged_again(charges):
    shopper = UserFactory()
    order = _order(shopper)
    card = CardDetails(number=SUCCESS_CARD, exp_month=12, exp_year=timezone.now().year + 2, cvc="1")
    order_pay(order=order, card=card)

    with pytest.raises(OrderNotPayable):
        order_pay(order=order, card=card)

    assert charges[order.number] == 1


@pytest.mark.django_db
def test_the_pay_page_says_a_payment_is_in_progress(client, charges):
    shopper = UserFactory()
    order = _order(shopper)
    client.force_login(shopper)
    Payment.objects.create(
        order=order, gateway="simulated", amount=order.total, status=PaymentStatus.PROCESSING
    )

    response = client.post(
        reverse("checkout:pay", args=[order.number]),
        {
            "card_number": SUCCESS_CARD,
            "exp_month": "12",
            "exp_year": str(timezone.now().year + 2),
            "cvc": "123",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert "in progress" in response.content.decode()
    assert charges[order.number] == 0
