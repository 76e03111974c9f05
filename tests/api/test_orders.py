"""Orders on the API: owner only, paged newest first, paid by card without keeping it."""

from __future__ import annotations

import logging
import sys
from datetime import timedelta

import pytest
from django.core import mail
from django.core.signals import got_request_exception
from django.utils import timezone
from django.views.debug import ExceptionReporter

from apps.accounts.models import User
from apps.core.models import IdempotencyRecord
from apps.orders import services
from apps.orders.api import views as order_views
from apps.orders.choices import FulfillmentStatus, OrderPaymentStatus
from apps.orders.models import Order
from apps.payments.gateways.simulated import DECLINE_CARD, SUCCESS_CARD
from apps.payments.models import Payment
from tests.api.support import assert_error, assert_matches_schema, token_client
from tests.factories import (
    AddressFactory,
    CartFactory,
    CartLineFactory,
    ShippingMethodFactory,
    UserFactory,
)

ORDERS = "/api/v1/orders/"
ORDER = "/api/v1/orders/{number}/"
PAY = "/api/v1/orders/{number}/pay/"
ADDRESS = services.ShippingAddress(
    full_name="Ada Lovelace",
    line1="1 Analytical Way",
    city="London",
    postal_code="N1",
    country="GB",
)

pytestmark = pytest.mark.django_db


def _card(number: str = SUCCESS_CARD, **extra) -> dict:
    return {
        "card_number": number,
        "exp_month": 12,
        "exp_year": timezone.now().year + 2,
        "cvc": "123",
        **extra,
    }


def _order(user: User, variant=None, quantity: int = 1) -> Order:
    cart = CartFactory()
    CartLineFactory(cart=cart, quantity=quantity, **({"variant": variant} if variant else {}))
    return services.order_place(
        cart=cart,
        email=user.email,
        address=ADDRESS,
        shipping_method_id=ShippingMethodFactory().pk,
        user=user,
    )


def _pay(client, order: Order, card: dict, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(PAY.format(number=order.number), card, format="json", headers=headers)


# --- reading -------------------------------------------------------------------------------


def test_the_list_shows_only_my_orders_newest_first(api, shopper, other_shopper):
    older, newer = _order(shopper), _order(shopper)
    Order.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))
    _order(other_shopper)

    response = api.get(ORDERS)

    assert response.status_code == 200
    assert_matches_schema(response, ORDERS)
    body = response.json()
    assert [o["number"] for o in body["results"]] == [newer.number, older.number]
    assert body["results"][0]["url"] == f"http://testserver{ORDER.format(number=newer.number)}"
    assert len(body["results"][0]["lines"]) == 1


def test_the_list_pages_by_cursor_without_skipping_or_repeating(api, shopper):
    numbers = {_order(shopper).number for _ in range(23)}
    first = api.get(ORDERS).json()
    second = api.get(first["next"]).json()
    seen = [o["number"] for o in first["results"] + second["results"]]
    assert (len(first["results"]), len(second["results"])) == (20, 3)
    assert sorted(seen) == sorted(numbers)
    assert second["next"] is None


def test_an_order_shows_lines_totals_history_and_shipping(api, shopper, variant):
    order = _order(shopper, variant, 2)

    response = api.get(ORDER.format(number=order.number))

    assert response.status_code == 200
    assert_matches_schema(response, "/api/v1/orders/{number}/")
    body = response.json()
    assert body["lines"][0]["unit_price"] == "12.50"
    assert body["lines"][0]["line_total"] == "25.00"
    assert body["total"] == str(order.total)
    assert body["shipping_address"]["postal_code"] == "N1"
    assert body["events"][0]["note"] == "Order placed"
    assert body["payable"] is True


def test_another_users_order_is_a_404_like_one_that_does_not_exist(other_api, shopper):
    order = _order(shopper)
    assert_error(other_api.get(ORDER.format(number=order.number)), 404, code="not_found")
    assert_error(other_api.get(ORDER.format(number="SF-NOPE1234")), 404, code="not_found")
    assert_error(_pay(other_api, order, _card()), 404, code="not_found")
    assert not Payment.objects.exists()
    order.refresh_from_db()
    assert order.payment_status == OrderPaymentStatus.UNPAID


def test_orders_need_a_signed_in_user(anonymous, shopper):
    order = _order(shopper)
    assert_error(anonymous.get(ORDERS), 401)
    assert_error(anonymous.get(ORDER.format(number=order.number)), 401)
    assert_error(_pay(anonymous, order, _card()), 401)


