"""The rest of the buying admin: shipping methods, payments, e-mails and carts."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.orders.models import Notification
from apps.payments.models import Payment
from apps.pricing.models import ShippingMethod
from tests.factories import CartLineFactory, ShippingMethodFactory, UserFactory
from tests.orders.support import _act, _listed, _messages, _order

pytestmark = pytest.mark.django_db


def test_staff_edit_shipping_prices_and_switch_methods_off_from_the_list(staff_client):
    method = ShippingMethodFactory(price=Decimal("4.90"), free_above=Decimal("50.00"))
    url = reverse("admin:pricing_shippingmethod_changelist")
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
    url = reverse("admin:pricing_shippingmethod_add")
    response = staff_client.post(url, {"name": "Odd", "price": "-1.00", "position": "0"})
    assert response.status_code == 200
    assert "price" in response.context["adminform"].form.errors
    assert not ShippingMethod.objects.filter(name="Odd").exists()


def test_payments_are_found_by_order_number_or_reference_and_filtered_by_status(staff_client):
    paid = _order("paid")
    other = _order("paid")
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
        _order("paid")


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
        ("pricing_shippingmethod", _shipping_methods),
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
