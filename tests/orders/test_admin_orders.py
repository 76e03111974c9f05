"""The order admin: pages render for staff only, the changelist, and what cannot be edited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.orders import services
from apps.orders.choices import FulfillmentStatus, OrderPaymentStatus
from apps.orders.models import Notification, Order
from apps.payments.models import Payment
from tests.factories import CartLineFactory, ShippingMethodFactory, UserFactory, VariantFactory
from tests.orders.support import ORDERS, _listed, _order

pytestmark = pytest.mark.django_db


# --- Pages render, and only for staff -------------------------------------------------


def test_every_buying_admin_page_renders_for_staff(staff_client):
    order = _order("paid", variant=VariantFactory(sku="MUG-RED", stock=5))
    payment = Payment.objects.get(order=order)
    notification = Notification.objects.filter(order=order).first()
    assert notification is not None
    method = ShippingMethodFactory(name="Next-day courier")
    cart_line = CartLineFactory(variant__sku="KETTLE-1", cart__user=UserFactory())
    pages = [
        (ORDERS, order.number),
        (reverse("admin:orders_order_change", args=[order.pk]), "Ada Lovelace"),
        (reverse("admin:orders_notification_changelist"), order.number),
        (reverse("admin:orders_notification_change", args=[notification.pk]), order.number),
        (reverse("admin:pricing_shippingmethod_changelist"), "Next-day courier"),
        (reverse("admin:pricing_shippingmethod_change", args=[method.pk]), "Next-day courier"),
        (reverse("admin:pricing_shippingmethod_add"), "Add shipping method"),
        (reverse("admin:payments_payment_changelist"), order.number),
        (reverse("admin:payments_payment_change", args=[payment.pk]), "4242"),
        (reverse("admin:cart_cart_changelist"), cart_line.cart.user.email),
        (reverse("admin:cart_cart_change", args=[cart_line.cart.pk]), "KETTLE-1"),
    ]
    for url, text in pages:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url


def test_the_order_page_shows_lines_history_with_actor_and_payments(staff_client, staff):
    order = _order("paid", variant=VariantFactory(sku="MUG-RED"), quantity=2)
    services.order_ship(order=order, carrier="DHL", tracking_number="JD0042", actor=staff)
    page = staff_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    for text in ["MUG-RED", "Shipped with DHL (JD0042)", staff.email, "visa •••• 4242", "N1 1AA"]:
        assert text in page
    assert 'name="payment_status"' not in page  # shown, never an input
    assert 'name="fulfillment_status"' not in page
    assert 'name="_save"' not in page


def test_buying_admin_pages_redirect_a_shopper_to_the_admin_login(client, shopper):
    client.force_login(shopper)
    for name in [
        "orders_order",
        "orders_notification",
        "pricing_shippingmethod",
        "payments_payment",
        "cart_cart",
    ]:
        response = client.get(reverse(f"admin:{name}_changelist"))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("admin:login")), name


# --- Order changelist: queries, columns, filters, search ------------------------------


def test_order_changelist_runs_the_same_queries_for_2_and_20_orders(
    staff_client, django_assert_num_queries
):
    def add_orders(count: int) -> None:
        for i in range(count):
            # Half signed in, half guests, so the customer column reads real users.
            _order(user=UserFactory() if i % 2 else None, quantity=2)

    add_orders(2)
    staff_client.get(ORDERS)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as two:
        staff_client.get(ORDERS)
    add_orders(18)
    with django_assert_num_queries(len(two.captured_queries)):
        response = staff_client.get(ORDERS)
    page = response.content.decode()
    for number in Order.objects.values_list("number", flat=True):
        assert number in page
    assert Order.objects.count() == 20


def test_order_changelist_shows_customer_type_total_and_item_count(staff_client):
    guest = _order(quantity=3)
    member = _order(user=UserFactory(first_name="Grace", last_name="Hopper"))
    response = staff_client.get(ORDERS)
    rows = {order.pk: order for order in response.context["cl"].result_list}
    assert rows[guest.pk].item_count == 3
    assert rows[member.pk].item_count == 1
    page = response.content.decode()
    assert "Guest" in page
    assert "Grace Hopper" in page
    assert f"?user__id__exact={member.user_id}" in page
    assert "€" in page


def test_order_changelist_filters_by_status_customer_date_and_account(staff_client):
    pending = _order()
    paid = _order("paid")
    member = UserFactory()
    registered = _order(user=member)
    old = _order()
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)

    assert _listed(staff_client.get(ORDERS, {"payment_status__exact": "paid"})) == {paid}
    assert _listed(staff_client.get(ORDERS, {"customer": "registered"})) == {registered}
    assert registered not in _listed(staff_client.get(ORDERS, {"customer": "guest"}))
    assert _listed(staff_client.get(ORDERS, {"user__id__exact": member.pk})) == {registered}
    recent = {
        "created_at__gte": str(midnight - timedelta(days=7)),
        "created_at__lt": str(midnight + timedelta(days=1)),
    }
    assert _listed(staff_client.get(ORDERS, recent)) == {pending, paid, registered}


def test_order_search_finds_orders_by_number_and_by_email(staff_client):
    wanted = _order(email="ada@example.com")
    other = _order(email="grace@example.com")
    assert _listed(staff_client.get(ORDERS, {"q": wanted.number})) == {wanted}
    assert _listed(staff_client.get(ORDERS, {"q": wanted.number[-5:].lower()})) == {wanted}
    assert _listed(staff_client.get(ORDERS, {"q": "grace@example"})) == {other}


# --- Orders change only through the actions --------------------------------------------


def test_order_status_cannot_be_changed_by_posting_the_change_form(staff_client):
    order = _order("paid")
    url = reverse("admin:orders_order_change", args=[order.pk])
    response = staff_client.post(
        url, {"fulfillment_status": "delivered", "total": "0.01", "_save": "Save"}
    )
    assert response.status_code == 403
    total = order.total
    order.refresh_from_db()
    assert (order.payment_status, order.total) == (OrderPaymentStatus.PAID, total)
    assert not order.events.filter(to_status=FulfillmentStatus.DELIVERED).exists()


def test_orders_cannot_be_added_or_deleted_in_the_admin(staff_client):
    order = _order()
    assert staff_client.get(reverse("admin:orders_order_add")).status_code == 403
    delete_url = reverse("admin:orders_order_delete", args=[order.pk])
    assert staff_client.post(delete_url, {"post": "yes"}).status_code == 403
    actions = dict(staff_client.get(ORDERS).context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    assert set(actions) >= {"mark_shipped", "cancel_orders", "resend_confirmation"}
    assert Order.objects.filter(pk=order.pk).exists()


def test_payments_notifications_and_carts_are_read_only(staff_client):
    order = _order("paid")
    payment = Payment.objects.get(order=order)
    cart = CartLineFactory().cart
    for name, pk in [
        ("payments_payment", payment.pk),
        ("orders_notification", order.notifications.first().pk),
        ("cart_cart", cart.pk),
    ]:
        assert staff_client.get(reverse(f"admin:{name}_add")).status_code == 403, name
        change = reverse(f"admin:{name}_change", args=[pk])
        assert staff_client.post(change, {"_save": "Save"}).status_code == 403, name
        delete = reverse(f"admin:{name}_delete", args=[pk])
        assert staff_client.post(delete, {"post": "yes"}).status_code == 403, name
    payment.refresh_from_db()
    assert payment.status == "captured"


def test_every_inline_on_the_order_page_is_read_only(staff_client):
    order = _order("paid")
    response = staff_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    formsets = response.context["inline_admin_formsets"]
    assert formsets
    for inline in formsets:
        assert not inline.has_add_permission
        assert not inline.has_change_permission
        assert not inline.has_delete_permission