def test_orders_are_read_only_on_the_api(api, shopper):
    order = _order(shopper)
    url = ORDER.format(number=order.number)
    assert api.patch(url, {"status": "paid", "total": "0.00"}, format="json").status_code == 405
    assert api.delete(url).status_code == 405
    assert api.post(ORDERS, {}, format="json").status_code == 405
    order.refresh_from_db()
    assert order.payment_status == OrderPaymentStatus.UNPAID


# --- paying --------------------------------------------------------------------------------


def test_the_success_card_pays_the_order_and_only_brand_and_last4_come_back(api, shopper):
    order = _order(shopper)

    response = _pay(api, order, _card(f"{SUCCESS_CARD[:4]} {SUCCESS_CARD[4:]}"))

    assert response.status_code == 200, response.content
    assert_matches_schema(response, "/api/v1/orders/{number}/pay/", "post")
    body = response.json()
    assert (body["payment_status"], body["fulfillment_status"], body["payable"]) == (
        OrderPaymentStatus.PAID,
        FulfillmentStatus.UNFULFILLED,
        False,
    )
    assert body["payments"] == [
        {
            "created_at": body["payments"][0]["created_at"],
            "status": "captured",
            "amount": str(order.total),
            "card_brand": "visa",
            "card_last4": "4242",
            "message": "",
        }
    ]
    assert SUCCESS_CARD not in response.content.decode()


def test_the_decline_card_leaves_the_order_pending_and_payable_again(api, shopper):
    order = _order(shopper)

    declined = _pay(api, order, _card(DECLINE_CARD))

    assert_error(declined, 402, code="payment_declined")
    order.refresh_from_db()
    assert order.payment_status == OrderPaymentStatus.UNPAID
    assert api.get(ORDER.format(number=order.number)).json()["payable"] is True

    paid = _pay(api, order, _card())
    assert paid.status_code == 200
    assert [p["status"] for p in paid.json()["payments"]] == ["captured", "declined"]


def test_a_paid_or_cancelled_order_is_not_payable(api, shopper):
    paid = _order(shopper)
    assert _pay(api, paid, _card()).status_code == 200
    assert_error(_pay(api, paid, _card()), 409, code="order_not_payable")

    cancelled = services.order_cancel(order=_order(shopper))
    assert_error(_pay(api, cancelled, _card()), 409, code="order_not_payable")
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("card", "field"),
    [
        (_card("4242424242424241"), "card_number"),  # fails the Luhn check
        (_card("4242-abcd-4242-4242"), "card_number"),
        (_card("42424242"), "card_number"),
        (_card("424242424242424²"), "card_number"),
        (_card("٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢"), "card_number"),
        (_card(exp_year=2099), "exp_year"),
        (_card(exp_month=13), "exp_month"),
        (_card(exp_year=2001), "exp_year"),
        (_card(cvc="12"), "cvc"),
        ({"card_number": SUCCESS_CARD}, "cvc"),
    ],
)
def test_malformed_card_details_are_a_400_that_never_repeats_the_number(api, shopper, card, field):
    order = _order(shopper)
    response = _pay(api, order, card)
    assert_error(response, 400, field=field)
    assert card["card_number"] not in response.content.decode()
    assert not Payment.objects.exists()


def test_a_card_that_expired_last_month_is_refused(api, shopper):
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    card = _card(exp_month=last_month.month, exp_year=last_month.year)
    assert_error(_pay(api, _order(shopper), card), 400, field="exp_year")


def test_card_details_must_come_as_json(api, shopper):
    order = _order(shopper)
    response = api.post(PAY.format(number=order.number), _card())  # multipart
    assert response.status_code == 415
    assert not Payment.objects.exists()


def test_the_card_number_reaches_no_log_no_stored_response_and_no_row(api, shopper, caplog):
    order = _order(shopper)
    with caplog.at_level(logging.DEBUG):
        _pay(api, order, _card(DECLINE_CARD), key="pay-1")
        _pay(api, order, _card(), key="pay-2")

    assert caplog.records
    for number in (SUCCESS_CARD, DECLINE_CARD):
        assert number not in caplog.text
        for record in IdempotencyRecord.objects.all():
            assert number not in f"{record.fingerprint} {record.response_body}"
        for payment in Payment.objects.values():
            assert number not in str(payment)


def test_paying_with_the_same_key_twice_charges_once(api, shopper):
    order = _order(shopper)

    first = _pay(api, order, _card(), key="pay-once")
    again = _pay(api, order, _card(), key="pay-once")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


