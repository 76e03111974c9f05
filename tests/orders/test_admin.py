"""The buying admin: orders, shipping methods, payments, e-mails and carts, as staff use them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.catalog.models import Variant
from apps.checkout.models import ShippingMethod
from apps.orders import admin as orders_admin
from apps.orders import services
from apps.orders.choices import NotificationKind, OrderStatus
from apps.orders.models import Notification, Order
from apps.payments.gateways.base import CardDetails
from apps.payments.gateways.simulated import SUCCESS_CARD
from apps.payments.models import Payment
from apps.payments.services import order_pay
from tests.factories import (
    CartFactory,
    CartLineFactory,
    ShippingMethodFactory,
    UserFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db

ADDRESS = services.ShippingAddress(
    full_name="Ada Lovelace",
    line1="1 Analytical Way",
    city="London",
    postal_code="N1 1AA",
    country="GB",
)
ORDERS = reverse("admin:orders_order_changelist")


@pytest.fixture
def staff_client(client: Client, staff: User) -> Client:
    client.force_login(staff)
    return client


def _order(
    status: OrderStatus = OrderStatus.PENDING_PAYMENT,
    *,
    variant: Variant | None = None,
    quantity: int = 1,
    email: str = "buyer@example.com",
    user: User | None = None,
) -> Order:
    """An order placed through checkout, then moved to `status` by the services."""
    cart = CartFactory()
    CartLineFactory(cart=cart, variant=variant or VariantFactory(stock=10), quantity=quantity)
    order = services.order_place(
        cart=cart,
        email=email,
        address=ADDRESS,
        shipping_method_id=ShippingMethodFactory().pk,
        user=user,
    )
    if status in {OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.DELIVERED}:
        card = CardDetails(number=SUCCESS_CARD, exp_month=12, exp_year=2099, cvc="123")
        order_pay(order=order, card=card)
    if status in {OrderStatus.FULFILLED, OrderStatus.DELIVERED}:
        services.order_ship(order=order, carrier="DHL", tracking_number="JD0001")
    if status == OrderStatus.DELIVERED:
        services.order_mark_delivered(order=order)
    if status == OrderStatus.CANCELLED:
        services.order_cancel(order=order)
    order.refresh_from_db()
    return order


def _act(client: Client, action: str, objects: list[Any], url: str = ORDERS, **data: Any):
    """Picks `action` for `objects` in the changelist, as the "Go" button posts it."""
    selected = [obj.pk for obj in objects]
    return client.post(
        url, {"action": action, ACTION_CHECKBOX_NAME: selected, "index": "0", **data}
    )


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


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _listed(response) -> set[Any]:
    return set(response.context["cl"].result_list)


# --- Pages render, and only for staff -------------------------------------------------


def test_every_buying_admin_page_renders_for_staff(staff_client):
    order = _order(OrderStatus.PAID, variant=VariantFactory(sku="MUG-RED", stock=5))
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
        (reverse("admin:checkout_shippingmethod_changelist"), "Next-day courier"),
        (reverse("admin:checkout_shippingmethod_change", args=[method.pk]), "Next-day courier"),
        (reverse("admin:checkout_shippingmethod_add"), "Add shipping method"),
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
    order = _order(OrderStatus.PAID, variant=VariantFactory(sku="MUG-RED"), quantity=2)
    services.order_ship(order=order, carrier="DHL", tracking_number="JD0042", actor=staff)
    page = staff_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    for text in ["MUG-RED", "Shipped with DHL (JD0042)", staff.email, "visa •••• 4242", "N1 1AA"]:
        assert text in page
    assert 'name="status"' not in page  # shown, never an input
    assert 'name="_save"' not in page


def test_buying_admin_pages_redirect_a_shopper_to_the_admin_login(client, shopper):
    client.force_login(shopper)
    for name in [
        "orders_order",
        "orders_notification",
        "checkout_shippingmethod",
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
    paid = _order(OrderStatus.PAID)
    member = UserFactory()
    registered = _order(user=member)
    old = _order()
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)

    assert _listed(staff_client.get(ORDERS, {"status__exact": "paid"})) == {paid}
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


# --- Mark shipped ---------------------------------------------------------------------


def test_mark_shipped_asks_for_tracking_then_ships_records_the_actor_and_emails_the_customer(
    staff_client, staff, django_capture_on_commit_callbacks
):
    first, second = _order(OrderStatus.PAID), _order(OrderStatus.PAID)
    page = _act(staff_client, "mark_shipped", [first, second])
    assert f"Tracking number for {first.number}" in page.content.decode()
    assert Order.objects.filter(status=OrderStatus.FULFILLED).count() == 0

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
    assert (first.status, first.carrier, first.tracking_number) == ("fulfilled", "DHL", "JD001")
    assert (second.status, second.tracking_number) == ("fulfilled", "JD002")
    event = first.events.get(to_status=OrderStatus.FULFILLED)
    assert (event.from_status, event.actor) == (OrderStatus.PAID, staff)
    shipped_mail = [m for m in mail.outbox if first.number in m.subject]
    assert len(shipped_mail) == 1
    assert "JD001" in shipped_mail[0].body
    assert any("Shipped 2 order(s)" in text for text in _messages(response))


def test_mark_shipped_skips_and_names_orders_that_are_not_paid(staff_client):
    paid = _order(OrderStatus.PAID)
    pending = _order()
    page = _act(staff_client, "mark_shipped", [paid, pending])
    assert f"{pending.number} (pending payment)" in page.content.decode()
    response = _submit(staff_client, page, carrier="UPS", **{f"tracking_{paid.pk}": "1Z999"})
    paid.refresh_from_db()
    pending.refresh_from_db()
    assert paid.status == OrderStatus.FULFILLED
    assert pending.status == OrderStatus.PENDING_PAYMENT
    assert pending.events.count() == 1  # only "placed"
    assert any(
        "not paid" in text and f"{pending.number} (pending payment)" in text
        for text in _messages(response)
    )


def test_mark_shipped_with_no_paid_order_changes_nothing_and_says_why(staff_client):
    pending, cancelled = _order(), _order(OrderStatus.CANCELLED)
    response = _act(staff_client, "mark_shipped", [pending, cancelled])
    assert response.status_code == 302
    [text] = _messages(response)
    assert "Nothing was shipped" in text
    assert pending.number in text
    assert cancelled.number in text
    assert set(Order.objects.values_list("status", flat=True)) == {"pending_payment", "cancelled"}


def test_mark_shipped_needs_a_carrier_and_a_tracking_number_for_every_order(staff_client):
    first, second = _order(OrderStatus.PAID), _order(OrderStatus.PAID)
    page = _act(staff_client, "mark_shipped", [first, second])
    response = _submit(staff_client, page, carrier="DHL", **{f"tracking_{first.pk}": "JD001"})
    assert response.status_code == 200
    assert response.context["form"].errors == {f"tracking_{second.pk}": ["This field is required."]}
    assert not Order.objects.filter(status=OrderStatus.FULFILLED).exists()


def test_an_action_on_more_orders_than_the_limit_changes_nothing(staff_client, monkeypatch):
    monkeypatch.setattr(orders_admin, "MAX_ORDERS_PER_ACTION", 2)
    orders = [_order() for _ in range(3)]
    response = _act(staff_client, "cancel_orders", orders[:1], select_across="1")
    assert response.status_code == 302
    assert "at most 2 orders" in _messages(response)[0]
    assert not Order.objects.filter(status=OrderStatus.CANCELLED).exists()


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
    assert order.status == OrderStatus.CANCELLED
    assert variant.stock == 10
    event = order.events.get(to_status=OrderStatus.CANCELLED)
    assert (event.actor, event.note) == (staff, "Customer asked by phone")
    assert any("Cancelled 1 order(s)" in text for text in _messages(first))

    again = _submit(staff_client, _act(staff_client, "cancel_orders", [order]))
    variant.refresh_from_db()
    assert variant.stock == 10
    assert order.events.filter(to_status=OrderStatus.CANCELLED).count() == 1
    assert _messages(again) == [f"Order {order.number} is cancelled and cannot be cancelled."]


def test_cancel_reports_each_order_that_cannot_be_cancelled_and_why(staff_client):
    pending = _order()
    shipped = _order(OrderStatus.FULFILLED)
    response = _submit(staff_client, _act(staff_client, "cancel_orders", [pending, shipped]))
    pending.refresh_from_db()
    shipped.refresh_from_db()
    assert pending.status == OrderStatus.CANCELLED
    assert shipped.status == OrderStatus.FULFILLED
    texts = _messages(response)
    assert f"Cancelled 1 order(s) and returned their stock: {pending.number}." in texts
    assert f"Order {shipped.number} is shipped and cannot be cancelled." in texts


def test_cancel_page_warns_that_paid_orders_will_be_refunded(staff_client):
    paid = _order(OrderStatus.PAID)
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
    cancelled = _order(OrderStatus.CANCELLED)
    response = _act(staff_client, "resend_confirmation", [cancelled])
    assert cancelled.notifications.filter(kind=NotificationKind.ORDER_CONFIRMATION).count() == 1
    assert _messages(response) == [f"Skipped 1 cancelled order(s): {cancelled.number}."]


def test_mark_delivered_moves_shipped_orders_and_names_the_ones_it_skipped(staff_client, staff):
    shipped, paid = _order(OrderStatus.FULFILLED), _order(OrderStatus.PAID)
    response = _act(staff_client, "mark_delivered", [shipped, paid])
    shipped.refresh_from_db()
    paid.refresh_from_db()
    assert shipped.status == OrderStatus.DELIVERED
    assert shipped.events.get(to_status=OrderStatus.DELIVERED).actor == staff
    assert paid.status == OrderStatus.PAID
    texts = _messages(response)
    assert f"Marked 1 order(s) delivered: {shipped.number}." in texts
    assert any(f"{paid.number} (paid)" in text for text in texts)


# --- Orders change only through the actions --------------------------------------------


def test_order_status_cannot_be_changed_by_posting_the_change_form(staff_client):
    order = _order(OrderStatus.PAID)
    url = reverse("admin:orders_order_change", args=[order.pk])
    response = staff_client.post(url, {"status": "delivered", "total": "0.01", "_save": "Save"})
    assert response.status_code == 403
    total = order.total
    order.refresh_from_db()
    assert (order.status, order.total) == (OrderStatus.PAID, total)
    assert not order.events.filter(to_status=OrderStatus.DELIVERED).exists()


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
    order = _order(OrderStatus.PAID)
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


# --- Shipping methods, payments, e-mails, carts ----------------------------------------


def test_staff_edit_shipping_prices_and_switch_methods_off_from_the_list(staff_client):
    method = ShippingMethodFactory(price=Decimal("4.90"), free_above=Decimal("50.00"))
    url = reverse("admin:checkout_shippingmethod_changelist")
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(method.pk),
        "form-0-price": "5.50",
        "form-0-free_above": "",
        "form-0-position": "3",
        "_save": "Save",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 302
    method.refresh_from_db()
    assert (method.price, method.free_above, method.is_active, method.position) == (
        Decimal("5.50"),
        None,
        False,
        3,
    )


def test_shipping_method_prices_cannot_be_negative(staff_client):
    url = reverse("admin:checkout_shippingmethod_add")
    response = staff_client.post(url, {"name": "Odd", "price": "-1.00", "position": "0"})
    assert response.status_code == 200
    assert "price" in response.context["adminform"].form.errors
    assert not ShippingMethod.objects.filter(name="Odd").exists()


def test_payments_are_found_by_order_number_or_reference_and_filtered_by_status(staff_client):
    paid = _order(OrderStatus.PAID)
    other = _order(OrderStatus.PAID)
    captured = Payment.objects.get(order=paid)
    declined = Payment.objects.create(
        order=other, gateway="othergate", reference="sim_ch_declined1", amount=other.total,
        status="declined", card_brand="visa", card_last4="0002",
    )  # fmt: skip
    url = reverse("admin:payments_payment_changelist")
    assert _listed(staff_client.get(url, {"q": paid.number})) == {captured}
    assert _listed(staff_client.get(url, {"q": "sim_ch_declined1"})) == {declined}
    assert _listed(staff_client.get(url, {"status__exact": "declined"})) == {declined}
    assert _listed(staff_client.get(url, {"gateway__exact": "othergate"})) == {declined}


def test_notifications_filter_by_sent_and_kind(staff_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent_order = _order()
    unsent_order = _order()  # its e-mail task never ran: still owed
    url = reverse("admin:orders_notification_changelist")
    unsent = _listed(staff_client.get(url, {"sent": "no"}))
    assert {n.order_id for n in unsent} == {unsent_order.pk}
    sent = _listed(staff_client.get(url, {"sent": "yes"}))
    assert {n.order_id for n in sent} == {sent_order.pk}
    confirmations = _listed(staff_client.get(url, {"kind__exact": "order_confirmation"}))
    assert len(confirmations) == 2


def test_sending_unsent_notifications_sends_each_one_once(staff_client):
    owed = _order(email="owed@example.com").notifications.get()
    done = _order(email="done@example.com").notifications.get()
    Notification.objects.filter(pk=done.pk).update(sent_at=timezone.now())
    url = reverse("admin:orders_notification_changelist")
    response = _act(staff_client, "resend_unsent", [owed, done], url=url)
    assert [m.to for m in mail.outbox] == [["owed@example.com"]]
    owed.refresh_from_db()
    assert owed.sent_at is not None
    texts = _messages(response)
    assert "Queued 1 unsent e-mail(s)." in texts
    assert any("Skipped 1 e-mail(s) that were already sent" in text for text in texts)

    _act(staff_client, "resend_unsent", [owed], url=url)
    assert len(mail.outbox) == 1


def test_cart_list_counts_items_and_tells_shoppers_from_anonymous_carts(staff_client):
    member = UserFactory(email="carol@example.com")
    line = CartLineFactory(cart__user=member, quantity=2)
    CartLineFactory(cart=line.cart, quantity=3)
    anonymous = CartLineFactory().cart
    url = reverse("admin:cart_cart_changelist")
    rows = {cart.pk: cart for cart in staff_client.get(url).context["cl"].result_list}
    assert rows[line.cart.pk].item_count == 5
    assert _listed(staff_client.get(url, {"shopper": "anonymous"})) == {anonymous}
    assert _listed(staff_client.get(url, {"q": "carol@"})) == {line.cart}


def _payments(count: int) -> None:
    for _ in range(count):
        _order(OrderStatus.PAID)


def _notifications(count: int) -> None:
    for _ in range(count):
        _order()


def _carts(count: int) -> None:
    for i in range(count):
        CartLineFactory(cart__user=UserFactory() if i % 2 else None)


def _shipping_methods(count: int) -> None:
    ShippingMethodFactory.create_batch(count)


@pytest.mark.parametrize(
    ("changelist", "make"),
    [
        ("payments_payment", _payments),
        ("orders_notification", _notifications),
        ("cart_cart", _carts),
        ("checkout_shippingmethod", _shipping_methods),
    ],
)
def test_other_buying_changelists_run_the_same_queries_for_2_and_20_rows(
    staff_client,
    django_assert_num_queries,
    changelist: str,
    make: Callable[[int], None],
):
    url = reverse(f"admin:{changelist}_changelist")
    make(2)
    staff_client.get(url)
    with CaptureQueriesContext(connection) as two:
        staff_client.get(url)
    make(18)
    with django_assert_num_queries(len(two.captured_queries)):
        response = staff_client.get(url)
    assert len(response.context["cl"].result_list) >= 20


def test_every_inline_on_the_order_page_is_read_only(staff_client):
    order = _order(OrderStatus.PAID)
    response = staff_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    formsets = response.context["inline_admin_formsets"]
    assert formsets
    for inline in formsets:
        assert not inline.has_add_permission
        assert not inline.has_change_permission
        assert not inline.has_delete_permission
