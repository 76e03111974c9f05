"""The place-order form submitted twice at the same instant, against real PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from apps.orders.models import Order
from tests.concurrency import run_together
from tests.factories import ShippingMethodFactory, VariantFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_place_order_form_submitted_twice_at_once_creates_one_order(client):
    variant = VariantFactory(stock=10, price=Decimal("12.50"))
    method = ShippingMethodFactory()
    client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": "2"})
    client.post(
        reverse("checkout:details"),
        {
            "email": "guest@example.com",
            "full_name": "Ada Lovelace",
            "line1": "1 Analytical Way",
            "city": "London",
            "postal_code": "N1 1AA",
            "country": "GB",
            "shipping_method": method.pk,
        },
    )
    form = client.get(reverse("checkout:review")).context["form"]
    data = {"token": form.initial["token"], "digest": form.initial["digest"]}

    def submitter() -> Callable[[], str]:
        # A double click: two requests from one browser, with its session and cart cookies.
        twin = Client()
        twin.cookies = copy.deepcopy(client.cookies)
        return lambda: twin.post(reverse("checkout:place"), data).url

    urls, errors = run_together([submitter(), submitter()])
    assert errors == []
    order = Order.objects.get()
    assert urls == [reverse("checkout:pay", args=[order.number])] * 2
    variant.refresh_from_db()
    assert variant.stock == 8
