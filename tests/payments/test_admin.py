"""Refunds and webhook events in the admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.catalog.models import Variant
from apps.orders.choices import FulfillmentStatus, OrderPaymentStatus
from apps.payments.models import Payment, Refund, WebhookEvent

pytestmark = pytest.mark.django_db


def test_staff_refund_part_of_an_order_with_a_restock(client, staff, paid_order):
    line = paid_order.lines.get()
    stock_before = Variant.objects.get(pk=line.variant_id).stock
    client.force_login(staff)
    url = reverse("admin:orders_order_refund", args=[paid_order.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "can still be refunded" in page.content.decode()
    response = client.post(
        url, {"amount": "50.00", "reason": "One arrived broken", f"restock_{line.pk}": "1"}
    )
    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.actor, refund.reason) == (
        Decimal("50.00"),
        staff,
        "One arrived broken",
    )
    paid_order.refresh_from_db()
    assert paid_order.payment_status == OrderPaymentStatus.PARTIALLY_REFUNDED
    assert Variant.objects.get(pk=line.variant_id).stock == stock_before + 1


def test_a_refund_above_what_is_left_shows_a_form_error(client, staff, paid_order):
    client.force_login(staff)
    response = client.post(
        reverse("admin:orders_order_refund", args=[paid_order.pk]),
        {"amount": "150.00", "reason": "Too much"},
    )
    assert response.status_code == 200
    assert "can still be refunded" in response.content.decode()
    assert "At most" in response.content.decode() or "Only 100.00" in response.content.decode()
    assert not Refund.objects.exists()
    assert Payment.objects.get(order=paid_order).refunded_amount == 0


def test_restocking_more_than_was_bought_is_a_form_error(client, staff, paid_order):
    line = paid_order.lines.get()
    client.force_login(staff)
    response = client.post(
        reverse("admin:orders_order_refund", args=[paid_order.pk]),
        {"amount": "10.00", "reason": "x", f"restock_{line.pk}": str(line.quantity + 1)},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Refund.objects.exists()


def test_cancelling_a_paid_order_in_the_admin_refunds_it_in_full(client, staff, paid_order):
    client.force_login(staff)
    client.post(
        reverse("admin:orders_order_changelist"),
        {
            "action": "cancel_orders",
            "_selected_action": [paid_order.pk],
            "apply": "yes",
            "note": "Out of stock at the warehouse",
        },
    )
    paid_order.refresh_from_db()
    assert paid_order.fulfillment_status == FulfillmentStatus.CANCELLED
    assert Payment.objects.get(order=paid_order).refunded_amount == paid_order.total
    assert Refund.objects.get().reason == "Out of stock at the warehouse"


def test_the_order_page_links_to_refund_and_invoice(client, staff, paid_order):
    client.force_login(staff)
    body = client.get(reverse("admin:orders_order_change", args=[paid_order.pk])).content.decode()
    assert reverse("admin:orders_order_refund", args=[paid_order.pk]) in body
    assert reverse("orders:invoice", args=[paid_order.number]) in body


def test_refund_and_webhook_lists_render_and_flagged_events_can_be_filtered(
    client, staff, paid_order
):
    WebhookEvent.objects.create(
        event_id="evt_flag",
        kind="charge.succeeded",
        payload={},
        needs_attention=True,
        note="Check me",
    )
    client.force_login(staff)
    assert client.get(reverse("admin:payments_refund_changelist")).status_code == 200
    flagged = client.get(
        reverse("admin:payments_webhookevent_changelist"), {"needs_attention__exact": "1"}
    )
    assert flagged.status_code == 200
    assert "evt_flag" in flagged.content.decode()
