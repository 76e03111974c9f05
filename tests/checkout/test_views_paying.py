"""Paying for an order: card checks, no card kept, the pay and confirmation pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.payments.gateways.simulated import SUCCESS_CARD
from apps.payments.models import Payment
from tests.checkout.support import SUCCESS, _guest_order, _pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_pricing")]


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