def test_a_decline_is_replayed_for_its_key_and_another_card_needs_a_new_key(api, shopper):
    order = _order(shopper)
    declined = _pay(api, order, _card(DECLINE_CARD), key="try-1")
    assert_error(declined, 402)
    assert _pay(api, order, _card(DECLINE_CARD), key="try-1").json() == declined.json()
    assert_error(_pay(api, order, _card(), key="try-1"), 422, code="idempotency_key_reused")
    assert Payment.objects.count() == 1

    assert _pay(api, order, _card(), key="try-2").status_code == 200


# --- the whole journey ---------------------------------------------------------------------


def test_the_whole_journey_on_the_api(anonymous, shopper, password, variant, shipping):
    token = anonymous.post(
        "/api/v1/auth/token/", {"email": shopper.email, "password": password}, format="json"
    ).json()["token"]
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client = anonymous

    added = client.post(
        "/api/v1/cart/items/", {"variant": variant.pk, "quantity": 2}, format="json"
    )
    assert added.status_code == 201
    [method] = client.get("/api/v1/shipping-methods/").json()
    placed = client.post(
        "/api/v1/checkout/",
        {
            "shipping_address": {
                "full_name": "Ada Lovelace",
                "line1": "1 Analytical Way",
                "city": "London",
                "postal_code": "N1 1AA",
                "country": "GB",
            },
            "shipping_method": method["id"],
        },
        format="json",
        headers={"Idempotency-Key": "journey-checkout"},
    )
    assert placed.status_code == 201, placed.content
    number = placed.json()["number"]

    assert_error(_pay(client, Order.objects.get(), _card(DECLINE_CARD), key="j-1"), 402)
    assert client.get(ORDER.format(number=number)).json()["payment_status"] == "unpaid"
    paid = _pay(client, Order.objects.get(), _card(), key="j-2")
    assert paid.status_code == 200

    listing = client.get(ORDERS).json()["results"]
    detail = client.get(ORDER.format(number=number)).json()
    assert [(o["number"], o["payment_status"]) for o in listing] == [(number, "paid")]
    assert (detail["payment_status"], detail["fulfillment_status"]) == ("paid", "unfulfilled")
    assert detail["total"] == "29.90"
    assert [(e["state"], e["to_status"]) for e in detail["events"]] == [
        ("", "placed"),
        ("payment", "paid"),
    ]
    assert [(p["status"], p["card_last4"]) for p in detail["payments"]] == [
        ("captured", "4242"),
        ("declined", "0002"),
    ]
    assert client.get("/api/v1/cart/").json()["lines"] == []
    variant.refresh_from_db()
    assert variant.stock == 3


def test_the_journey_sends_the_confirmation_and_payment_emails(
    api, shopper, variant, shipping, django_capture_on_commit_callbacks
):
    api.post("/api/v1/cart/items/", {"variant": variant.pk}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        placed = api.post(
            "/api/v1/checkout/",
            {"address_id": _address(shopper), "shipping_method": shipping.pk},
            format="json",
        )
    number = placed.json()["number"]
    with django_capture_on_commit_callbacks(execute=True):
        _pay(api, Order.objects.get(), _card())

    assert [message.to for message in mail.outbox] == [[shopper.email], [shopper.email]]
    assert all(number in message.subject for message in mail.outbox)


def _address(user: User) -> int:
    return AddressFactory(user=user).pk


# --- query budget --------------------------------------------------------------------------

# Token and its user, the page of orders, their lines.
LIST_QUERIES = 3


@pytest.mark.parametrize("count", [2, 20])
def test_the_order_list_runs_a_constant_number_of_queries(
    no_cache, django_assert_num_queries, count
):
    user = UserFactory()
    client = token_client(user)
    for _ in range(count):
        _order(user, quantity=2)

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(ORDERS)

    assert len(response.json()["results"]) == count
    assert all(order["lines"] for order in response.json()["results"])


def test_an_error_report_from_a_failed_payment_hides_the_card(api, shopper, monkeypatch):
    order = _order(shopper)
    captured: dict = {}

    def explode(**kwargs):
        raise RuntimeError("gateway timed out")

    def remember(sender, request, **kwargs):
        captured["request"] = request
        captured["exc_info"] = sys.exc_info()

    monkeypatch.setattr(order_views, "order_pay", explode)
    got_request_exception.connect(remember)
    try:
        with pytest.raises(RuntimeError):
            _pay(api, order, _card(), key="boom")
    finally:
        got_request_exception.disconnect(remember)

    # The HTML report is the one with every frame's local variables (and the e-mailed one).
    report = ExceptionReporter(captured["request"], *captured["exc_info"]).get_traceback_html()
    assert "gateway timed out" in report
    assert "<td>card</td>" in report
    assert SUCCESS_CARD not in report
    assert not IdempotencyRecord.objects.exists()  # the key was released for a retry
