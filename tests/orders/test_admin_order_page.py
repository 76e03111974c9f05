"""An order's own admin page: a button for each change, confirmed, with the result shown."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from apps.orders.choices import FulfillmentStatus, OrderPaymentStatus
from apps.orders.models import Order
from apps.payments.services import order_refund
from tests.factories import UserFactory, VariantFactory
from tests.orders.support import ORDERS, _messages, _order

pytestmark = pytest.mark.django_db


def _page(client, order: Order) -> str:
    return client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()


def _url(step: str, order: Order) -> str:
    return reverse(f"admin:orders_order_{step}", args=[order.pk])


def test_the_page_offers_only_the_buttons_the_order_allows(staff_client):
    paid, unpaid, shipped = _order("paid"), _order("unpaid"), _order("shipped")

    assert _url("ship", paid) in _page(staff_client, paid)
    assert _url("refund", paid) in _page(staff_client, paid)
    assert _url("cancel", paid) in _page(staff_client, paid)
    assert _url("ship", unpaid) not in _page(staff_client, unpaid)
    assert _url("refund", unpaid) not in _page(staff_client, unpaid)
    shipped_page = _page(staff_client, shipped)
    assert _url("deliver", shipped) in shipped_page
    assert _url("return", shipped) in shipped_page
    assert _url("cancel", shipped) not in shipped_page


def test_ship_asks_for_carrier_and_tracking_then_shows_the_result_on_the_order(
    staff_client, staff, django_capture_on_commit_callbacks
):
    order = _order("paid")
    confirm = staff_client.get(_url("ship", order))
    assert confirm.status_code == 200
    assert "Mark shipped" in confirm.content.decode()

    missing = staff_client.post(_url("ship", order), {"carrier": "DHL"})
    assert missing.status_code == 200
    assert "tracking_number" in missing.context["form"].errors
    with django_capture_on_commit_callbacks(execute=True):
        done = staff_client.post(_url("ship", order), {"carrier": "DHL", "tracking_number": "J1"})

    assert done.url == reverse("admin:orders_order_change", args=[order.pk])
    assert _messages(done) == [
        f"Shipped order {order.number} with DHL (J1); the customer was e-mailed."
    ]
    order.refresh_from_db()
    assert (order.fulfillment_status, order.tracking_number) == (FulfillmentStatus.SHIPPED, "J1")
    assert order.events.get(to_status="shipped").actor == staff
    assert any(order.number in message.subject for message in mail.outbox)


def test_deliver_and_return_move_only_the_parcel(staff_client):
    order = _order("shipped")

    staff_client.post(_url("deliver", order))
    staff_client.post(_url("return", order), {"note": "Wrong size"})

    order.refresh_from_db()
    assert (order.fulfillment_status, order.payment_status) == (
        FulfillmentStatus.RETURNED,
        OrderPaymentStatus.PAID,
    )
    assert order.events.get(to_status="returned").note == "Wrong size"


def test_cancel_of_a_paid_order_warns_then_refunds_and_returns_the_stock(staff_client):
    variant = VariantFactory(stock=10)
    order = _order("paid", variant=variant, quantity=2)

    confirm = staff_client.get(_url("cancel", order)).content.decode()
    assert "refunded in full" in confirm
    done = staff_client.post(_url("cancel", order), {"note": "Customer asked"})

    order.refresh_from_db()
    variant.refresh_from_db()
    assert (order.fulfillment_status, order.payment_status) == (
        FulfillmentStatus.CANCELLED,
        OrderPaymentStatus.REFUNDED,
    )
    assert variant.stock == 10
    assert _messages(done) == [
        f"Cancelled order {order.number} and returned its stock; "
        f"refunded {order.total} {order.currency}."
    ]


def test_a_button_that_no_longer_applies_changes_nothing_and_says_why(staff_client):
    order = _order("shipped")

    response = staff_client.post(_url("cancel", order), {"note": "Too late"})

    order.refresh_from_db()
    assert order.fulfillment_status == FulfillmentStatus.SHIPPED
    assert "does not apply to it now" in _messages(response)[0]


def test_resend_queues_the_confirmation_again(staff_client, django_capture_on_commit_callbacks):
    order = _order("paid")
    before = order.notifications.count()

    with django_capture_on_commit_callbacks(execute=True):
        done = staff_client.post(_url("resend", order))

    assert order.notifications.count() == before + 1
    assert f"queued to {order.email}" in _messages(done)[0]


def test_the_buttons_need_the_change_permission(client):
    viewer = UserFactory(is_staff=True)
    client.force_login(viewer)
    order = _order("paid")

    response = client.post(_url("ship", order), {"carrier": "DHL", "tracking_number": "1"})

    assert response.status_code in (302, 403)
    order.refresh_from_db()
    assert order.fulfillment_status == FulfillmentStatus.UNFULFILLED


# --- Export ---------------------------------------------------------------------------


def _export(client, **filters) -> list[list[str]]:
    response = client.get(reverse("admin:orders_order_export"), filters)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_export_is_the_filtered_list_with_states_totals_and_lines(staff_client, staff):
    shipped = _order("shipped", variant=VariantFactory(sku="MUG-RED"), quantity=2)
    order_refund(order=shipped, amount=Decimal("1.00"), reason="Dent", actor=staff)
    _order("unpaid")

    rows = _export(staff_client, fulfillment_status__exact="shipped")

    header, *orders = rows
    assert header[:6] == [
        "number",
        "placed_at",
        "customer",
        "email",
        "payment_status",
        "fulfillment_status",
    ]
    assert len(orders) == 1
    row = dict(zip(header, orders[0], strict=True))
    shipped.refresh_from_db()
    assert row["number"] == shipped.number
    assert (row["payment_status"], row["fulfillment_status"]) == ("partially_refunded", "shipped")
    assert row["total"] == str(shipped.total)
    assert row["tax"] == str(shipped.tax_total)
    assert row["lines"].startswith("2 x MUG-RED")


def test_the_export_escapes_cells_a_spreadsheet_would_run(staff_client):
    _order("paid", email="=cmd@example.com", user=UserFactory(first_name="@SUM(1)"))

    (_, row) = _export(staff_client)

    assert "'=cmd@example.com" in row
    assert not any(cell[:1] in "=+-@" for cell in row if cell)


def test_the_export_reads_orders_in_chunks_with_their_lines(
    staff_client, django_assert_max_num_queries
):
    for _ in range(3):
        _order("paid")

    with django_assert_max_num_queries(12):
        rows = _export(staff_client)

    assert len(rows) == 4


def test_the_order_list_links_to_the_export_with_its_filters(staff_client):
    page = staff_client.get(ORDERS, {"payment_status__exact": "paid"}).content.decode()

    assert reverse("admin:orders_order_export") + "?payment_status__exact=paid" in page
