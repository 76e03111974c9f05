"""A sale's waiting room in front of its items: adding one, or checking one out."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.cart.models import CartLine
from apps.sales.models import Sale, SaleItem
from apps.sales.selectors import schedule_forget
from tests.api.support import assert_matches_schema, token_client
from tests.factories import ShippingMethodFactory, UserFactory, VariantFactory

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

ITEMS = "/api/v1/cart/items/"
ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "1 Analytical Way",
    "city": "London",
    "postal_code": "N1 1AA",
    "country": "GB",
}


@pytest.fixture(autouse=True)
def _redis_cache(settings):
    # The room keeps its line in Redis (the embedded file cache is tested with the room).
    assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"


def _live_sale(*, capacity: int = 1, **fields) -> tuple[Sale, SaleItem]:
    now = timezone.now()
    sale = Sale.objects.create(
        name="Midnight drop",
        slug=f"drop-{Sale.objects.count()}",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
        scheduled_at=now - timedelta(days=1),
        room_capacity=capacity,
        **fields,
    )
    item = SaleItem.objects.create(
        sale=sale,
        variant=VariantFactory(price=Decimal("20.00"), stock=50),
        sale_price=Decimal("9.00"),
    )
    schedule_forget()
    return sale, item


def test_an_api_client_past_the_rooms_capacity_waits_with_a_ticket_and_retry_after():
    _, item = _live_sale(capacity=1)
    first, second = token_client(UserFactory()), token_client(UserFactory())

    admitted = first.post(ITEMS, {"variant": item.variant_id, "quantity": 1}, format="json")
    waiting = second.post(ITEMS, {"variant": item.variant_id, "quantity": 1}, format="json")

    assert admitted.status_code == 201
    assert waiting.status_code == 429
    assert int(waiting["Retry-After"]) > 0
    body = waiting.json()
    assert body["error"]["code"] == "waiting_room"
    assert body["position"] == 1
    assert body["ticket"]
    assert_matches_schema(waiting, "/api/v1/cart/items/", "post")
    assert CartLine.objects.count() == 1


def test_a_shopper_past_the_capacity_sees_the_waiting_room_page_and_nothing_is_added():
    sale, item = _live_sale(capacity=1)
    first, second = Client(), Client()

    first.post(reverse("cart:add"), {"variant": item.variant_id, "quantity": "1"})
    page = second.post(reverse("cart:add"), {"variant": item.variant_id, "quantity": "1"})

    assert page.status_code == 200
    html = page.content.decode()
    assert 'http-equiv="refresh"' in html
    assert sale.get_absolute_url() in html
    assert "<script>" not in html
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    assert CartLine.objects.count() == 1


def test_the_rest_of_the_shop_is_never_queued():
    _live_sale(capacity=0)
    outside = VariantFactory(stock=5)
    client = token_client(UserFactory())

    response = client.post(ITEMS, {"variant": outside.pk, "quantity": 1}, format="json")

    assert response.status_code == 201


def test_queue_everyone_holds_even_an_empty_room():
    _, item = _live_sale(capacity=10, room_queue_everyone=True)

    response = token_client(UserFactory()).post(
        ITEMS, {"variant": item.variant_id, "quantity": 1}, format="json"
    )

    assert response.status_code == 429


def test_a_placed_order_frees_its_slot_for_the_next_in_line():
    _, item = _live_sale(capacity=1)
    first, second = token_client(UserFactory()), token_client(UserFactory())
    add = {"variant": item.variant_id, "quantity": 1}
    first.post(ITEMS, add, format="json")
    assert second.post(ITEMS, add, format="json").status_code == 429

    placed = first.post(
        "/api/v1/checkout/",
        {"shipping_address": ADDRESS, "shipping_method": ShippingMethodFactory().pk},
        format="json",
        headers={"Idempotency-Key": "drop-1"},
    )

    assert placed.status_code == 201, placed.content
    assert placed.json()["lines"][0]["unit_price"] == "9.00"
    assert second.post(ITEMS, add, format="json").status_code == 201


def test_with_redis_down_the_room_lets_shoppers_through(redis_down):
    _, item = _live_sale(capacity=0)

    response = token_client(UserFactory()).post(
        ITEMS, {"variant": item.variant_id, "quantity": 1}, format="json"
    )

    assert response.status_code == 201


def test_the_sale_page_shows_the_line_to_those_past_the_capacity():
    sale, _ = _live_sale(capacity=1)
    first, second = Client(), Client()

    inside = first.get(sale.get_absolute_url())
    waiting = second.get(sale.get_absolute_url())

    assert inside.status_code == 200
    assert sale.name in inside.content.decode()
    assert "in line" in waiting.content.decode().lower()
    assert 'http-equiv="refresh"' in waiting.content.decode()


def test_a_copied_ticket_cookie_does_not_admit_a_second_browser():
    sale, _ = _live_sale(capacity=1)
    first, second = Client(), Client()
    first.get(sale.get_absolute_url())
    second.get(sale.get_absolute_url())  # waits: the one place is taken

    for name, morsel in first.cookies.items():
        if name != "sessionid":
            second.cookies[name] = morsel.value
    again = second.get(sale.get_absolute_url())

    assert 'http-equiv="refresh"' in again.content.decode()


def test_before_the_start_a_pre_queue_holds_everyone_in_line():
    now = timezone.now()
    sale = Sale.objects.create(
        name="Noon drop",
        slug="noon",
        starts_at=now + timedelta(minutes=10),
        ends_at=now + timedelta(hours=1),
        scheduled_at=now - timedelta(days=1),
        room_capacity=100,
        room_prequeue=True,
    )
    schedule_forget()

    page = Client().get(sale.get_absolute_url())

    assert 'http-equiv="refresh"' in page.content.decode()


def test_an_api_client_without_cookies_keeps_its_place_and_gets_in_when_its_turn_comes():
    _, item = _live_sale(capacity=1)
    first, second = token_client(UserFactory()), token_client(UserFactory())
    add = {"variant": item.variant_id, "quantity": 1}
    assert first.post(ITEMS, add, format="json").status_code == 201
    first.cookies.clear()

    positions = []
    for _ in range(3):
        second.cookies.clear()  # a mobile app or script: no cookie jar
        positions.append(second.post(ITEMS, add, format="json").json()["position"])
    first.cookies.clear()
    first.post(
        "/api/v1/checkout/",
        {"shipping_address": ADDRESS, "shipping_method": ShippingMethodFactory().pk},
        format="json",
        headers={"Idempotency-Key": "drop-2"},
    )
    second.cookies.clear()

    assert positions == [1, 1, 1]
    assert second.post(ITEMS, add, format="json").status_code == 201


def test_an_api_guest_without_cookies_keeps_its_place_by_its_cart_token():
    _, item = _live_sale(capacity=1)
    first = token_client(UserFactory())
    add = {"variant": item.variant_id, "quantity": 1}
    assert first.post(ITEMS, add, format="json").status_code == 201
    guest = Client()
    token = guest.post("/api/v1/carts/").json()["token"]

    positions = []
    for _ in range(3):
        guest.cookies.clear()  # a mobile app: no cookie jar, only its cart token
        answer = guest.post(ITEMS, add, content_type="application/json", HTTP_X_CART_TOKEN=token)
        positions.append(answer.json()["position"])
    first.post(
        "/api/v1/checkout/",
        {"shipping_address": ADDRESS, "shipping_method": ShippingMethodFactory().pk},
        format="json",
    )
    guest.cookies.clear()
    admitted = guest.post(ITEMS, add, content_type="application/json", HTTP_X_CART_TOKEN=token)

    assert positions == [1, 1, 1]
    assert admitted.status_code == 201
