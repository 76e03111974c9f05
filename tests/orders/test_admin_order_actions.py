"""The order admin's actions: mark shipped, cancel, resend confirmation, mark delivered."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.core import mail
from django.test import Client

from apps.orders import admin as orders_admin
from apps.orders.choices import FulfillmentStatus, NotificationKind, OrderPaymentStatus
from apps.orders.models import Order
from tests.factories import VariantFactory
from tests.orders.support import ORDERS, _act, _messages, _order

pytestmark = pytest.mark.django_db


class _HiddenInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        fields = dict(attrs)
        if tag == "input" and fields.get("type") == "hidden" and fields.get("name"):
            self.data.setdefault(str(fields["name"]), []).append(fields.get("value") or "")


def _submit(client: Client, page, **fields: str):
    """Submits the form of an intermediate action page with its hidden inputs and `fields`."""
    assert page.status_code == 200
    parser = _HiddenInputs()
    parser.feed(page.content.decode())
    return client.post(ORDERS, {**parser.data, **fields})


# --- Mark shipped ---------------------------------------------------------------------


def test_mark_shipped_asks_for_tracking_then_ships_records_the_actor_and_emails_the_customer(
    staff_client, staff, django_capture_on_commit_callbacks
):
    first, second = _order("paid"), _order("paid")
    page = _act(staff_client, "mark_shipped", [first, second])
    assert f"Tracking number for {first.number}" in page.content.decode()
    assert Order.objects.filter(fulfillment_status=FulfillmentStatus.SHIPPED).count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(
            staff_client,
            page,
            carrier="DHL",
            **{f"tracking_{first.pk}": "JD001", f"tracking_{second.pk}": "JD002"},
        )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.fulfillment_status, first.carrier, first.tracking_number) == (
        "shipped",
        "DHL",
        "JD001",
    )
    assert (second.fulfillment_status, second.tracking_number) == ("shipped", "JD002")
    event = first.events.get(to_status=FulfillmentStatus.SHIPPED)
    assert (event.from_status, event.actor) == (FulfillmentStatus.UNFULFILLED, staff)
    shipped_mail = [m for m in mail.outbox if first.number in m.subject]
    assert len(shipped_mail) == 1
    assert "JD001" in shipped_mail[0].body
    assert any("Shipped 2 order(s)" in text for text in _messages(response))


def test_mark_shipped_skips_and_names_orders_that_are_not_paid(staff_client):
    paid = _order("paid")
    pending = _order()
    page = _act(staff_client, "mark_shipped", [paid, pending])
    assert f"{pending.number} (unpaid)" in page.content.decode()
    response = _submit(staff_client, page, carrier="UPS", **{f"tracking_{paid.pk}": "1Z999"})
    paid.refresh_from_db()
    pending.refresh_from_db()
    assert paid.fulfillment_status == FulfillmentStatus.SHIPPED
    assert pending.payment_status == OrderPaymentStatus.UNPAID
    assert pending.events.count() == 1  # only "placed"
    assert any(
        "not paid" in text and f"{pending.number} (unpaid)" in text for text in _messages(response)
    )


def test_mark_shipped_with_no_paid_order_changes_nothing_and_says_why(staff_client):
    pending, cancelled = _order(), _order("cancelled")
    response = _act(staff_client, "mark_shipped", [pending, cancelled])
    assert response.status_code == 302
    [text] = _messages(response)
    assert "Nothing was shipped" in text
    assert pending.number in text
    assert cancelled.number in text
    assert set(Order.objects.values_list("fulfillment_status", flat=True)) == {
        "unfulfilled",
        "cancelled",
    }


def test_mark_shipped_needs_a_carrier_and_a_tracking_number_for_every_order(staff_client):
    first, second = _order("paid"), _order("paid")
    page = _act(staff_client, "mark_shipped", [first, second])
    response = _submit(staff_client, page, carrier="DHL", **{f"tracking_{first.pk}": "JD001"})
    assert response.status_code == 200
    assert response.context["form"].errors == {f"tracking_{second.pk}": ["This field is required."]}
    assert not Order.objects.filter(fulfillment_status=FulfillmentStatus.SHIPPED).exists()


def test_an_action_on_more_orders_than_the_limit_changes_nothing(staff_client, monkeypatch):
    monkeypatch.setattr(orders_admin, "MAX_ORDERS_PER_ACTION", 2)
    orders = [_order() for _ in range(3)]
    response = _act(staff_client, "cancel_orders", orders[:1], select_across="1")
    assert response.status_code == 302
    assert "at most 2 orders" in _messages(response)[0]
    assert not Order.objects.filter(fulfillment_status=FulfillmentStatus.CANCELLED).exists()


# --- Cancel ---------------------------------------------------------------------------


def test_cancel_returns_stock_once_even_when_the_action_runs_twice(staff_client, staff):
    variant = VariantFactory(stock=10)
    order = _order(variant=variant, quantity=3)
    variant.refresh_from_db()
    assert variant.stock == 7

    page = _act(staff_client, "cancel_orders", [order])
    assert "Cancel 1 order(s)" in page.content.decode()
    first = _submit(staff_client, page, note="Customer asked by phone")
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.fulfillment_status == FulfillmentStatus.CANCELLED
    assert variant.stock == 10
    event = order.events.get(to_status=FulfillmentStatus.CANCELLED)
    assert (event.actor, event.note) == (staff, "Customer asked by phone")
    assert any("Cancelled 1 order(s)" in text for text in _messages(first))

    again = _submit(staff_client, _act(staff_client, "cancel_orders", [order]))
    variant.refresh_from_db()
    assert variant.stock == 10
    assert order.events.filter(to_status=FulfillmentStatus.CANCELLED).count() == 1
    assert _messages(again) == [f"Order {order.number} is cancelled and cannot be cancelled."]


def test_cancel_reports_each_order_that_cannot_be_cancelled_and_why(staff_client):
    pending = _order()
    shipped = _order("shipped")
    response = _submit(staff_client, _act(staff_client, "cancel_orders", [pending, shipped]))
    pending.refresh_from_db()
    shipped.refresh_from_db()
    assert pending.fulfillment_status == FulfillmentStatus.CANCELLED
    assert shipped.fulfillment_status == FulfillmentStatus.SHIPPED
    texts = _messages(response)
    assert f"Cancelled 1 order(s) and returned their stock: {pending.number}." in texts
    assert f"Order {shipped.number} is shipped and cannot be cancelled." in texts


def test_cancel_page_warns_that_paid_orders_will_be_refunded(staff_client):
    paid = _order("paid")
    page = _act(staff_client, "cancel_orders", [paid, _order()])
    assert "cancelling refunds what their customers paid" in page.content.decode()
    assert paid.number in page.content.decode()


def test_cancelling_emails_the_customer(staff_client, django_capture_on_commit_callbacks):
    order = _order()
    page = _act(staff_client, "cancel_orders", [order])
    with django_capture_on_commit_callbacks(execute=True):
        _submit(staff_client, page)
    assert [m.subject for m in mail.outbox] == [f"Order {order.number} was cancelled"]


# --- Resend confirmation and mark delivered --------------------------------------------


def test_resend_confirmation_sends_a_second_confirmation_email(
    staff_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = _order(email="ada@example.com")
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(staff_client, "resend_confirmation", [order])
    assert [m.subject for m in mail.outbox] == [f"Your order {order.number}"] * 2
    assert mail.outbox[1].to == ["ada@example.com"]
    assert order.notifications.filter(kind=NotificationKind.ORDER_CONFIRMATION).count() == 2
    assert _messages(response) == [f"Confirmation e-mail queued for 1 order(s): {order.number}."]


def test_resend_confirmation_skips_cancelled_orders(staff_client):
    cancelled = _order("cancelled")
    response = _act(staff_client, "resend_confirmation", [cancelled])
    assert cancelled.notifications.filter(kind=NotificationKind.ORDER_CONFIRMATION).count() == 1
    assert _messages(response) == [f"Skipped 1 cancelled order(s): {cancelled.number}."]


def test_mark_delivered_moves_shipped_orders_and_names_the_ones_it_skipped(staff_client, staff):
    shipped, paid = _order("shipped"), _order("paid")
    response = _act(staff_client, "mark_delivered", [shipped, paid])
    shipped.refresh_from_db()
    paid.refresh_from_db()
    assert shipped.fulfillment_status == FulfillmentStatus.DELIVERED
    assert shipped.events.get(to_status=FulfillmentStatus.DELIVERED).actor == staff
    assert paid.payment_status == OrderPaymentStatus.PAID
    texts = _messages(response)
    assert f"Marked 1 order(s) delivered: {shipped.number}." in texts
    assert any(f"{paid.number} (paid)" in text for text in texts)
