"""Helpers for the checkout page tests: a guest's details, cards, and each step as posted."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from apps.catalog.models import Variant
from apps.orders.models import Order
from apps.payments.gateways.simulated import DECLINE_CARD
from apps.pricing.models import ShippingMethod

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
